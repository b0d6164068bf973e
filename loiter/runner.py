"""Run an experiment: every scenario under every strategy, one fresh pool per run."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from .executors import make_executor, warm_up
from .recorder import describe
from .scenarios import Scenario
from .strategies import STRATEGIES
from .trace import Run, Trace
from .traced import TracedExecutor
from .workloads import loiter


@dataclass(frozen=True)
class Experiment:
    """What the CLI asked for; the runner turns it into a Trace."""

    scenarios: Sequence[Scenario]
    strategies: Sequence[str]
    executor: str = "thread"
    workers: int = 3
    unit: float = 0.5
    workload: str = "loiter"
    # The task function (picklable for process pools); None means loiter at ``unit``.
    fn: Callable[[Any], Any] | None = None
    scheduler: str | None = None  # dask: address of a running cluster


def run_experiment(exp: Experiment, on_run: Callable[[Run], None] | None = None) -> Trace:
    """Run the grid scenarios x strategies in order; ``on_run`` sees each run as it ends."""
    if exp.executor == "dask" and exp.scheduler is None:
        from .dask_executor import local_cluster

        with local_cluster(exp.workers) as address:
            return run_experiment(replace(exp, scheduler=address), on_run)
    trace = Trace()
    for scenario in exp.scenarios:
        for strategy in exp.strategies:
            run = run_one(scenario, strategy, exp)
            trace.runs.append(run)
            if on_run is not None:
                on_run(run)
    return trace


def run_one(scenario: Scenario, strategy: str, exp: Experiment) -> Run:
    """One scenario under one strategy; a failure the strategy raises is part of the run."""
    fn = exp.fn or partial(loiter, unit=exp.unit)
    error = None
    with make_executor(exp.executor, exp.workers, exp.scheduler) as pool:
        warm_up(pool, exp.workers)
        traced = TracedExecutor(pool)
        try:
            STRATEGIES[strategy](traced, fn, scenario.args)
        except Exception as exc:  # map raising at the failing index is a result, not a crash
            error = describe(exc)
    return traced.recording.freeze(
        scenario=scenario.name,
        strategy=strategy,
        executor=exp.executor,
        workers=exp.workers,
        unit=exp.unit,
        workload=exp.workload,
        error=error,
        options=dict(getattr(pool, "trace_options", {})),
    )
