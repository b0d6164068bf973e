"""Timing judgements that a loaded machine cannot pass or fail by luck.

A measured run is compared with the ideal schedule that its *own* measurements
imply: each task lasts from its ideal start to its measured finish, so a late
wake-up (a sleep that overshot, a slow hand-off) is judged once, where it
happened, and never carried into every timestamp after it. The tolerance comes
from the noise measured in the same run (how late its sleeps and idle workers
woke), above a floor. A run so noisy that its tolerance would approach the
effect under test raises :class:`TooNoisy`, an AssertionError, so that
pytest-rerunfailures measures again instead of the test passing or failing by
luck; a test that takes its own measurement re-takes it at once, on a longer
unit, with :func:`quiet`.
"""

from __future__ import annotations

import concurrent.futures as cf
import itertools
import multiprocessing
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TypeVar

from loiter.analyze.schedule import IdealTask, ideal_run, ideal_schedule
from loiter.execute.executors import safe_start_method, warm_up
from loiter.model.trace import OK, Run

FLOOR = 0.01  # seconds: a hand-off through a process pool wakes three threads
FACTOR = 2  # a judged timestamp may suffer two wake-ups as late as the worst one measured
QUIET_FRACTION = 0.5  # of the effect under test: a larger tolerance could hide it
# Strategies that deliver results in the order they arrive, not in input order.
ARRIVAL_ORDER = ("as_completed", "wait", "callbacks")
# Strategies whose submissions wait for the caller.
CALLER_PACED = ("bounded", "sequential")
JUDGED = ("submitted", "started", "delivered")  # the finishes are the calibration itself
SCALES = (1, 2, 4)  # quiet()'s tries: multiples of the unit

T = TypeVar("T")


class TooNoisy(AssertionError):
    """The run was too noisy to judge: measure again (pytest-rerunfailures retries it)."""


@dataclass(frozen=True)
class Yardstick:
    """What one measured run is judged against: its calibrated ideal and its own tolerance."""

    ideal: list[IdealTask]
    fields: tuple[str, ...]  # the timestamps judged
    noise: float  # seconds: the latest wake-up measured in the run
    tolerance: float  # seconds: how far a right schedule may be off on this run

    def check(self, run: Run) -> None:
        """Every task's timestamps within the tolerance of the ideal ones.

        Where results are delivered as they arrive, two that arrive within the
        tolerance of each other may come in either order (noise decides): each
        may then take the other's delivery time, and nothing else.
        """
        by_arrival = run.strategy in ARRIVAL_ORDER
        for task, want in zip(run.tasks, self.ideal, strict=True):
            for name in self.fields:
                got, ideal = getattr(task, name), getattr(want, name)
                if name == "delivered" and by_arrival:
                    ideal = min(
                        (t.delivered for t in self.ideal if self._tied(t, want)),
                        key=lambda d: abs(got - d),
                    )
                assert abs(got - ideal) <= self.tolerance, (
                    f"#{task.index} {name} {got:.4f} s, ideal {ideal:.4f} s "
                    f"± {self.tolerance:.4f} (noise {self.noise:.4f} s)"
                )

    def check_stalls(self, run: Run) -> None:
        """Each task's ordering stall within the tolerance of the ideal one, on the same culprit."""
        ideal = self.ideal_run(run)
        for task, got, want in zip(run.tasks, run.stalls(), ideal.stalls(), strict=True):
            assert abs(got.seconds - want.seconds) <= self.tolerance, (
                f"#{task.index} stalled {got.seconds:.4f} s, ideal {want.seconds:.4f} s "
                f"± {self.tolerance:.4f} (noise {self.noise:.4f} s)"
            )
            if want.seconds > self.tolerance:
                assert got.blocked_on == want.blocked_on, (task.index, got, want)
        got_first, want_first = run.summary().first_result, ideal.summary().first_result
        assert abs(got_first - want_first) <= self.tolerance, (got_first, want_first)

    def _tied(self, a: IdealTask, b: IdealTask) -> bool:
        return abs(a.finished - b.finished) <= self.tolerance

    def ideal_run(self, run: Run) -> Run:
        """The calibrated ideal as a Run, for comparing stalls and summaries."""
        return ideal_run(
            self.ideal,
            args=[t.arg for t in run.tasks],
            scenario=run.scenario,
            strategy=run.strategy,
            executor=run.executor,
            workers=run.workers,
            unit=run.unit,
            options=run.options,
        )


