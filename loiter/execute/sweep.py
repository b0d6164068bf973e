"""Sweeps: the same scenario over a grid of worker counts, executors and strategies.

One run answers "what happened"; a sweep answers "how does it scale". Every run
of the grid goes into one Trace (``Run.options["repeat"]`` tells repeats apart),
so the chart is a pure function of the file.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from loiter.execute.runner import Experiment, keeping, run_one
from loiter.model.scenarios import Scenario
from loiter.model.trace import Run, Trace
from loiter.workloads.functions import resolve

# Mixed durations, more tasks than a small pool: scaling and ordering stalls both show.
SWEEP_ARGS = (3, 1, 2, 1, 3, 1, 2, 1)


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
    with keeping(trace):  # Ctrl-C: the runs already done are kept
        for rep, executor, workers, strategy in itertools.product(
            range(sweep.repeat), sweep.executors, sweep.workers, sweep.strategies
        ):
            run = run_one(
                sweep.scenario, strategy, replace(base, executor=executor, workers=workers)
            )
            run.options["repeat"] = rep
            trace.runs.append(run)
            if on_run is not None:
                on_run(run)
    return trace
