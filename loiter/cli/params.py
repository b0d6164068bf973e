"""Command-line value types: each refuses bad input with one line naming what it accepts.

Shared by every command (and the flags options), so "what is a duration" or
"what is a rate" has one answer. Only click here: ``--help`` stays instant.
"""

from __future__ import annotations

import math
from typing import Any

import click

from loiter.model.tracecheck import MAX_TASKS

MAX_WORKERS = 1024
MAX_ARG_FILE = 16 * 1024 * 1024  # bytes: a million arguments fit; /dev/zero does not


class Seconds(click.ParamType[float]):
    """A finite number of seconds greater than zero (NaN and inf are not durations)."""

    name = "seconds"

    def __init__(self, maximum: float, what: str = "seconds") -> None:
        self.maximum = maximum
        self.what = what

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number (expected {self.what} > 0)", param, ctx)
        if not math.isfinite(number) or not 0 < number <= self.maximum:
            self.fail(
                f"{value!r} is out of range (expected 0 < {self.what} <= {self.maximum:g})",
                param,
                ctx,
            )
        return number


class Whole(click.IntRange):
    """A whole number in a range; a non-number is told which range it should be in."""

    name = "integer"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        expected = self._describe_range().replace("x", "n")
        try:
            number = value if isinstance(value, int) else int(str(value).strip())
        except ValueError:
            self.fail(f"{value!r} is not a whole number (expected {expected})", param, ctx)
        try:
            return super().convert(number, param, ctx)
        except click.BadParameter:
            self.fail(f"{number} is out of range (expected {expected})", param, ctx)


class PoolSize(Whole):
    """Workers: 1 to the maximum, or 0 for "no limit", which only an event loop has (the
    command checks that against --executor)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if str(value).strip() == "0":
            return 0
        return super().convert(value, param, ctx)


class PathArg(click.Path):
    """A path that may not be empty: ``--out ''`` is a typo, not "the current folder"."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and not value.strip():
            self.fail("is empty (expected a path)", param, ctx)
        return super().convert(value, param, ctx)


class Durations(click.ParamType[tuple[float, ...]]):
    """Comma-separated durations in units: ``3,1,2``; ``0*1000`` repeats one (big runs)."""

    name = "n,n,..."

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> tuple[float, ...]:
        if isinstance(value, tuple):
            return value
        parts = [p.strip() for p in str(value).split(",")]
        if not any(parts):
            self.fail("is empty (expected numbers like 3,1,2 or 0*1000)", param, ctx)
        out: list[float] = []
        for part in parts:
            number, times = self._repeat(part, param, ctx)
            if len(out) + times > MAX_TASKS:
                self.fail(f"has more than {MAX_TASKS} durations (at most {MAX_TASKS})", param, ctx)
            out += [number] * times
        return tuple(out)

    def _repeat(
        self, part: str, param: click.Parameter | None, ctx: click.Context | None
    ) -> tuple[float, int]:
        """``d`` or ``d*k``: the duration and how many tasks get it."""
        text, _, times = part.partition("*")
        try:
            number = float(text)
            count = int(times) if times else 1
        except ValueError:
            self.fail(
                f"{part!r} is not a number (expected numbers like 3,1,2 or 0*1000)", param, ctx
            )
        if not math.isfinite(number) or not 0 <= number <= 3600:
            self.fail(f"{part!r} is out of range (each duration 0 to 3600 units)", param, ctx)
        if not 1 <= count <= MAX_TASKS:
            self.fail(f"{part!r}: the repeat count must be 1 to {MAX_TASKS}", param, ctx)
        return (int(number) if number.is_integer() else number), count


class Names(click.ParamType[tuple[str, ...]]):
    """Comma-separated names from a fixed set, order kept, duplicates dropped."""

    name = "name,..."

    def __init__(self, choices: tuple[str, ...]) -> None:
        self.choices = choices

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> tuple[str, ...]:
        if isinstance(value, tuple):
            return value
        names = [n.strip() for n in str(value).split(",") if n.strip()]
        if not names:
            self.fail(f"is empty (choose from {', '.join(self.choices)})", param, ctx)
        for name in names:
            if name not in self.choices:
                self.fail(f"{name!r} is not one of {', '.join(self.choices)}", param, ctx)
        return tuple(dict.fromkeys(names))


