"""The recorded data: plain dataclasses, plus the metrics derived from them.

A Trace is what every renderer reads and what the trace file stores. Times are
float seconds from the run's origin (just before the first submit); a timestamp
that never happened is None.
"""

from __future__ import annotations

import bisect
import gc
import itertools
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from ..analyze.advise import Advice

# A task's outcome: a closed set, as in concurrent.futures' own states.
OK = "ok"
ERROR = "error"
CANCELLED = "cancelled"
TIMED_OUT = "timed_out"
UNDELIVERED = "undelivered"
OUTCOMES = (OK, ERROR, CANCELLED, TIMED_OUT, UNDELIVERED)


@dataclass(slots=True)
class Task:
    """One call of the workload, with its four timestamps (slots: a million tasks are
    a million objects, 48 bytes smaller each than with a ``__dict__``)."""

    index: int
    arg: Any
    submitted: float | None
    started: float | None
    finished: float | None
    delivered: float | None
    worker: str | None
    outcome: str
    result: Any = None
    error: str | None = None

    @property
    def queued(self) -> float | None:
        return _span(self.submitted, self.started)

    @property
    def ran(self) -> float | None:
        return _span(self.started, self.finished)

    @property
    def held(self) -> float | None:
        """A finished result not yet in the caller's hands."""
        return _span(self.finished, self.delivered)


class Blocked(NamedTuple):
    """The caller waiting: from asking for a result to getting one.

    ``index`` is the task whose arrival ended the wait (None when unknown), so
    that waiting for a task is never counted as that task's own stall. Stored
    as ``[ask, got, index]`` in the trace file.
    """

    ask: float
    got: float
    # Shadows tuple.index on purpose: the trace's name for the task waited for
    # (tests, exports and users read ``b.index``); mypy rightly flags the override.
    index: int | None = None  # type: ignore[assignment]


# The names of Task's fields, in order: the trace file's columns (format 2).
TASK_FIELDS = tuple(f.name for f in fields(Task))


class TaskColumns(NamedTuple):
    """All tasks of a run, one sequence per Task field (equal lengths): how the recorder
    and the trace file hold them."""

    index: Sequence[int]  # type: ignore[assignment]  # shadows tuple.index, as in Blocked
    arg: Sequence[Any]
    submitted: Sequence[float | None]
    started: Sequence[float | None]
    finished: Sequence[float | None]
    delivered: Sequence[float | None]
    worker: Sequence[str | None]
    outcome: Sequence[str]
    result: Sequence[Any]
    error: Sequence[str | None]


# Per-run lists of [from, to] intervals (seconds), stored alike by every trace format:
# a new one is a Run field of type list[tuple[float, float]] plus its name here.
INTERVAL_LISTS = ("loop_blocked", "caller_submitting")


@dataclass
class Run:
    """One scenario under one strategy on one executor."""

    scenario: str
    strategy: str
    executor: str
    workers: int
    unit: float
    tasks: list[Task]
    caller_blocked: list[Blocked] = field(default_factory=list)
    workload: str = "loiter"
    wall_origin: float | None = None  # time.time() at the origin, for the book's [HH:MM:SS]
    error: str | None = None  # what the strategy raised to the caller, if anything
    options: dict[str, Any] = field(default_factory=dict)
    # asyncio: when the event loop itself was blocked (its measured lag), [[from, to], ...]
    loop_blocked: list[tuple[float, float]] = field(default_factory=list)
    # When the caller was submitting, [[from, to], ...]: back-to-back submits are one span
    caller_submitting: list[tuple[float, float]] = field(default_factory=list)

    @classmethod
    def from_columns(cls, columns: TaskColumns, **meta: Any) -> Run:
        """A run whose tasks come as columns (``meta``: every other Run field by name)."""
        return cls(tasks=tasks_from_columns(columns), **meta)

    def columns(self) -> TaskColumns:
        """The tasks as columns, in task order."""
        return TaskColumns(*(list(map(attrgetter(name), self.tasks)) for name in TASK_FIELDS))

    @property
    def label(self) -> str:
        return f"{self.scenario} / {self.strategy}"

    def stalls(self) -> list[Stall]:
        """Per task: the part of its held time the caller spent blocked on *another* task."""
        return ordering_stalls(self)

    def summary(self) -> Summary:
        return summarize(self)

    def plot(self, *, title: str | None = None) -> Figure:
        """This run's Gantt chart as a matplotlib Figure (shown inline by Jupyter)."""
        from .. import api  # the one way back up: the data never imports a renderer at load

        return api.plot(self, title=title)

    def advise(self) -> Advice:
        """What if? This run's task durations replayed under other setups (analyze.advise)."""
        from .. import api

        return api.advise_run(self)

    def _repr_html_(self) -> str:
        from .. import api

        return api.html(self)


