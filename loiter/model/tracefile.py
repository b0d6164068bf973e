"""The trace file: the public contract between a run and every renderer.

``{"format": "loiter-trace", "version": 2, "runs": [...]}``. Version 2 stores
each run's tasks as columns (loiter.model.columnar); version 1, one object per
task, is still read, and written on request for older readers. Loading checks
the header first so the error names the real problem, then validates every
field's type; unknown fields are ignored so newer files degrade gracefully.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import msgspec

from loiter.model import columnar
from loiter.model.atomic import write_atomic
from loiter.model.names import TRACE_VERSIONS
from loiter.model.trace import OUTCOMES, Run, Trace
from loiter.model.tracecheck import Columns, problem
from loiter.model.tracecheck import short as _short

FORMAT = "loiter-trace"
VERSION = TRACE_VERSIONS[-1]


class TraceError(ValueError):
    """A trace file that cannot be read; the message says why in one line."""


# What the decoder raises on bad input; a bad byte inside a string surfaces as UnicodeDecodeError.
_BAD_INPUT = (msgspec.DecodeError, RecursionError, UnicodeDecodeError)


class _Header(msgspec.Struct):
    format: Any = None
    version: Any = None


class _File(msgspec.Struct):
    format: str
    version: int
    runs: list[Run]


class _FileV2(msgspec.Struct):
    format: str
    version: int
    runs: list[columnar.RunV2]


def dumps(trace: Trace, version: int = VERSION) -> bytes:
    """The file's bytes; ``version`` 1 for readers older than format 2."""
    if version == 1:
        raw = msgspec.json.encode(_File(FORMAT, 1, trace.runs))
        return msgspec.json.format(raw, indent=1) + b"\n"
    if version != 2:
        raise ValueError(f"trace version {version} cannot be written (only {TRACE_VERSIONS})")
    runs = [columnar.encode(run, f"runs[{r}]") for r, run in enumerate(trace.runs)]
    return msgspec.json.encode(_FileV2(FORMAT, 2, runs)) + b"\n"


def loads(data: bytes | str, source: str = "trace") -> Trace:
    """Parse and validate; any problem becomes one :class:`TraceError`."""
    try:
        header = msgspec.json.decode(data, type=_Header)
    except _BAD_INPUT as exc:
        raise TraceError(f"{source}: not a loiter trace ({_first_line(exc)})") from None
    if header.format != FORMAT:
        raise TraceError(
            f"{source}: not a loiter trace (format is {_short(header.format)}, expected {FORMAT!r})"
        )
    if not isinstance(header.version, int) or isinstance(header.version, bool):
        raise TraceError(f"{source}: version must be an integer, got {_short(header.version)}")
    if not 1 <= header.version <= VERSION:
        raise TraceError(
            f"{source}: trace version {header.version} is not supported "
            f"(this loiter-viz reads versions 1 to {VERSION})"
        )
    runs = _runs_v1(data, source) if header.version == 1 else _runs_v2(data, source)
    for r, (run, columns) in enumerate(runs):
        _check_run(run, f"{source}: runs[{r}]", columns)
    return Trace([run for run, _ in runs])


Read = list[tuple[Run, Columns | None]]  # each run, with its columns if the file had them


def _runs_v1(data: bytes | str, source: str) -> Read:
    try:
        return [(run, None) for run in msgspec.json.decode(data, type=_File).runs]
    except _BAD_INPUT as exc:
        raise TraceError(f"{source}: {_first_line(exc)}") from None


def _runs_v2(data: bytes | str, source: str) -> Read:
    try:
        stored = msgspec.json.decode(data, type=_FileV2).runs
    except _BAD_INPUT as exc:
        raise TraceError(f"{source}: {_first_line(exc)}") from None
    try:
        return [
            (columnar.decode(raw, f"{source}: runs[{r}]"), columnar.columns_of(raw))
            for r, raw in enumerate(stored)
        ]
    except columnar.ColumnError as exc:
        raise TraceError(str(exc)) from None


def _check_run(run: Run, where: str, columns: Columns | None) -> None:
    """What the types alone do not say (JSON itself cannot hold NaN or infinity; the
    meaning of the values is loiter.tracecheck's)."""
    if run.workers < 1:
        raise TraceError(f"{where}.workers must be at least 1, got {run.workers}")
    if run.unit <= 0:
        raise TraceError(f"{where}.unit must be a positive number, got {run.unit}")
    for t, task in enumerate(run.tasks):
        if task.outcome not in OUTCOMES:
            raise TraceError(
                f"{where}.tasks[{t}].outcome must be one of {', '.join(OUTCOMES)}, "
                f"got {_short(task.outcome)}"
            )
    if (what := problem(run, columns)) is not None:
        raise TraceError(f"{where}.{what}")


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def save(trace: Trace, path: str | os.PathLike[str], version: int = VERSION) -> Path:
    """Write atomically: an interrupted save leaves the previous file intact."""
    return write_atomic(path, dumps(trace, version))


def load(path: str | os.PathLike[str]) -> Trace:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise TraceError(f"{path}: cannot read trace ({exc.strerror or exc})") from None
    return loads(data, source=str(path))