class Indices(click.ParamType[tuple[int, ...]]):
    """Comma-separated task indices from 0: ``2,5``."""

    name = "i,i,..."

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> tuple[int, ...]:
        if isinstance(value, tuple):
            return value
        out = set()
        for part in str(value).split(","):
            try:
                index = int(part.strip())
            except ValueError:
                self.fail(f"{part.strip()!r} is not a task index (expected 0,1,2,...)", param, ctx)
            if not 0 <= index < MAX_TASKS:
                self.fail(f"{index} is out of range (0 to {MAX_TASKS - 1})", param, ctx)
            out.add(index)
        return tuple(sorted(out))


class ArgList(click.ParamType[tuple[Any, ...]]):
    """Task arguments, comma-separated (``1,2,x``) or one per line from ``@file``."""

    name = "a,a,...|@file"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> tuple[Any, ...]:
        if isinstance(value, tuple):
            return value
        text = str(value)
        if text.startswith("@"):
            parts = self._read(text[1:], param, ctx).splitlines()
        else:
            parts = text.split(",")
        args = tuple(_scalar(p.strip()) for p in parts if p.strip())
        if not args:
            self.fail("is empty (expected values like 1,2,3 or @file)", param, ctx)
        if len(args) > MAX_TASKS:
            self.fail(f"has {len(args)} values (at most {MAX_TASKS})", param, ctx)
        return args

    def _read(self, name: str, param: click.Parameter | None, ctx: click.Context | None) -> str:
        """The argument file's text, read no further than MAX_ARG_FILE (``@/dev/zero`` ends)."""
        import locale

        try:
            with open(name, "rb") as fh:
                raw = fh.read(MAX_ARG_FILE + 1)
            if len(raw) > MAX_ARG_FILE:
                self.fail(f"{name!r} is larger than {MAX_ARG_FILE // 2**20} MiB", param, ctx)
            return raw.decode(locale.getpreferredencoding(False))
        except (OSError, UnicodeDecodeError) as exc:
            self.fail(f"cannot read {name!r} ({getattr(exc, 'strerror', exc)})", param, ctx)


def _scalar(text: str) -> Any:
    """An int or a finite float when the text is one, else the text itself."""
    for kind in (int, float):
        try:
            number = kind(text)
        except ValueError:
            continue
        if math.isfinite(number):
            return number
    return text


class Number(click.ParamType[float]):
    """A finite number in a range (NaN and inf are neither rates nor durations)."""

    name = "number"

    def __init__(self, low: float, high: float, low_open: bool = False) -> None:
        self.low, self.high, self.low_open = low, high, low_open

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        expected = f"{self.low:g} {'<' if self.low_open else '<='} x <= {self.high:g}"
        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number (expected {expected})", param, ctx)
        low_ok = number > self.low if self.low_open else number >= self.low
        if not (math.isfinite(number) and low_ok and number <= self.high):
            self.fail(f"{value!r} is out of range (expected {expected})", param, ctx)
        return number


class WorkerCounts(click.ParamType[list[int]]):
    """Worker counts: ``1-8``, ``1,2,4`` or both (``1-4,8``)."""

    name = "range"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> list[int]:
        from loiter.cli.params import parse_workers

        if isinstance(value, list):
            return value
        try:
            return parse_workers(str(value), MAX_WORKERS)
        except ValueError as exc:
            self.fail(f"{exc} (expected counts 1 to {MAX_WORKERS}, e.g. 1-8 or 1,2,4)", param, ctx)


def parse_workers(text: str, most: int | None = None) -> list[int]:
    """``1-8`` or ``1,2,4`` (or both: ``1-4,8``) into sorted distinct counts >= 1.

    ``most`` is checked before a range is expanded: ``1-99999999999`` is refused, not built.
    """
    counts: set[int] = set()
    for part in (p.strip() for p in text.split(",")):
        lo, sep, hi = part.partition("-")
        if not _count(lo) or (sep and not _count(hi)):
            raise ValueError(f"{part!r} is not a count or a range like 1-8")
        first, last = int(lo), int(hi) if sep else int(lo)
        if first < 1 or last < first:
            raise ValueError(f"{part!r} is not a range of counts >= 1 like 1-8")
        if most is not None and last > most:
            raise ValueError(f"{part!r} goes above {most} workers")
        counts.update(range(first, last + 1))
    return sorted(counts)


def _count(text: str) -> bool:
    """ASCII digits only: ``int()`` also takes other scripts' digits, and ``isdigit()`` "²"."""
    return text.isascii() and text.isdigit()