@dataclass
class Trace:
    """Everything one invocation recorded: one or more runs."""

    runs: list[Run] = field(default_factory=list)

    def __iter__(self) -> Iterator[Run]:
        return iter(self.runs)

    def __len__(self) -> int:
        return len(self.runs)

    def plot(self, *, title: str | None = None) -> Figure:
        """One Gantt panel per run, on a shared time axis (shown inline by Jupyter)."""
        from .. import api

        return api.plot(self, title=title)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the trace file the CLI writes (atomically); ``loiter-viz plot`` reads it."""
        from .. import api

        return api.save(self, path)

    def advise(self) -> list[Advice]:
        """What if? One :class:`~loiter.Advice` per run with tasks (see loiter.analyze.advise)."""
        from .. import api

        return api.advise(self)

    def _repr_html_(self) -> str:
        from .. import api

        return api.html(self)


@dataclass(frozen=True)
class Stall:
    """How long a finished task waited while the caller was blocked elsewhere, and on whom."""

    seconds: float
    blocked_on: int | None  # the task the caller was waiting for during most of it
    intervals: tuple[tuple[float, float], ...] = ()


@dataclass(frozen=True)
class Summary:
    """Per-run numbers, in seconds unless named otherwise."""

    makespan: float | None
    first_result: float | None
    total_stall: float
    max_stall: float
    stalled_tasks: int
    total_held: float
    utilisation: float | None  # busy worker time / (workers * makespan)
    caller_blocked: float
    outcomes: dict[str, int]
    # The part of total_held the caller spent still submitting (neither stall nor backlog).
    held_submitting: float = 0.0
    caller_submitting: float = 0.0

    @property
    def backlog(self) -> float:
        """Held while the caller was busy with earlier results: the rest of total_held."""
        return max(0.0, self.total_held - self.total_stall - self.held_submitting)


# A stall shorter than this is scheduling noise (thread wake-up), not a lesson.
STALL_EPSILON = 0.001


def worker_labels(runs: Sequence[Run]) -> dict[str, str]:
    """Short, stable labels ("w1", "w2", ...) in order of first appearance by start time."""
    seen: dict[str, str] = {}
    for run in runs:
        for task in sorted(run.tasks, key=lambda t: (t.started is None, t.started or 0.0)):
            if task.worker is not None and task.worker not in seen:
                # An event loop's lanes are its semaphore's slots, already named s1, s2, ...
                slot = run.executor == "asyncio"
                seen[task.worker] = task.worker if slot else f"w{len(seen) + 1}"
    return seen


def tasks_from_columns(columns: TaskColumns) -> list[Task]:
    """One Task per row."""
    with collector_paused():
        return list(map(Task, *columns))


@contextmanager
def collector_paused() -> Iterator[None]:
    """Around building many objects that make no cycles (tasks, waits): a million would
    otherwise trigger collections that find nothing, each going through all of them."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _span(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else b - a


# A result held across more waits than this has its stall computed from prefix
# sums, and drawn as one span from its first to its last wait (big runs only).
EXACT_WAITS = 32


def ordering_stalls(run: Run) -> list[Stall]:
    """Overlap of each task's held interval with the caller's waits for *other* tasks.

    Waits are sorted by ask time, so only those asked before the delivery and
    not over before the finish (running maximum of ``got``) are looked at. A
    wait for the task itself is wake-up latency, never its stall. When a result
    was held across many waits (thousands of no-op tasks behind a slow caller)
    the sum comes from prefix sums and the culprit from a range-maximum table,
    so the whole stays O(n log n) in time and O(n) in memory.
    """
    blocked = sorted(run.caller_blocked, key=lambda b: b.ask)
    asks = [b.ask for b in blocked]
    ended = list(itertools.accumulate((b.got for b in blocked), max))
    total = [0.0, *itertools.accumulate(max(0.0, b.got - b.ask) for b in blocked)]
    longest: _LongestWait | None = None
    out: list[Stall] = []
    for task in run.tasks:
        if task.finished is None or task.delivered is None or task.delivered <= task.finished:
            out.append(Stall(0.0, None))
            continue
        first = bisect.bisect_right(ended, task.finished)
        last = bisect.bisect_left(asks, task.delivered)
        if last - first <= EXACT_WAITS:
            out.append(_exact_stall(task, blocked[first:last]))
            continue
        longest = longest or _LongestWait(blocked)
        out.append(_summed_stall(task, blocked, total, first, last, longest))
    return out


def _exact_stall(task: Task, waits: Sequence[Blocked]) -> Stall:
    finished, delivered = task.finished, task.delivered
    assert finished is not None and delivered is not None
    by_task: dict[int | None, float] = {}
    intervals = []
    for b in waits:
        if b.index == task.index or b.got <= finished:
            continue
        lo, hi = max(b.ask, finished), min(b.got, delivered)
        if hi > lo:
            by_task[b.index] = by_task.get(b.index, 0.0) + (hi - lo)
            intervals.append((lo, hi))
    culprit = max(by_task, key=by_task.__getitem__) if by_task else None
    return Stall(sum(by_task.values()), culprit, tuple(intervals))


