"""Sweeps: the same scenario over a grid of worker counts, executors and strategies.

One run answers "what happened"; a sweep answers "how does it scale". Every run
of the grid goes into one Trace (``Run.options["repeat"]`` tells repeats apart),
so the chart is a pure function of the file.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from .runner import Experiment, run_one
from .scenarios import Scenario
from .trace import Run, Summary, Trace
from .workloads import resolve

# Mixed durations, more tasks than a small pool: scaling and ordering stalls both show.
SWEEP_ARGS = (3, 1, 2, 1, 3, 1, 2, 1)

# The three numbers a sweep chart plots, as Summary attribute -> axis label.
METRICS = {
    "makespan": "makespan",
    "first_result": "time to first result",
    "total_stall": "total ordering stall",
}


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


@dataclass(frozen=True)
class Sweep:
    """The grid: every executor x strategy x worker count, ``repeat`` times."""

    scenario: Scenario
    workers: Sequence[int]
    executors: Sequence[str]
    strategies: Sequence[str]
    workload: str = "loiter"
    unit: float = 0.1
    repeat: int = 1
    fn: Callable[[Any], Any] | None = None  # None: ``workload`` resolved at ``unit``

    @property
    def total(self) -> int:
        return len(self.workers) * len(self.executors) * len(self.strategies) * self.repeat


def run_sweep(sweep: Sweep, on_run: Callable[[Run], None] | None = None) -> Trace:
    """Run the grid, repeats outermost so slow drifts in machine load spread over all points."""
    fn = sweep.fn or resolve(sweep.workload, sweep.unit)
    base = Experiment([sweep.scenario], (), unit=sweep.unit, workload=sweep.workload, fn=fn)
    trace = Trace()
    for rep in range(sweep.repeat):
        for executor in sweep.executors:
            for workers in sweep.workers:
                for strategy in sweep.strategies:
                    exp = replace(base, executor=executor, workers=workers)
                    run = run_one(sweep.scenario, strategy, exp)
                    run.options["repeat"] = rep
                    trace.runs.append(run)
                    if on_run is not None:
                        on_run(run)
    return trace


Series = dict[tuple[str, str], dict[int, list[Summary]]]


def series(trace: Trace) -> Series:
    """Summaries grouped by (executor, strategy), then by worker count: what the chart draws."""
    out: Series = defaultdict(lambda: defaultdict(list))
    for run in trace:
        out[(run.executor, run.strategy)][run.workers].append(run.summary())
    return {key: dict(sorted(by_w.items())) for key, by_w in out.items()}


def speedup(trace: Trace, executor: str, strategy: str, lo: int, hi: int) -> float:
    """Makespan at ``lo`` workers over makespan at ``hi``: > 1 means more workers helped.

    Paired within each repeat (the two runs ran seconds apart, so a burst of
    load elsewhere on the machine hits both) and the median over repeats.
    """
    by_rep: dict[int, dict[int, float]] = defaultdict(dict)
    for run in trace:
        if (run.executor, run.strategy) == (executor, strategy) and run.workers in (lo, hi):
            by_rep[run.options.get("repeat", 0)][run.workers] = run.summary().makespan or 0.0
    return statistics.median(m[lo] / m[hi] for m in by_rep.values() if lo in m and hi in m)
