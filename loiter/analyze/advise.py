"""What-if advice: replay a trace's measured task durations under alternatives.

Takes each task's measured ``ran`` time (finished - started), feeds it to the
ideal-schedule simulator for every strategy it knows and a few worker counts,
and ranks the predictions against what was measured. Works on any trace,
including one recorded from a user's own executor.
"""

from __future__ import annotations

import bisect
import itertools
import os
import statistics
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from loiter.analyze.schedule import ideal_run, ideal_schedule
from loiter.model.names import POOLLESS, SIMULATED, strategies_on
from loiter.model.options import Options
from loiter.model.trace import STALL_EPSILON, Run, Trace, submitting_clock

ASSUMPTIONS = (
    "task durations are the measured ones and do not depend on the worker count or strategy",
    "all tasks are submitted at once (bounded: as the buffer allows), pools start tasks in "
    "submission order, no overhead (so chunksize's saving on inter-process calls is not counted)",
    "the caller spends the run's recorded (or inferred) consumer delay on each result, "
    "and no other time",
)
# More workers than this are not offered to I/O-bound work, whatever the task count:
# a pool of 10,000 threads is no advice (CPU-bound work gets the cores at most).
MAX_OFFERED_WORKERS = 32
# A change smaller than this share of the makespan (or than STALL_EPSILON) is noise, not advice.
NOTABLE = 0.05


@dataclass(frozen=True)
class Prediction:
    """One alternative, simulated: the same numbers as a run's Summary."""

    strategy: str
    workers: int
    makespan: float
    first_result: float
    total_stall: float
    chunksize: int = 1  # map on process pools only
    buffersize: int | None = None  # bounded only; None: unbounded

    @property
    def label(self) -> str:
        """The strategy with the knob that shapes it, spelled as the CLI's options."""
        if self.chunksize != 1:
            return f"{self.strategy} chunksize={self.chunksize}"
        if self.buffersize is not None:
            return f"{self.strategy} buffersize={self.buffersize}"
        return self.strategy


@dataclass(frozen=True)
class Advice:
    """Ranked predictions for one measured run, and what to do about it."""

    run: Run
    measured: Prediction
    predictions: list[Prediction]  # best first
    recommendation: str
    warnings: list[str] = field(default_factory=list)
    assumptions: tuple[str, ...] = ASSUMPTIONS
    notes: list[str] = field(default_factory=list)  # what the advice inferred from the trace


def simulate(
    seconds: Sequence[float], workers: int, strategy: str, consumer_delay: float = 0.0, **knobs: Any
) -> Prediction:
    """The simulator's numbers for one alternative, counted by ``Run.summary()`` itself.

    ``knobs`` are :func:`~loiter.ideal_schedule`'s: executor, chunksize, buffersize.
    """
    tasks = ideal_schedule(seconds, workers, strategy, consumer_delay, **knobs)
    executor = knobs.get("executor", "thread")
    summary = ideal_run(
        tasks,
        args=[None] * len(tasks),
        scenario="what-if",
        strategy=strategy,
        executor=executor,
        workers=workers,
        unit=1.0,
    ).summary()
    return Prediction(
        strategy,
        workers,
        makespan=summary.makespan or 0.0,
        first_result=summary.first_result or 0.0,
        total_stall=summary.total_stall,
        chunksize=knobs.get("chunksize", 1),
        buffersize=knobs.get("buffersize"),
    )