def _summed_stall(
    task: Task,
    blocked: Sequence[Blocked],
    total: Sequence[float],
    first: int,
    last: int,
    longest: _LongestWait,
) -> Stall:
    """Waits ``first..last-1`` overlap the held interval: all of them, minus what sticks
    out at both ends, minus waits for the task itself (only ever a handful)."""
    finished, delivered = task.finished, task.delivered
    assert finished is not None and delivered is not None
    head, tail = blocked[first], blocked[last - 1]
    seconds = total[last] - total[first]
    seconds -= max(0.0, min(head.got, finished) - head.ask)
    seconds -= max(0.0, tail.got - max(tail.ask, delivered))
    for k in (first, last - 1):  # the wait that ended with this delivery is at an end
        b = blocked[k]
        if b.index == task.index:
            seconds -= max(0.0, min(b.got, delivered) - max(b.ask, finished))
    # The culprit: the longest wait, the two ends counted only inside the held interval.
    candidates = [
        (min(b.got, delivered) - max(b.ask, finished), b.index)
        for b in (head, tail)
        if b.index != task.index
    ]
    if last - first > 2:
        inner = blocked[longest.argmax(first + 1, last - 1)]
        candidates.append((inner.got - inner.ask, inner.index))
    culprit = max(candidates, key=lambda c: c[0])[1] if candidates else None
    span = (max(head.ask, finished), min(tail.got, delivered))
    return Stall(max(0.0, seconds), culprit, (span,))


class _LongestWait:
    """Sparse table: the longest wait in any range of waits, in O(1) after O(n log n)."""

    def __init__(self, blocked: Sequence[Blocked]) -> None:
        self.length = [b.got - b.ask for b in blocked]
        level = list(range(len(blocked)))
        self.levels = [level]
        width = 1
        while 2 * width <= len(level):
            prev = self.levels[-1]
            self.levels.append(
                [self._longer(prev[i], prev[i + width]) for i in range(len(prev) - width)]
            )
            width *= 2

    def _longer(self, i: int, j: int) -> int:
        return i if self.length[i] >= self.length[j] else j

    def argmax(self, lo: int, hi: int) -> int:
        """Index of the longest wait in ``lo..hi-1`` (a non-empty range)."""
        k = (hi - lo).bit_length() - 1
        return self._longer(self.levels[k][lo], self.levels[k][hi - (1 << k)])


def summarize(run: Run, stalls: Sequence[Stall] | None = None) -> Summary:
    """The per-run numbers a lecture compares between strategies.

    ``stalls`` (from ``run.stalls()``) saves recomputing them for a big run.
    """
    tasks = run.tasks
    delivered = [t.delivered for t in tasks if t.delivered is not None]
    ends = [x for t in tasks for x in (t.finished, t.delivered) if x is not None]
    makespan = max(ends) if ends else None
    busy = sum(t.ran or 0.0 for t in tasks)
    seconds = [s.seconds for s in (ordering_stalls(run) if stalls is None else stalls)]
    held_submitting = _held_submitting(run, seconds)
    stalled = [s for s in seconds if s > STALL_EPSILON]
    outcomes = {name: 0 for name in OUTCOMES}
    for t in tasks:
        outcomes[t.outcome] = outcomes.get(t.outcome, 0) + 1
    return Summary(
        makespan=makespan,
        first_result=min(delivered) if delivered else None,
        total_stall=sum(stalled),
        max_stall=max(seconds, default=0.0),
        stalled_tasks=len(stalled),
        total_held=sum(t.held or 0.0 for t in tasks),
        utilisation=busy / (run.workers * makespan) if makespan else None,
        caller_blocked=sum(b.got - b.ask for b in run.caller_blocked),
        outcomes={k: v for k, v in outcomes.items() if v},
        held_submitting=held_submitting,
        caller_submitting=sum(b - a for a, b in run.caller_submitting),
    )


def submitting_clock(run: Run) -> Callable[[float], float]:
    """The seconds the caller had spent submitting from the origin up to ``t``.

    Submitting spans are disjoint and in time order, so a prefix sum and a
    bisection answer each ``t`` in O(log n): an overlap with any interval is
    the difference of two calls.
    """
    spans = sorted(run.caller_submitting)
    starts = [a for a, _ in spans]
    ends = [b for _, b in spans]
    total = [0.0, *itertools.accumulate(b - a for a, b in spans)]

    def covered(t: float) -> float:
        k = bisect.bisect_right(starts, t)
        return total[k] - max(0.0, ends[k - 1] - t) if k else 0.0

    return covered


def _held_submitting(run: Run, stalls: Sequence[float]) -> float:
    """Held time that overlaps the caller's submitting: per task, what its stall leaves."""
    if not run.caller_submitting:
        return 0.0
    covered = submitting_clock(run)
    out = 0.0
    for task, stall in zip(run.tasks, stalls, strict=True):
        if task.finished is None or task.delivered is None or task.delivered <= task.finished:
            continue
        overlap = covered(task.delivered) - covered(task.finished)
        out += max(0.0, min(overlap, task.delivered - task.finished - stall))
    return out
