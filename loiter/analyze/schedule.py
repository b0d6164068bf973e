"""The ideal schedule: what a FIFO pool with zero overhead would do with these durations.

It is the yardstick for measured runs (tests, fidelity, "guess first" in a
lecture). Workers take tasks in submission order, as both stdlib pools do;
strategies change when tasks are submitted (``bounded``), how they are packed
(``chunksize``), who delivers them (``callbacks``) and in which order, and the
consumer's delay after each result turns waiting results into backlog.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass

from loiter.model.names import CALLER, SIMULATED
from loiter.model.options import Options
from loiter.model.trace import OK, Blocked, Run, Task


@dataclass(frozen=True)
class IdealTask:
    index: int
    submitted: float
    started: float
    finished: float
    delivered: float
    worker: int = 0  # lane number, 0-based; the caller itself for ``sequential``
    asked: float | None = None  # the caller began the wait this delivery ended (None: no wait)


class _Pool:
    """Identical workers taking tasks in submission order: the earliest free one goes next."""

    def __init__(self, workers: int) -> None:
        self.free = [(0.0, w) for w in range(workers)]

    def take(self, release: float, duration: float, hold: float = 0.0) -> tuple[int, float]:
        """Run a task released at ``release``; the worker stays busy ``hold`` after it."""
        free_at, worker = heapq.heappop(self.free)
        start = max(release, free_at)
        heapq.heappush(self.free, (start + duration + hold, worker))
        return worker, start


def ideal_schedule(
    seconds: Sequence[float],
    workers: int,
    strategy: str,
    consumer_delay: float = 0.0,
    *,
    executor: str = "thread",
    chunksize: int = 1,
    buffersize: int | None = None,
) -> list[IdealTask]:
    """Timestamps for tasks of the given durations (seconds) under one strategy.

    ``chunksize`` packs ``map`` calls on process pools (thread pools ignore it,
    as CPython does); ``buffersize`` bounds ``bounded`` (None: unbounded);
    ``executor`` decides where ``callbacks`` run (the worker thread, or the
    process pool's single manager thread).
    """
    if strategy not in SIMULATED:
        raise ValueError(f"no ideal schedule for strategy {strategy!r}")
    n = len(seconds)
    delay = consumer_delay
    if strategy == "sequential":
        return _sequential(seconds, delay)
    if strategy == "bounded":
        return _bounded(seconds, workers, delay, buffersize or n or 1)
    if strategy == "callbacks" and executor == "process":
        return _callbacks_on_manager(seconds, workers, delay)
    pool = _Pool(workers)
    hold = delay if strategy == "callbacks" and executor == "thread" else 0.0
    size = chunksize if strategy == "map" and executor == "process" else 1
    lanes, starts, finishes, arrivals = [0] * n, [0.0] * n, [0.0] * n, [0.0] * n
    for first in range(0, n, size):
        chunk = range(first, min(first + size, n))
        lane, t = pool.take(0.0, sum(seconds[i] for i in chunk), hold)
        for i in chunk:
            lanes[i], starts[i] = lane, t
            t += seconds[i]
            finishes[i] = t
        for i in chunk:  # a chunk's results come back together
            arrivals[i] = t
    if strategy == "map":
        delivered, asked = _in_order(arrivals, delay)
    elif strategy == "as_completed":
        delivered, asked = _in_finish_order(arrivals, delay)
    elif strategy == "wait":
        delivered, asked = _in_batches(arrivals, delay)
    elif strategy in ("gather", "taskgroup"):
        delivered, asked = _all_at_once(arrivals)
    else:  # callbacks on a thread pool run in the worker, right after the task
        delivered, asked = arrivals, [None] * n
    return [
        IdealTask(i, 0.0, starts[i], finishes[i], delivered[i], lanes[i], asked[i])
        for i in range(n)
    ]


Deliveries = tuple[list[float], list[float | None]]


def _undelivered(n: int) -> Deliveries:
    """Delivery times to fill in, and when the caller asked for each (None: it never asks)."""
    asked: list[float | None] = [None] * n
    return [0.0] * n, asked


def _in_order(arrivals: Sequence[float], delay: float) -> Deliveries:
    delivered, asked = _undelivered(len(arrivals))
    caller = 0.0
    for i, ready in enumerate(arrivals):
        asked[i] = caller
        delivered[i] = max(ready, caller)
        caller = delivered[i] + delay
    return delivered, asked


def _in_finish_order(arrivals: Sequence[float], delay: float) -> Deliveries:
    delivered, asked = _undelivered(len(arrivals))
    caller = 0.0
    for i in sorted(range(len(arrivals)), key=lambda i: (arrivals[i], i)):
        asked[i] = caller
        delivered[i] = max(arrivals[i], caller)
        caller = delivered[i] + delay
    return delivered, asked


def _all_at_once(arrivals: Sequence[float]) -> Deliveries:
    """asyncio's ``gather`` (and a TaskGroup's block): one wait, every result once all are in."""
    last = max(range(len(arrivals)), key=lambda i: (arrivals[i], i), default=0)
    end = max(arrivals, default=0.0)
    asked: list[float | None] = [None] * len(arrivals)
    if arrivals:
        asked[last] = 0.0
    return [end] * len(arrivals), asked


def _in_batches(arrivals: Sequence[float], delay: float) -> Deliveries:
    """``wait(FIRST_COMPLETED)`` returns everything done by then; taken in input order."""
    delivered, asked = _undelivered(len(arrivals))
    by_arrival = sorted(range(len(arrivals)), key=lambda i: (arrivals[i], i))
    caller, k = 0.0, 0
    while k < len(by_arrival):
        ask = caller
        caller = max(caller, arrivals[by_arrival[k]])
        asked[by_arrival[k]] = ask
        batch = []
        while k < len(by_arrival) and arrivals[by_arrival[k]] <= caller:
            batch.append(by_arrival[k])
            k += 1
        for i in sorted(batch):
            delivered[i] = caller
            caller += delay
    return delivered, asked


def _bounded(seconds: Sequence[float], workers: int, delay: float, size: int) -> list[IdealTask]:
    """``map(buffersize=size)``: ``size`` up front, then each ``next()`` submits one more."""
    n = len(seconds)
    pool = _Pool(workers)
    placed: list[tuple[float, int, float]] = []  # (submitted, lane, started) by index

    def submit(at: float) -> None:
        lane, start = pool.take(at, seconds[len(placed)])
        placed.append((at, lane, start))

    for _ in range(min(size, n)):
        submit(0.0)
    out = []
    caller = 0.0
    for j in range(n):
        if len(placed) < n:
            submit(caller)
        submitted, lane, start = placed[j]
        finished = start + seconds[j]
        delivered = max(finished, caller)
        out.append(IdealTask(j, submitted, start, finished, delivered, lane, caller))
        caller = delivered + delay
    return out


def _callbacks_on_manager(seconds: Sequence[float], workers: int, delay: float) -> list[IdealTask]:
    """Process pools: callbacks run one at a time on the pool's manager thread.

    That thread also feeds the workers: between two results it tops up a call
    queue of ``workers + 1`` tasks, so slow callbacks can leave workers idle.
    """
    from concurrent.futures.process import EXTRA_QUEUED_CALLS

    capacity = workers + EXTRA_QUEUED_CALLS
    n = len(seconds)
    pool = _Pool(workers)
    starts: list[float] = []
    lanes: list[int] = []
    results: list[tuple[float, int]] = []  # (finished, index) of tasks handed to workers
    waiting = 0  # the first queued task not started yet (starts never decrease)

    def top_up(t: float) -> None:
        nonlocal waiting
        while True:
            while waiting < len(starts) and starts[waiting] <= t:
                waiting += 1
            if len(starts) == n or len(starts) - waiting >= capacity:
                return
            queue(t)

    def queue(t: float) -> None:
        lane, start = pool.take(t, seconds[len(starts)])
        heapq.heappush(results, (start + seconds[len(starts)], len(starts)))
        starts.append(start)
        lanes.append(lane)

    for _ in range(min(capacity, n)):  # filled at once, before any worker takes a task
        queue(0.0)
    manager = 0.0
    delivered = [0.0] * n
    while results:
        finished, i = heapq.heappop(results)
        manager = max(manager, finished)
        delivered[i] = manager
        manager += delay
        top_up(manager)
    return [
        IdealTask(i, 0.0, starts[i], starts[i] + seconds[i], delivered[i], lanes[i])
        for i in range(n)
    ]


def _sequential(seconds: Sequence[float], delay: float) -> list[IdealTask]:
    out = []
    t = 0.0
    for i, duration in enumerate(seconds):
        out.append(IdealTask(i, t, t, t + duration, t + duration))
        t += duration + delay
    return out


def ideal_run(
    ideal: Sequence[IdealTask],
    *,
    args: Sequence[object],
    scenario: str,
    strategy: str,
    executor: str,
    workers: int,
    unit: float,
    workload: str = "loiter",
    options: dict[str, object] | None = None,
) -> Run:
    """The prediction as a Run, so every renderer draws it like a measured one."""
    caller = strategy == "sequential"  # the baseline ran in the caller, no pool
    tasks = [
        Task(
            index=t.index,
            arg=arg,
            submitted=t.submitted,
            started=t.started,
            finished=t.finished,
            delivered=t.delivered,
            worker=CALLER if caller else f"worker {t.worker + 1}",
            outcome=OK,
        )
        for t, arg in zip(ideal, args, strict=True)
    ]
    blocked = sorted(
        (Blocked(t.asked, t.delivered, t.index) for t in ideal if t.asked is not None),
        key=lambda b: (b.ask, b.got),
    )
    return Run(
        scenario=scenario,
        strategy=strategy,
        executor=executor,
        workers=workers,
        unit=unit,
        tasks=tasks,
        caller_blocked=blocked,
        workload=workload,
        options={"predicted": True, **(options or {})},
    )


# Workloads whose argument is a duration in units, so the prediction needs no run.
TIMED_WORKLOADS = ("loiter", "spin")


def ideal_for(run: Run) -> list[IdealTask] | None:
    """The ideal schedule of a recorded run, from its own options.

    Durations are the nominal ``arg * unit`` for loiter and spin (so the GIL
    shows as a gap); for any other workload, the measured running times.
    None when there is nothing to compare (no tasks, unknown strategy).
    """
    if not run.tasks or run.strategy not in SIMULATED:
        return None
    if run.workload in TIMED_WORKLOADS and all(
        isinstance(t.arg, (int, float)) and not isinstance(t.arg, bool) for t in run.tasks
    ):
        seconds = [t.arg * run.unit for t in run.tasks]
    else:
        seconds = [t.ran or 0.0 for t in run.tasks]
    opts = Options.of(run)
    return ideal_schedule(
        seconds,
        run.workers,
        run.strategy,
        opts.consumer_delay,
        executor=run.executor,
        chunksize=opts.chunksize,
        buffersize=opts.buffersize,
    )
