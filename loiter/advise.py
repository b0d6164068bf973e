"""What-if advice: replay a trace's measured task durations under alternatives.

Takes each task's measured ``ran`` time (finished - started), feeds it to the
ideal-schedule simulator for every strategy it knows and a few worker counts,
and ranks the predictions against what was measured. Works on any trace,
including one recorded from a user's own executor.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field

from .schedule import IdealTask, ideal_schedule
from .strategies import STRATEGIES
from .trace import STALL_EPSILON, Run, Trace

ASSUMPTIONS = (
    "task durations are the measured ones and do not depend on the worker count or strategy",
    "all tasks are submitted at once, pools start tasks in submission order, no overhead",
    "the caller does no work of its own between results",
)
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


@dataclass(frozen=True)
class Advice:
    """Ranked predictions for one measured run, and what to do about it."""

    run: Run
    measured: Prediction
    predictions: list[Prediction]  # best first
    recommendation: str
    warnings: list[str] = field(default_factory=list)
    assumptions: tuple[str, ...] = ASSUMPTIONS


def simulate(seconds: Sequence[float], workers: int, strategy: str) -> Prediction:
    """The simulator's numbers for one alternative (held time is all stall: no consumer work)."""
    tasks: list[IdealTask] = ideal_schedule(seconds, workers, strategy)
    return Prediction(
        strategy,
        workers,
        makespan=max((max(t.finished, t.delivered) for t in tasks), default=0.0),
        first_result=min((t.delivered for t in tasks), default=0.0),
        total_stall=sum(
            t.delivered - t.finished for t in tasks if t.delivered - t.finished > STALL_EPSILON
        ),
    )


def simulated_strategies() -> list[str]:
    """Every strategy the simulator can replay (new ones are picked up automatically)."""
    out = []
    for name in STRATEGIES:
        try:
            ideal_schedule([1.0], 1, name)
        except (ValueError, KeyError):
            continue
        out.append(name)
    return out


def worker_options(workers: int, tasks: int, cpu_bound: bool = False) -> list[int]:
    """The measured count, halved, one more, doubled, and one per task (no more can help).

    CPU-bound work cannot go faster with more workers than cores, so none are offered.
    """
    top = min(tasks, os.cpu_count() or 1) if cpu_bound else tasks
    counts = {workers, max(1, workers // 2), workers + 1, workers * 2, tasks}
    return sorted(w for w in counts if 1 <= w <= max(top, 1, workers if cpu_bound else 1))


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
    spans = [(t.started, t.finished) for t in run.tasks if t.ran]
    points = []  # (concurrency, seconds per unit of argument) per task
    for t in run.tasks:
        if not t.ran or not isinstance(t.arg, (int, float)) or t.arg <= 0:
            continue
        overlap = sum(
            max(0.0, min(t.finished, b) - max(t.started, a))
            for a, b in spans  # type: ignore[arg-type]
        )
        points.append((overlap / t.ran, t.ran / t.arg))
    if len(points) < 2:
        return False
    (c_lo, r_lo), (c_hi, r_hi) = min(points), max(points)
    if c_hi < 1.3 * c_lo:  # the tasks never ran side by side more than alone: no evidence
        return False
    # Sharing one core, time per unit grows with the tasks running beside it; with
    # a core each (or when sleeping) it does not. Demand half the proportional growth.
    return r_hi / r_lo > 1 + 0.5 * (c_hi / c_lo - 1)


def advise(target: Run | Trace) -> list[Advice]:
    """Advice for every run of a trace (or for one run)."""
    runs = target.runs if isinstance(target, Trace) else [target]
    return [advise_run(run) for run in runs if run.tasks]


def advise_run(run: Run) -> Advice:
    seconds = [t.ran or 0.0 for t in sorted(run.tasks, key=lambda t: t.index)]
    s = run.summary()
    measured = Prediction(
        run.strategy, run.workers, s.makespan or 0.0, s.first_result or 0.0, s.total_stall
    )
    predictions = sorted(
        (
            simulate(seconds, w, name)
            for name in simulated_strategies()
            for w in worker_options(run.workers, len(seconds), cpu_bound=run.workload == "spin")
        ),
        key=lambda p: (round(p.makespan, 6), round(p.first_result, 6), p.total_stall),
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
    return Advice(run, measured, predictions, recommend(run, measured, predictions, gil), warnings)


def recommend(run: Run, measured: Prediction, predictions: list[Prediction], gil: bool) -> str:
    """One plain-language sentence: the strategy change first, then the pool size."""
    same_w = [p for p in predictions if p.workers == run.workers]
    best = min(same_w, key=lambda p: (p.first_result, p.total_stall, p.makespan), default=None)
    noise = max(NOTABLE * measured.makespan, STALL_EPSILON)
    parts = []
    if best is not None and best.strategy != run.strategy:
        sooner = measured.first_result - best.first_result
        gone = measured.total_stall - best.total_stall
        if sooner > noise or gone > noise:
            parts.append(
                f"switch to {best.strategy}: first result {max(sooner, 0.0):.2f} s sooner, "
                f"{max(gone, 0.0):.2f} s of held results gone"
            )
    if not parts:
        if run.strategy == "map" and measured.total_stall <= noise:
            parts.append("map is fine here: completion order already matches input order")
        else:
            parts.append(f"{run.strategy} is fine here: no strategy delivers sooner")
    fastest = predictions[0] if predictions else None
    if fastest is not None and measured.makespan - fastest.makespan > noise:
        if gil:
            parts.append("more threads will not help this CPU-bound work: use processes")
        elif fastest.workers != run.workers:
            parts.append(
                f"with {fastest.workers} workers the makespan would drop from "
                f"{measured.makespan:.2f} s to {fastest.makespan:.2f} s"
            )
    return "; ".join(parts)


def advice_table(advice: Advice, limit: int = 8):  # -> rich.table.Table (rich imported lazily)
    """The ranked alternatives, measured first, with the change against it."""
    from rich.table import Table

    run, m = advice.run, advice.measured
    table = Table(
        title=f"What if? {run.label} on {run.executor} x{run.workers} (seconds)",
        title_justify="left",
        header_style="bold",
    )
    for name in ("strategy", "workers", "makespan", "change", "1st result", "change", "stall"):
        table.add_column(name, justify="left" if name == "strategy" else "right")
    table.add_row(
        f"{m.strategy} (measured)",
        str(m.workers),
        f"{m.makespan:.3f}",
        "",
        f"{m.first_result:.3f}",
        "",
        f"{m.total_stall:.3f}",
        style="dim",
    )
    for p in advice.predictions[:limit]:
        table.add_row(
            p.strategy,
            str(p.workers),
            f"{p.makespan:.3f}",
            _change(p.makespan - m.makespan),
            f"{p.first_result:.3f}",
            _change(p.first_result - m.first_result),
            f"{p.total_stall:.3f}",
        )
    return table


def _change(delta: float) -> str:
    colour = "green" if delta < 0 else "red" if delta > 0 else "white"
    return f"[{colour}]{delta:+.3f}[/]"
