"""What a trace's values must mean, beyond their types: checked once, at load.

A well-formed file can still be absurd: a ``wall_origin`` of 1e300, a task
that finished before it started, a caller wait that ended before it began
(or after the task it waited for was delivered), a blocked event loop's span
that ends before it begins, two tasks with one index,
``chunksize`` 0, ``consumer_delay`` "slow". Every renderer would otherwise
crash on its own, each differently. One rule: a value that a renderer or the
simulator reads and that cannot mean anything rejects the whole file, with
one line naming the field (nothing is silently dropped or guessed).

A million tasks are screened in a few vectorised passes (numpy, over the
columns a format-2 file gives as read); only the tasks and waits the screen
cannot clear are looked at one by one, for the message.

Bounds are generous: about 115 days of run time, a wall clock from 1970 to
2286, up to 100,000 workers.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from operator import attrgetter, itemgetter
from typing import Any, TypeGuard

from loiter.model.names import CLOCK
from loiter.model.names import WORKLOADS as TIMED_WORKLOADS
from loiter.model.trace import Run, Task

MAX_SECONDS = 1e7  # |any time| and the unit, in seconds from the run's origin
MAX_WORKERS = 100_000
MAX_TASKS = 10_000_000  # per run: what the CLI's --durations and loiter.run() accept
WALL_ORIGIN = (0.0, 1e10)  # time.time() at the origin: 1970 to 2286
# Timestamps from one host share one clock, so order is exact up to float rounding;
# a cluster's worker clocks are only as good as their offsets' uncertainty.
ORDER_SLACK = 1e-6


# Columns the caller already has, by name: a Task field, or "caller_blocked.ask", ".got",
# ".index"; the others are gathered from the run's objects.
Columns = Mapping[str, Sequence[Any]]


def problem(run: Run, columns: Columns | None = None) -> str | None:
    """The first thing wrong in ``run``, as ``field: what`` (the caller adds where), else None.

    ``columns`` (a format-2 file's, as read) save gathering them from a million tasks.
    """
    return next(_problems(run, columns or {}), None)


def _number(value: Any) -> TypeGuard[float]:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an int beyond every float: a number, out of every bound
        return True


def _in_seconds(arg: float, unit: float) -> bool:
    """A timed workload's arg is 0 to MAX_SECONDS long."""
    try:
        return 0 <= arg * unit <= MAX_SECONDS
    except OverflowError:
        return False


def _problems(run: Run, columns: Columns) -> Iterator[str]:
    if run.workers > MAX_WORKERS:
        yield f"workers must be at most {MAX_WORKERS}, got {run.workers}"
    if not run.unit <= MAX_SECONDS:
        yield f"unit must be at most {MAX_SECONDS:g} s, got {run.unit!r}"
    low, high = WALL_ORIGIN
    if run.wall_origin is not None and not low <= run.wall_origin <= high:
        yield f"wall_origin must be a time.time() from {low:g} to {high:g}, got {run.wall_origin!r}"
    yield from _option_problems(run.options)
    slack = ORDER_SLACK + _worst_uncertainty(run.options)
    timed = run.workload in TIMED_WORKLOADS
    count = len(run.tasks)
    indices = list(columns.get("index") or map(attrgetter("index"), run.tasks))
    screen = _Screen(run, columns, indices, slack, timed) if _each_once(indices) else None
    by_index: list[Task | None] = [None] * count
    for t in range(count) if screen is None else screen.tasks():
        task = run.tasks[t]
        if not 0 <= task.index < count or (by_index[task.index] or task) is not task:
            yield f"tasks[{t}].index must be 0 to {count - 1}, each once, got {task.index}"
            continue
        by_index[task.index] = task
        stamps = [
            (name, getattr(task, name))
            for name in ("submitted", "started", "finished", "delivered")
        ]
        present = [(name, value) for name, value in stamps if value is not None]
        for name, value in present:
            if not abs(value) <= MAX_SECONDS:
                yield f"tasks[{t}].{name} must be within ±{MAX_SECONDS:g} s, got {value!r}"
        for (before, a), (after, b) in itertools.pairwise(present):
            if b < a - slack:
                yield f"tasks[{t}].{after} ({b!r}) is before its {before} ({a!r})"
        if timed and _number(task.arg) and not _in_seconds(task.arg, run.unit):
            yield (
                f"tasks[{t}].arg of {run.workload} must be 0 to {MAX_SECONDS:g} s "
                f"of unit {run.unit:g}, got {short(task.arg)}"
            )
    waits = range(len(run.caller_blocked)) if screen is None else screen.waits()
    if screen is not None and waits:  # the screen looked at only some tasks
        for task in run.tasks:
            by_index[task.index] = task
    for k in waits:
        wait = run.caller_blocked[k]
        if wait.index is not None:  # the task whose arrival ended the wait: not delivered before
            if not 0 <= wait.index < count:
                yield f"caller_blocked[{k}] names task {wait.index}, which is not in the run"
                continue
            delivered = by_index[wait.index].delivered  # type: ignore[union-attr]
            if delivered is not None and wait.got > delivered + slack:
                yield (
                    f"caller_blocked[{k}] got ({wait.got!r}) is after task {wait.index} "
                    f"it waited for was delivered ({delivered!r})"
                )
        if -MAX_SECONDS <= wait.ask <= wait.got + ORDER_SLACK and wait.got <= MAX_SECONDS:
            continue
        for name, value in (("ask", wait.ask), ("got", wait.got)):
            if not abs(value) <= MAX_SECONDS:
                yield f"caller_blocked[{k}] {name} must be within ±{MAX_SECONDS:g} s, got {value!r}"
        if wait.got < wait.ask - ORDER_SLACK:
            yield f"caller_blocked[{k}] got ({wait.got!r}) is before its ask ({wait.ask!r})"
    yield from _span_problems("caller_submitting", run.caller_submitting)
    yield from _span_problems("loop_blocked", run.loop_blocked)


def _span_problems(name: str, spans: list[tuple[float, float]]) -> Iterator[str]:
    """``[[from, to], ...]`` of the caller or its event loop: drawn and exported like the
    caller's waits, so as strict."""
    for k, (start, end) in enumerate(spans):
        for end_name, value in (("from", start), ("to", end)):
            if not abs(value) <= MAX_SECONDS:
                yield f"{name}[{k}] {end_name} must be within ±{MAX_SECONDS:g} s, got {value!r}"
        if end < start - ORDER_SLACK:
            yield f"{name}[{k}] to ({end!r}) is before its from ({start!r})"


def _each_once(indices: list[int]) -> bool:
    """The indices are 0 to len - 1, each once (the tasks in any order)."""
    return not indices or (
        len(set(indices)) == len(indices) and min(indices) >= 0 and max(indices) < len(indices)
    )


class _Screen:
    """Which tasks and waits need a closer look, found in vectorised passes (a million
    tasks in a fraction of a second): the others are certainly fine. NaN stands for None,
    and every comparison with NaN is False, so a missing timestamp is looked at."""

    def __init__(
        self, run: Run, columns: Columns, indices: list[int], slack: float, timed: bool
    ) -> None:
        import numpy as np

        self.np, self.run, self.columns = np, run, columns
        self.indices, self.slack, self.timed = indices, slack, timed

    def _column(self, items: Sequence[Any], name: str, get: Callable[[Any], Any]) -> Any:
        known = self.columns.get(name)
        return self.np.array(list(map(get, items)) if known is None else known, dtype=float)

    def tasks(self) -> list[int]:
        """Tasks not all four timestamps there, in bounds and in order, or a timed arg
        maybe out of bounds."""
        np, tasks, slack = self.np, self.run.tasks, self.slack
        sub, start, end, got = (
            self._column(tasks, name, attrgetter(name))
            for name in ("submitted", "started", "finished", "delivered")
        )
        with np.errstate(invalid="ignore", over="ignore"):
            plain = (
                (sub >= -MAX_SECONDS)
                & (sub <= start + slack)
                & (start <= end + slack)
                & (end <= got + slack)
                & (got <= MAX_SECONDS)
            )
            if self.timed:
                plain &= self._timed_args_in_bounds()
        self.delivered = np.empty(len(tasks))
        self.delivered[self.indices] = got
        out: list[int] = np.flatnonzero(~plain).tolist()
        return out

    def _timed_args_in_bounds(self) -> Any:
        """False where a task's arg may be out of bounds (the closer look decides)."""
        np, run = self.np, self.run
        try:
            seconds = self._column(run.tasks, "arg", attrgetter("arg")) * run.unit
        except (TypeError, ValueError, OverflowError):  # args that are not all numbers
            seconds = None
        if seconds is None or seconds.shape != (len(run.tasks),):  # or lists of numbers
            return np.zeros(len(run.tasks), dtype=bool)
        return ~((seconds < 0) | (seconds > MAX_SECONDS))

    def waits(self) -> list[int]:
        """Waits out of bounds or order, or ending after the task they waited for was
        delivered (call after :meth:`tasks`)."""
        np, waits = self.np, self.run.caller_blocked
        if not waits:
            return []
        ask, got, index = (
            self._column(waits, f"caller_blocked.{name}", itemgetter(k))
            for k, name in enumerate(("ask", "got", "index"))
        )
        with np.errstate(invalid="ignore", over="ignore"):
            named = ~np.isnan(index)
            known = named & (index >= 0) & (index < len(self.delivered))
            delivered = np.full(len(waits), np.nan)
            delivered[known] = self.delivered[index[known].astype(np.intp)]
            fine = (
                (named == known)
                & ~(got > delivered + self.slack)
                & (ask >= -MAX_SECONDS)
                & (ask <= got + ORDER_SLACK)
                & (got <= MAX_SECONDS)
            )
        out: list[int] = np.flatnonzero(~fine).tolist()
        return out


def _option_problems(options: dict[str, Any]) -> Iterator[str]:
    """The options the renderers and the simulator read; others are the recorder's notes."""
    if "chunksize" in options:
        value = options["chunksize"]
        if not (isinstance(value, int) and not isinstance(value, bool) and value >= 1):
            yield f"options.chunksize must be a whole number >= 1, got {short(value)}"
    if "buffersize" in options:
        value = options["buffersize"]
        if value is not None and not (
            isinstance(value, int) and not isinstance(value, bool) and value >= 1
        ):
            yield f"options.buffersize must be a whole number >= 1 or null, got {short(value)}"
    if "consumer_delay" in options:
        value = options["consumer_delay"]
        if not (_number(value) and 0 <= value <= MAX_SECONDS):
            yield (
                f"options.consumer_delay must be 0 to {MAX_SECONDS:g} seconds, got {short(value)}"
            )
    if CLOCK in options:
        yield from _clock_problems(options[CLOCK])


def _clock_problems(clock: Any) -> Iterator[str]:
    if not isinstance(clock, dict):
        yield f"options.clock must map workers to {{offset, uncertainty}}, got {short(clock)}"
        return
    for worker, entry in clock.items():
        where = f"options.clock[{short(worker)}]"
        if not isinstance(entry, dict):
            yield f"{where} must be {{offset, uncertainty}} in seconds, got {short(entry)}"
            continue
        offset, uncertainty = entry.get("offset"), entry.get("uncertainty")
        if not (_number(offset) and abs(offset) <= WALL_ORIGIN[1]):
            yield f"{where}.offset must be a number of seconds, got {short(offset)}"
        if not (_number(uncertainty) and 0 <= uncertainty <= MAX_SECONDS):
            yield f"{where}.uncertainty must be 0 to {MAX_SECONDS:g} s, got {short(uncertainty)}"


def _worst_uncertainty(options: dict[str, Any]) -> float:
    """How far a cluster's clocks may put a worker's timestamps off (valid options only)."""
    clock = options.get(CLOCK)
    if not isinstance(clock, dict):
        return 0.0
    return max((entry["uncertainty"] for entry in clock.values()), default=0.0)


def short(value: Any) -> str:
    """A value quoted in an error: whole if short, cut if a hostile file made it huge."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