def worker_options(workers: int, tasks: int, cpu_bound: bool = False) -> list[int]:
    """The measured count, halved, one more, doubled, and the most worth offering.

    The most is one per task (no more can help), capped at what a user could
    adopt: ``max(2 * workers, MAX_OFFERED_WORKERS)``. CPU-bound work cannot go
    faster with more workers than cores, so none are offered.
    """
    cap = (os.cpu_count() or 1) if cpu_bound else max(2 * workers, MAX_OFFERED_WORKERS)
    top = min(tasks, cap)
    counts = {workers, max(1, workers // 2), workers + 1, workers * 2, top}
    return sorted(w for w in counts if 1 <= w <= max(top, 1, workers if cpu_bound else 1))


def chunksize_options(chunksize: int, tasks: int, workers: int) -> list[int]:
    """One call per item, the measured size halved and doubled, and one chunk per worker."""
    sizes = {1, chunksize, max(1, chunksize // 2), chunksize * 2, -(-tasks // workers)}
    return sorted(c for c in sizes if c <= max(tasks, 1) or c == chunksize)


def buffersize_options(buffersize: int | None, tasks: int, workers: int) -> list[int | None]:
    """One task ahead per worker, two, and the measured size (None: unbounded, i.e. ``map``).

    A buffer of all the tasks or more is plain ``map``, so it is offered only as measured.
    """
    sizes: set[int | None] = {b for b in (workers, 2 * workers) if b < tasks}
    if buffersize is not None or not sizes:
        sizes.add(buffersize)
    return sorted(sizes, key=lambda b: tasks if b is None else b)


def alternatives(run: Run, tasks: int) -> Iterator[tuple[str, int, int, int | None]]:
    """(strategy, workers, chunksize, buffersize) for every alternative worth simulating.

    ``chunksize`` only changes ``map`` on process pools (thread pools ignore it);
    ``buffersize`` only ``bounded``; ``sequential`` has no pool, so no worker counts.
    """
    chunks, buffer = knobs(run)
    counts = worker_options(run.workers, tasks, cpu_bound=run.workload == "spin")
    for name in (s for s in SIMULATED if s in strategies_on(run.executor)):
        if name in POOLLESS:
            yield name, 1, 1, None
            continue
        for w in counts:
            if name == "map" and run.executor == "process":
                for c in chunksize_options(chunks, tasks, w):
                    yield name, w, c, None
            elif name == "bounded":
                for b in buffersize_options(buffer, tasks, w):
                    yield name, w, 1, b
            else:
                yield name, w, 1, None


def knobs(run: Run) -> tuple[int, int | None]:
    """The chunksize and buffersize a run was recorded with (defaults when not recorded)."""
    opts = Options.of(run)
    return opts.chunksize, opts.buffersize


def gil_bound(run: Run) -> bool:
    """Did tasks run slower per unit of argument when more of them ran at once?

    Under the GIL, CPU-bound threads share one core, so a task's measured time
    grows with the number of tasks running beside it. Compare the time per
    unit of argument of the least and the most crowded task (the GIL is not
    fair, so "alone" rarely happens: concurrency is measured, not assumed).
    """
    if run.executor != "thread":
        return False
    if run.workload == "spin":
        return True
    points = concurrency(run)
    if len(points) < 2:
        return False
    (c_lo, r_lo), (c_hi, r_hi) = min(points), max(points)
    if c_hi < 1.3 * c_lo:  # the tasks never ran side by side more than alone: no evidence
        return False
    # Sharing one core, time per unit grows with the tasks running beside it; with
    # a core each (or when sleeping) it does not. Demand half the proportional growth.
    return r_hi / r_lo > 1 + 0.5 * (c_hi / c_lo - 1)


def concurrency(run: Run) -> list[tuple[float, float]]:
    """(tasks running on average while it ran, seconds per unit of argument) per task.

    The tasks running at time x (itself included) are c(x); a task's overlap
    with all the others is the integral of c over its run, C(finish) - C(start),
    where C(x) = sum over spans of clamp(x - start, 0, ran). Sorted starts and
    finishes with prefix sums give C at any x by bisection: O(n log n) in all,
    not one comparison per pair of tasks.
    """
    spans = [
        (t.started, t.finished)
        for t in run.tasks
        if t.started is not None and t.finished is not None and t.finished > t.started
    ]
    starts = sorted(a for a, _ in spans)
    finishes = sorted(b for _, b in spans)
    start_sums = [0.0, *itertools.accumulate(starts)]
    finish_sums = [0.0, *itertools.accumulate(finishes)]

    def covered(x: float) -> float:  # C(x): running-task seconds before x
        i, j = bisect.bisect_left(starts, x), bisect.bisect_left(finishes, x)
        return (x * i - start_sums[i]) - (x * j - finish_sums[j])

    points = []
    for t in run.tasks:
        ran = t.ran
        if not ran or ran <= 0 or not isinstance(t.arg, (int, float)) or t.arg <= 0:
            continue
        overlap = covered(t.finished) - covered(t.started)  # type: ignore[arg-type]
        points.append((overlap / ran, ran / t.arg))
    return points


def consumer_delay(run: Run) -> tuple[float, str | None]:
    """The seconds the caller spends on each result, and a note when they were inferred.

    A run records ``options["consumer_delay"]`` when it set one; a user's own
    trace does not, but its caller waits show it: each wait ends with a
    delivery, so the median gap between one wait's end and the next ask is
    the caller's own time per result, less what it spent submitting in the gap
    (bounded submits one more before each wait: not the caller's work on a result).
    Gaps within scheduling noise (STALL_EPSILON) mean no delay.
    """
    if "consumer_delay" in run.options:
        return Options.of(run).consumer_delay, None
    waits = sorted(run.caller_blocked, key=lambda b: b.ask)
    submitting = submitting_clock(run)
    gaps = [
        max(0.0, b.ask - a.got - (submitting(b.ask) - submitting(a.got)))
        for a, b in itertools.pairwise(waits)
    ]
    delay = statistics.median(gaps) if gaps else 0.0
    if delay <= STALL_EPSILON:
        return 0.0, None
    return delay, (
        f"the run recorded no consumer delay: replayed with {delay:.3f} s per result, inferred "
        f"from the trace (median of {len(gaps)} gaps between a delivery and the caller's next ask)"
    )


def advise(target: Run | Trace) -> list[Advice]:
    """Advice for every run of a trace (or for one run)."""
    runs = target.runs if isinstance(target, Trace) else [target]
    return [advise_run(run) for run in runs if run.tasks]


def advise_run(run: Run) -> Advice:
    seconds = [t.ran or 0.0 for t in sorted(run.tasks, key=lambda t: t.index)]
    delay, inferred = consumer_delay(run)
    s = run.summary()
    measured = Prediction(
        run.strategy,
        run.workers,
        s.makespan or 0.0,
        s.first_result or 0.0,
        s.total_stall,
        *knobs(run),
    )
    predictions = sorted(
        (
            simulate(seconds, w, name, delay, executor=run.executor, chunksize=c, buffersize=b)
            for name, w, c, b in alternatives(run, len(seconds))
        ),
        key=lambda p: (
            round(p.makespan, 6),
            round(p.first_result, 6),
            round(p.total_stall, 6),
            p.workers,
        ),
    )
    warnings = []
    gil = gil_bound(run)
    if gil:
        warnings.append(
            "tasks ran slower when more ran at once on threads: CPU-bound work under the GIL. "
            "Predictions for other worker counts are wrong here; use a process pool to scale."
        )
    if any(t.ran is None for t in run.tasks):
        warnings.append("some tasks never ran (cancelled or lost): they count as 0 s here")
    recommendation = recommend(run, measured, predictions, gil)
    notes = [inferred] if inferred else []
    return Advice(run, measured, predictions, recommendation, warnings, notes=notes)


def recommend(run: Run, measured: Prediction, predictions: list[Prediction], gil: bool) -> str:
    """One plain-language sentence: what delivers sooner first, then what finishes sooner."""
    same_w = [p for p in predictions if p.workers == run.workers]
    best = min(same_w, key=lambda p: (p.first_result, p.total_stall, p.makespan), default=None)
    noise = _noise(measured)
    parts = []
    now = measured  # the setup the advice has got to so far
    if best is not None and differences(measured, best):
        sooner = measured.first_result - best.first_result
        gone = measured.total_stall - best.total_stall
        if sooner > noise or gone > noise:
            parts.append(
                f"{switch(measured, best)}: first result {max(sooner, 0.0):.2f} s sooner, "
                f"{max(gone, 0.0):.2f} s of held results gone"
            )
            now = best
    if not parts:
        if run.strategy == "map" and measured.total_stall <= noise:
            parts.append("map is fine here: completion order already matches input order")
        else:
            parts.append(f"{measured.label} is fine here: nothing delivers sooner")
    return "; ".join(parts + faster(measured, now, predictions, gil))


def _noise(measured: Prediction) -> float:
    """A change smaller than this is not worth advising."""
    return max(NOTABLE * measured.makespan, STALL_EPSILON)


def faster(
    measured: Prediction, now: Prediction, predictions: list[Prediction], gil: bool
) -> list[str]:
    """What shortens the makespan: first with the same workers, then with more.

    Each pick is as fast as the fastest of its kind, with the fewest workers,
    then the fewest changes from ``now`` (the setup advised so far).
    """
    noise = _noise(measured)
    out: list[str] = []
    reached = measured.makespan
    for pool in ([p for p in predictions if p.workers == now.workers], predictions):
        top = min((p.makespan for p in pool), default=reached)
        if reached - top <= noise:
            continue
        pick = min(
            (p for p in pool if p.makespan <= top * 1.01),
            key=lambda p: (
                p.workers,
                len(differences(now, p)),
                p.strategy != now.strategy,
                p.first_result,
            ),
        )
        change = " and ".join(differences(now, pick))
        if gil and pick.workers != now.workers:
            out.append("more threads will not help this CPU-bound work: use processes")
            continue
        if not change and now is measured:
            continue  # the same setup, predicted without overhead: nothing to change
        if not change:
            out.append(f"the makespan would drop from {reached:.2f} s to {pick.makespan:.2f} s too")
        elif out:
            out.append(f"with {change}, to {pick.makespan:.2f} s")
        else:
            out.append(
                f"with {change} the makespan would drop from {reached:.2f} s "
                f"to {pick.makespan:.2f} s"
            )
        reached = pick.makespan
    return out


def differences(ref: Prediction, p: Prediction) -> list[str]:
    """How setup ``p`` differs from ``ref``, in words ("as_completed", "4 workers", ...).

    A knob falls back to its default with a change of strategy, unsaid.
    """
    out = []
    if p.strategy != ref.strategy:
        out.append(p.strategy)
    if p.workers != ref.workers:
        out.append(f"{p.workers} workers")
    same = p.strategy == ref.strategy
    if p.chunksize != ref.chunksize and (same or p.chunksize != 1):
        out.append(f"chunksize {p.chunksize}")
    if p.buffersize != ref.buffersize and (same or p.buffersize is not None):
        out.append("no buffersize" if p.buffersize is None else f"buffersize {p.buffersize}")
    return out


def switch(ref: Prediction, p: Prediction) -> str:
    """ "switch to as_completed", "switch to bounded with buffersize 3", "use chunksize 1"."""
    change = differences(ref, p)
    if p.strategy == ref.strategy:
        return "use " + " and ".join(change)
    return f"switch to {change[0]}" + (f" with {' and '.join(change[1:])}" if change[1:] else "")
