"""Run an experiment: every scenario under every strategy, one fresh pool per run."""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import os
import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from .executors import make_executor, warm_up
from .recorder import describe
from .scenarios import Scenario
from .strategies import STRATEGIES
from .trace import Run, Trace
from .traced import TracedExecutor
from .workloads import STOP, loiter

# How long stopped workers get to end on their own before they are terminated.
GRACE = 0.5


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


class RunStopped(Exception):
    """The experiment ended early (Ctrl-C, a dead worker); ``trace`` holds every run so far.

    The last run is the partial one, frozen from what its recording held.
    """

    def __init__(self, reason: str, trace: Trace, interrupted: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.trace = trace
        self.interrupted = interrupted


def run_experiment(exp: Experiment, on_run: Callable[[Run], None] | None = None) -> Trace:
    """Run the grid scenarios x strategies in order; ``on_run`` sees each run as it ends."""
    trace = Trace()
    for scenario in exp.scenarios:
        for strategy in exp.strategies:
            try:
                run = run_one(scenario, strategy, exp)
            except RunStopped as stopped:
                stopped.trace.runs[:0] = trace.runs
                raise
            trace.runs.append(run)
            if on_run is not None:
                on_run(run)
    return trace


def run_one(scenario: Scenario, strategy: str, exp: Experiment) -> Run:
    """One scenario under one strategy; a failure the strategy raises is part of the run.

    Ctrl-C or a worker process that died stops the run: the pool is emptied at
    once and :class:`RunStopped` carries the partial run.
    """
    fn = exp.fn or partial(loiter, unit=exp.unit)
    error = None
    STOP.clear()
    pool = make_executor(exp.executor, exp.workers)
    traced: TracedExecutor | None = None
    try:
        warm_up(pool, exp.workers)
        traced = TracedExecutor(pool)
        try:
            STRATEGIES[strategy](traced, fn, scenario.args)
        except Exception as exc:  # map raising at the failing index is a result, not a crash
            error = describe(exc)
    except KeyboardInterrupt:
        stop_pool(pool)
        raise RunStopped("interrupted", _partial(traced, exp, scenario, strategy), True) from None
    pool.shutdown(wait=True)
    run = traced.recording.freeze(**_meta(exp, scenario, strategy), error=error)
    broken = _broken(traced)
    if broken is not None:
        raise RunStopped(f"the process pool broke ({broken})", Trace([run]), False)
    return run


def _meta(exp: Experiment, scenario: Scenario, strategy: str) -> dict[str, object]:
    return {
        "scenario": scenario.name,
        "strategy": strategy,
        "executor": exp.executor,
        "workers": exp.workers,
        "unit": exp.unit,
        "workload": exp.workload,
    }


def _partial(
    traced: TracedExecutor | None, exp: Experiment, scenario: Scenario, strategy: str
) -> Trace:
    if traced is None:  # stopped during warm-up: nothing was recorded yet
        return Trace()
    return Trace([traced.recording.freeze(**_meta(exp, scenario, strategy), error="interrupted")])


def _broken(traced: TracedExecutor) -> str | None:
    """The pool broke under the run (a worker was killed): not a result, a fault."""
    for slot in traced.recording.slots:
        if isinstance(slot.raised, cf.BrokenExecutor):
            return describe(slot.raised)
    return None


def stop_pool(pool: cf.Executor) -> None:
    """Cancel what has not started, wake sleeping loiter calls, and leave no worker behind."""
    STOP.set()  # thread workers share this process's Event
    procs = list((getattr(pool, "_processes", None) or {}).values())
    for proc in procs:  # a terminal's Ctrl-C reaches them too; kill(1) of the parent does not
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGINT)
    pool.shutdown(wait=False, cancel_futures=True)
    deadline = time.monotonic() + GRACE
    for proc in procs:
        proc.join(max(0.0, deadline - time.monotonic()))
        if proc.is_alive():  # a user function that does not sleep on STOP
            proc.kill()
            proc.join()
    pool.shutdown(wait=True)
