"""Trace format 2: each run's tasks as columns, strings interned, times rounded to 1 µs.

A million no-op tasks take about 85 bytes each (format 1: about 340) and load
in one pass of the JSON decoder: one array per Task field instead of one
object per task, worker names, outcomes and errors as indices into the run's
``strings`` table, and timestamps with at most six decimals (the recorder's
clock reads nanoseconds, but 1 µs is far below anything a chart or a stall
can show, and rounding keeps every order between timestamps).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import chain
from operator import itemgetter
from typing import Any

import msgspec

from loiter.model.trace import (
    INTERVAL_LISTS,
    TASK_FIELDS,
    Blocked,
    Run,
    TaskColumns,
    collector_paused,
)

# Decimals kept of every time in seconds: the file's clock resolution.
DECIMALS = 6


class _Tasks(msgspec.Struct):
    """Column k of each array is task k; worker, outcome and error index ``strings``."""

    index: list[int]
    arg: list[Any]
    submitted: list[float | None]
    started: list[float | None]
    finished: list[float | None]
    delivered: list[float | None]
    worker: list[int | None]
    outcome: list[int]
    result: list[Any]
    error: list[int | None]


class _Waits(msgspec.Struct):
    ask: list[float] = []
    got: list[float] = []
    index: list[int | None] = []


class _Spans(msgspec.Struct):
    from_: list[float] = msgspec.field(default_factory=list, name="from")
    to: list[float] = []


class RunV2(msgspec.Struct):
    """One run as format 2 stores it; unknown fields are ignored, as in format 1."""

    scenario: str
    strategy: str
    executor: str
    workers: int
    unit: float
    strings: list[str]
    tasks: _Tasks
    caller_blocked: _Waits = msgspec.field(default_factory=_Waits)
    intervals: dict[str, _Spans] = {}
    workload: str = "loiter"
    wall_origin: float | None = None
    error: str | None = None
    options: dict[str, Any] = {}


_INTERNED = ("worker", "outcome", "error")
_TIMES = ("submitted", "started", "finished", "delivered")
# The Run fields stored as they are, by name.
_META = (
    *("scenario", "strategy", "executor", "workers", "unit"),
    *("workload", "wall_origin", "error", "options"),
)


class ColumnError(ValueError):
    """A format-2 run whose columns do not fit together; the message names the field."""


def encode(run: Run, where: str) -> RunV2:
    """The run as format 2; a NaN or infinite time is a ValueError naming it (JSON has none)."""
    columns = run.columns()
    strings = list(dict.fromkeys(chain(*(getattr(columns, n) for n in _INTERNED))))
    if None in strings:
        strings.remove(None)
    ids = {s: k for k, s in enumerate(strings)}

    def times(name: str) -> list[Any]:
        return _rounded(getattr(columns, name), f"{where}.tasks.{name}")

    tasks = _Tasks(
        index=list(columns.index),
        arg=list(columns.arg),
        submitted=times("submitted"),
        started=times("started"),
        finished=times("finished"),
        delivered=times("delivered"),
        worker=list(map(ids.get, columns.worker)),
        outcome=list(map(ids.__getitem__, columns.outcome)),
        result=list(columns.result),
        error=list(map(ids.get, columns.error)),
    )
    blocked = run.caller_blocked
    ask, got, index = (list(map(itemgetter(k), blocked)) for k in range(3))
    waits = _Waits(
        _rounded(ask, f"{where}.caller_blocked.ask"),
        _rounded(got, f"{where}.caller_blocked.got"),
        index,
    )
    intervals = {
        name: _Spans(
            _rounded([a for a, _ in spans], f"{where}.{name}.from"),
            _rounded([b for _, b in spans], f"{where}.{name}.to"),
        )
        for name in INTERVAL_LISTS
        if (spans := getattr(run, name))
    }
    return RunV2(
        strings=strings,
        tasks=tasks,
        caller_blocked=waits,
        intervals=intervals,
        **{name: getattr(run, name) for name in _META},
    )


def _rounded(values: Sequence[float | None], where: str) -> list[Any]:
    """Times rounded to DECIMALS, None kept where there is one (vectorised: a million
    times in milliseconds)."""
    import numpy as np

    if not values:
        return []
    # None becomes NaN here, and NaN is encoded as null: so each None comes back as null.
    scale = 10.0**DECIMALS
    with np.errstate(over="ignore"):  # a time past 1e302 s: refused below
        scaled = np.array(values, dtype=float) * scale
    unknown = len(values) - int(np.isfinite(scaled).sum())
    if unknown and unknown != values.count(None):  # NaN, infinity, or beyond 1e302 s
        bad = next(k for k, v in enumerate(values) if v is not None and not np.isfinite(scaled[k]))
        raise ValueError(f"{where}[{bad}] is {values[bad]!r}, not a time")
    rounded: list[Any] = (np.rint(scaled) / scale).tolist()
    return rounded


def decode(raw: RunV2, where: str) -> Run:
    """The Run a format-2 run stands for; ColumnError when the columns do not fit together."""
    tasks = raw.tasks
    count = len(tasks.index)
    for name in TASK_FIELDS:
        if (length := len(getattr(tasks, name))) != count:
            raise ColumnError(f"{where}.tasks.{name} has {length} values for {count} tasks")
    table = dict(enumerate(raw.strings))
    for name in _INTERNED:
        values = getattr(tasks, name)
        for bad in set(values) - table.keys() - {None}:
            raise ColumnError(
                f"{where}.tasks.{name}[{values.index(bad)}] is string {bad}, "
                f"but strings has {len(table)}"
            )

    def strings(name: str) -> list[Any]:
        return list(map(table.get, getattr(tasks, name)))

    columns = TaskColumns(
        tasks.index,
        tasks.arg,
        tasks.submitted,
        tasks.started,
        tasks.finished,
        tasks.delivered,
        strings("worker"),
        strings("outcome"),
        tasks.result,
        strings("error"),
    )
    waits = raw.caller_blocked
    _same_length(f"{where}.caller_blocked", ask=waits.ask, got=waits.got, index=waits.index)
    with collector_paused():
        blocked = list(map(Blocked._make, zip(waits.ask, waits.got, waits.index)))
    return Run.from_columns(
        columns,
        caller_blocked=blocked,
        **{name: getattr(raw, name) for name in _META},
        **dict(_intervals(raw.intervals, where)),
    )


def columns_of(raw: RunV2) -> dict[str, Sequence[Any]]:
    """The columns as read, for loiter.model.tracecheck (named as it names them)."""
    waits = raw.caller_blocked
    return {
        **{name: getattr(raw.tasks, name) for name in ("index", "arg", *_TIMES)},
        **{f"caller_blocked.{n}": getattr(waits, n) for n in ("ask", "got", "index")},
    }


def _intervals(stored: dict[str, _Spans], where: str) -> Iterator[tuple[str, Any]]:
    """The interval lists this version knows; a newer file's others are ignored."""
    for name in INTERVAL_LISTS:
        if name in stored:
            spans = stored[name]
            _same_length(f"{where}.intervals.{name}", **{"from": spans.from_, "to": spans.to})
            yield name, list(zip(spans.from_, spans.to, strict=True))


def _same_length(where: str, **columns: Sequence[Any]) -> None:
    lengths = {name: len(values) for name, values in columns.items()}
    if len(set(lengths.values())) > 1:
        said = ", ".join(f"{name} {n}" for name, n in lengths.items())
        raise ColumnError(f"{where}: its columns differ in length ({said})")