def _schedule(run: Run, seconds: Sequence[float], delay: float) -> list[IdealTask]:
    opts = run.options
    return ideal_schedule(
        seconds,
        run.workers,
        run.strategy,
        delay,
        executor=run.executor,
        chunksize=int(opts.get("chunksize", 1)),
        buffersize=opts.get("buffersize"),
    )


def consumer_steps(run: Run) -> list[float]:
    """The caller's measured time per result where it did not wait for one: its own work.

    Consecutive deliveries of results that were ready before the caller was
    done with the previous one (sequential: from a delivery to the next call).
    """
    delay = float(run.options.get("consumer_delay", 0.0))
    if run.strategy == "sequential":
        return [b.submitted - a.delivered for a, b in itertools.pairwise(run.tasks)]
    if run.strategy == "callbacks" and run.executor == "thread":
        return []  # the delay keeps the worker busy, where calibrated durations absorb it
    order = sorted(run.tasks, key=lambda t: t.delivered)
    return [
        b.delivered - a.delivered
        for a, b in itertools.pairwise(order)
        if b.finished <= a.delivered + delay
    ]


def calibrated_ideal(run: Run, delay: float, pool: bool = True) -> list[IdealTask]:
    """The ideal schedule in which every task finishes when it really did.

    A task's start depends only on the tasks submitted before it (workers take
    tasks in order), so durations are found one task at a time: its ideal start
    given the durations before it, then the measured finish minus that start.
    Without a FIFO ``pool`` (a cluster's scheduler decides), each task gets a
    lane of its own and arrives when it finished. ``delay`` is the consumer's
    measured delay per result, so that its sleeps' overshoot does not pile up
    along a backlog either.
    """
    if not pool:
        lanes = replace(run, workers=len(run.tasks))
        return _schedule(lanes, [t.finished for t in run.tasks], delay)
    seconds: list[float] = []
    for i, task in enumerate(run.tasks):
        start = _schedule(run, [*seconds, 0.0], delay)[i].started
        seconds.append(max(0.0, task.finished - start))
    return _schedule(run, seconds, delay)


