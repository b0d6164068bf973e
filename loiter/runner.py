"""Run an experiment: every scenario under every strategy, one fresh pool per run."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from functools import partial
from typing import Any

from .executors import make_executor, warm_up
from .live import live_events
from .recorder import describe, set_live_sink
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


# Watches one run while it goes (the live view): a context manager factory given
# the traced executor, the scenario, the strategy and the workers' event queue.
Watch = Callable[[TracedExecutor, Scenario, str, Any], AbstractContextManager[Any]]


def run_experiment(
    exp: Experiment, on_run: Callable[[Run], None] | None = None, watch: Watch | None = None
) -> Trace:
    """Run the grid scenarios x strategies in order; ``on_run`` sees each run as it ends."""
    trace = Trace()
    for scenario in exp.scenarios:
        for strategy in exp.strategies:
            run = run_one(scenario, strategy, exp, watch)
            trace.runs.append(run)
            if on_run is not None:
                on_run(run)
    return trace


def run_one(scenario: Scenario, strategy: str, exp: Experiment, watch: Watch | None = None) -> Run:
    """One scenario under one strategy; a failure the strategy raises is part of the run."""
    fn = exp.fn or partial(loiter, unit=exp.unit)
    error = None
    events = live_events(exp.executor) if watch is not None else None
    init = (set_live_sink, (events,)) if events is not None else (None, ())
    with make_executor(exp.executor, exp.workers, *init) as pool:
        warm_up(pool, exp.workers)
        traced = TracedExecutor(pool)
        with watch(traced, scenario, strategy, events) if watch else nullcontext():
            try:
                STRATEGIES[strategy](traced, fn, scenario.args)
            except Exception as exc:  # map raising at the failing index is a result, not a crash
                error = describe(exc)
    set_live_sink(None)
    return traced.recording.freeze(
        scenario=scenario.name,
        strategy=strategy,
        executor=exp.executor,
        workers=exp.workers,
        unit=exp.unit,
        workload=exp.workload,
        error=error,
    )
