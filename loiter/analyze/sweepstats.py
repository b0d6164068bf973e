"""What a sweep shows: summaries grouped per (executor, strategy) and worker count, and speedups."""

from __future__ import annotations

import statistics
from collections import defaultdict

from loiter.model.trace import Summary, Trace

# The three numbers a sweep chart plots, as Summary attribute -> axis label.
METRICS = {
    "makespan": "makespan",
    "first_result": "time to first result",
    "total_stall": "total ordering stall",
}


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