def yardstick(
    run: Run,
    *,
    effect: float | None = None,
    nominal: Sequence[float] | None = None,
    floor: float = FLOOR,
    pool: bool = True,
) -> Yardstick:
    """Calibrate the ideal and the tolerance of one run, or raise TooNoisy.

    The noise is the latest wake-up measured in the run: each task's overshoot
    of its ``nominal`` seconds (default ``arg * unit``, as loiter sleeps), each
    idle worker's pick-up, each consumer delay's overshoot, each gap between
    submissions made back to back (and without a pool, the last result's
    trip back). ``effect`` is the smallest error a wrong
    schedule makes (default: one unit); the tolerance must stay below
    ``QUIET_FRACTION`` of it (see :func:`tolerance`). Without a FIFO ``pool``
    only deliveries are judged (see :func:`calibrated_ideal`).
    """
    assert run.tasks and all(t.outcome == OK for t in run.tasks), run.tasks
    delay = float(run.options.get("consumer_delay", 0.0))
    steps = consumer_steps(run)
    assert min(steps, default=delay) >= delay - 0.001, f"the consumer took {steps}, not {delay}"
    ideal = calibrated_ideal(run, sum(steps) / len(steps) if steps else delay, pool)
    planned = [t.arg * run.unit for t in run.tasks] if nominal is None else nominal
    late = {f"#{t.index} ran over": t.ran - p for t, p in zip(run.tasks, planned, strict=True)}
    for k, (t, i) in enumerate(zip(run.tasks, ideal)):
        if (i.started == i.submitted) if pool else k < run.workers:
            late[f"#{t.index} picked up"] = t.started - t.submitted
    if not pool:  # nothing can hold the last result to finish: its lag is the return trip
        last = max(run.tasks, key=lambda t: t.finished)
        late[f"#{last.index} came back"] = last.delivered - last.finished
    for k, step in enumerate(steps):
        late[f"consumer delay {k} ran over"] = step - delay
    if run.strategy not in CALLER_PACED:  # everything is submitted up front, back to back
        for a, b in itertools.pairwise(run.tasks):
            late[f"#{b.index} submitted after #{a.index}"] = b.submitted - a.submitted
    early = min(late, key=late.__getitem__)
    assert late[early] >= -0.001, f"{run.label}: {early} by {late[early]:.4f} s: ended early"
    fields = JUDGED if pool else ("delivered",)
    return Yardstick(ideal, fields, *tolerance(late, run.unit if effect is None else effect, floor))


def tolerance(late: dict[str, float], effect: float, floor: float = FLOOR) -> tuple[float, float]:
    """(noise, tolerance) from how late things woke in a run (by what), or raise TooNoisy.

    ``effect`` is the smallest error a wrong schedule makes: the tolerance must
    stay below ``QUIET_FRACTION`` of it.
    """
    worst = max(late, key=late.__getitem__, default="nothing")
    noise = max(0.0, late.get(worst, 0.0))
    allowed = floor + FACTOR * noise
    limit = QUIET_FRACTION * effect
    if allowed > limit:
        raise TooNoisy(
            f"too noisy to judge: {worst} by {noise * 1000:.1f} ms makes the tolerance "
            f"{allowed * 1000:.1f} ms, over {limit * 1000:.1f} ms"
        )
    return noise, allowed


def quiet(measure: Callable[[float], T], judge: Callable[[T], object], unit: float) -> T:
    """Measure at ``unit`` until ``judge`` does not raise TooNoisy, then its assertions stand.

    Each new try doubles the unit: the effect under test grows with it, the
    machine's noise does not. The last try's TooNoisy goes to pytest-rerunfailures.
    """
    for scale in SCALES[:-1]:
        measured = measure(unit * scale)
        try:
            judge(measured)
        except TooNoisy:
            continue
        return measured
    measured = measure(unit * SCALES[-1])
    judge(measured)
    return measured


# A bare pool counts as showing parallelism from this speedup on (1.0: none, 2.0: ideal).
PARALLEL = 1.4


def bare_speedup(task: Callable[[float], object], args: Sequence[float], repeats: int = 3) -> float:
    """How much faster a bare process pool of 2 runs ``args`` than a pool of 1, right now.

    The reference for a speedup measured by loiter-viz beside it: the median of
    ``repeats`` pairs, each pair measured back to back so a burst of load hits both.
    Each pool is made and warmed up for its one measurement, started as
    loiter-viz starts its own, because that is how a run gets its pool: beside a
    CPU hog, long-lived warm pools scaled 1.17-1.45x while a sweep's fresh ones
    scaled 1.04-1.11x; fresh bare pools beside traced ones scaled alike (medians
    1.10 and 1.14 over six pairs).
    """
    context = multiprocessing.get_context(safe_start_method(task))

    def took(workers: int) -> float:
        with cf.ProcessPoolExecutor(workers, mp_context=context) as pool:
            warm_up(pool, workers)
            began = time.perf_counter()
            list(pool.map(task, args))
            return time.perf_counter() - began

    return statistics.median(took(1) / took(2) for _ in range(repeats))
