"""Run an experiment: every scenario under every strategy, one fresh pool per run."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from .executors import EXECUTORS, make_executor, warm_up
from .recorder import describe
from .scenarios import DEFAULT_SCENARIOS, SCENARIOS, Scenario, custom, preset
from .strategies import DEFAULT_STRATEGIES, STRATEGIES
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


def run_experiment(exp: Experiment, on_run: Callable[[Run], None] | None = None) -> Trace:
    """Run the grid scenarios x strategies in order; ``on_run`` sees each run as it ends."""
    trace = Trace()
    for scenario in exp.scenarios:
        for strategy in exp.strategies:
            run = run_one(scenario, strategy, exp)
            trace.runs.append(run)
            if on_run is not None:
                on_run(run)
    return trace


def run(
    durations: Sequence[Any] | None = None,
    *,
    scenarios: Sequence[str] = DEFAULT_SCENARIOS,
    strategies: Sequence[str] = DEFAULT_STRATEGIES,
    executor: str = "thread",
    workers: int = 3,
    unit: float = 0.5,
    seed: int = 0,
) -> Trace:
    """What ``loiter-viz run`` does, from Python: ``durations`` replaces the preset scenarios.

    Bad names raise ValueError naming the accepted values, as the CLI would refuse them.
    """
    _check("strategy", strategies, tuple(STRATEGIES))
    _check("executor", [executor], EXECUTORS)
    if durations is not None:
        chosen = [custom(tuple(durations))]
    else:
        _check("scenario", scenarios, SCENARIOS)
        chosen = [preset(name, seed) for name in scenarios]
    return run_experiment(Experiment(chosen, tuple(strategies), executor, workers, unit))


def _check(option: str, names: Sequence[str], accepted: Sequence[str]) -> None:
    for name in names:
        if name not in accepted:
            raise ValueError(f"{option} {name!r} is not one of {', '.join(accepted)}")


def run_one(scenario: Scenario, strategy: str, exp: Experiment) -> Run:
    """One scenario under one strategy; a failure the strategy raises is part of the run."""
    fn = exp.fn or partial(loiter, unit=exp.unit)
    error = None
    with make_executor(exp.executor, exp.workers) as pool:
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
    )
