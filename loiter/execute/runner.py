"""Run an experiment: every scenario under every strategy, one fresh pool per run."""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import os
import signal
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures.process import BrokenProcessPool
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from typing import Any

from loiter.execute.executors import InlineExecutor, make_executor, safe_start_method, warm_up
from loiter.execute.strategies import STRATEGIES
from loiter.model.names import DEFAULT_STRATEGIES, EXECUTORS, POOLLESS
from loiter.model.options import Options
from loiter.model.options import run_meta as options_meta
from loiter.model.scenarios import DEFAULT_SCENARIOS, SCENARIOS, Scenario, custom, preset
from loiter.model.trace import Run, Trace
from loiter.record.recording import Recording, jsonable
from loiter.record.traced import TracedExecutor
from loiter.record.worker import describe, live_events, set_live_sink
from loiter.workloads.faults import Faults, with_faults
from loiter.workloads.functions import check_importable, resolve
from loiter.workloads.loiter import STOP

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
    # The task function (picklable for process pools); None means ``workload`` at ``unit``.
    fn: Callable[[Any], Any] | None = None
    options: Options = field(default_factory=Options)
    faults: Faults = field(default_factory=Faults)
    scheduler: str | None = None  # dask: address of a running cluster
    start_method: str | None = None  # process: fork, forkserver, spawn; None: safe_start_method


class RunStopped(Exception):
    """The experiment ended early (Ctrl-C, SIGTERM, SIGHUP); ``trace`` holds every run so far.

    The last run is the partial one, frozen from what its recording held;
    ``signum`` is the signal that stopped it (the exit code is 128 + signum).
    """

    def __init__(self, reason: str, trace: Trace, signum: int = signal.SIGINT) -> None:
        super().__init__(reason)
        self.reason = reason
        self.trace = trace
        self.signum = signum


def stop_reason(exc: BaseException) -> tuple[str, int]:
    """What stopped us and its signal: Ctrl-C is a KeyboardInterrupt, and the CLI raises a
    KeyboardInterrupt subclass carrying ``signum`` for SIGTERM and SIGHUP."""
    signum = getattr(exc, "signum", signal.SIGINT)
    if signum == signal.SIGINT:
        return "interrupted", signum
    return f"stopped by {signal.Signals(signum).name}", signum


# Sees each run's live Recording as it starts (progress bars poll it).
OnStart = Callable[[Scenario, str, Recording], None]

# Watches one run while it goes (the live view): a context manager factory given
# the traced executor, the scenario, the strategy and the workers' event queue.
Watch = Callable[[TracedExecutor, Scenario, str, Any], AbstractContextManager[Any]]


def run_experiment(
    exp: Experiment,
    on_run: Callable[[Run], None] | None = None,
    watch: Watch | None = None,
    on_start: OnStart | None = None,
) -> Trace:
    """Run the grid scenarios x strategies in order; ``on_run`` sees each run as it ends.

    Raises WorkloadError before running anything if worker processes could
    not import the task function.
    """
    if exp.executor == "dask" and exp.scheduler is None:
        from loiter.execute.dask import local_cluster

        with local_cluster(exp.workers) as address:
            return run_experiment(replace(exp, scheduler=address), on_run, watch, on_start)
    fn = exp.fn
    if fn is None and exp.executor != "asyncio":  # the loop's coroutines: see run_on_event_loop
        fn = resolve(exp.workload, exp.unit)
    if (
        fn is not None
        and exp.executor == "process"
        and any(s not in POOLLESS for s in exp.strategies)
    ):
        check_importable(fn)
    trace = Trace()
    with keeping(trace):
        for scenario in exp.scenarios:
            for strategy in exp.strategies:
                run = run_one(scenario, strategy, exp, fn, watch, on_start)
                trace.runs.append(run)
                if on_run is not None:
                    on_run(run)
    return trace


@contextmanager
def keeping(trace: Trace) -> Iterator[None]:
    """The runs done so far survive a stop: a RunStopped gets them before its partial run, and
    Ctrl-C between runs (or while a hook prints) becomes a RunStopped that holds them."""
    try:
        yield
    except RunStopped as stopped:
        stopped.trace.runs[:0] = trace.runs
        raise
    except KeyboardInterrupt as exc:
        reason, signum = stop_reason(exc)
        raise RunStopped(reason, Trace(list(trace.runs)), signum) from None


def run(
    durations: Sequence[Any] | None = None,
    *,
    scenarios: Sequence[str] = DEFAULT_SCENARIOS,
    strategies: Sequence[str] = DEFAULT_STRATEGIES,
    executor: str = "thread",
    workers: int = 3,
    unit: float = 0.5,
    seed: int = 0,
    workload: str = "loiter",
    fn: Callable[[Any], Any] | None = None,
    options: Options | None = None,
    faults: Faults | None = None,
) -> Trace:
    """What ``loiter-viz run`` does, from Python: ``durations`` replaces the preset scenarios.

    ``workload`` is ``loiter``, ``spin`` or ``module:function`` (or pass ``fn``
    itself, with ``durations`` as its arguments); ``options`` carries chunksize,
    buffersize, consumer_delay and timeout. Bad names raise ValueError naming
    the accepted values, as the CLI would refuse them.
    """
    _check("strategy", strategies, tuple(STRATEGIES))
    _check("executor", [executor], EXECUTORS)
    if durations is not None:
        chosen = [custom(tuple(durations))]
    else:
        _check("scenario", scenarios, SCENARIOS)
        chosen = [preset(name, seed) for name in scenarios]
    exp = Experiment(
        chosen,
        tuple(strategies),
        executor,
        workers,
        unit,
        workload if fn is None else getattr(fn, "__qualname__", "custom"),
        fn,
        options or Options(),
        faults or Faults(),
    )
    return run_experiment(exp)


def _check(option: str, names: Sequence[str], accepted: Sequence[str]) -> None:
    for name in names:
        if name not in accepted:
            raise ValueError(f"{option} {name!r} is not one of {', '.join(accepted)}")


def run_one(
    scenario: Scenario,
    strategy: str,
    exp: Experiment,
    fn: Callable[[Any], Any] | None = None,
    watch: Watch | None = None,
    on_start: OnStart | None = None,
) -> Run:
    """One scenario under one strategy; a failure the strategy raises is part of the run.

    Ctrl-C stops the run: the pool is emptied at once and :class:`RunStopped`
    carries the partial run. A worker process that dies breaks only this run's
    pool (see :func:`pool_broke`); the next run gets a fresh one.
    """
    if exp.executor == "asyncio":
        return run_on_event_loop(scenario, strategy, exp, fn)
    task, args = with_faults(
        fn or exp.fn or resolve(exp.workload, exp.unit), scenario.args, exp.faults
    )
    poolless = strategy in POOLLESS
    error = None
    STOP.clear()
    # Worker events for the live view: threads (and the caller) share the sink,
    # processes get it through the pool's initializer.
    events = live_events("thread" if poolless else exp.executor) if watch else None
    if poolless:
        set_live_sink(events)
    initializer, initargs = (
        (set_live_sink, (events,)) if events is not None and not poolless else (None, ())
    )
    pool = (
        InlineExecutor()
        if poolless
        else make_executor(
            exp.executor,
            exp.workers,
            initializer,
            initargs,
            exp.scheduler,
            exp.start_method or safe_start_method(fn or exp.fn),
        )
    )
    traced: TracedExecutor | None = None
    try:
        if not poolless:
            warm_up(pool, exp.workers)
        traced = TracedExecutor(pool)
        if on_start is not None:
            on_start(scenario, strategy, traced.recording)
        with watch(traced, scenario, strategy, events) if watch else nullcontext():
            try:
                STRATEGIES[strategy](traced, task, args, exp.options)
            except Exception as exc:  # map raising at the failing index is a result, not a crash
                error = describe(exc)
    except KeyboardInterrupt as exc:
        stop_pool(pool)
        reason, signum = stop_reason(exc)
        partial = Trace([_freeze(traced, scenario, strategy, exp, reason)] if traced else [])
        raise RunStopped(reason, partial, signum) from None
    finally:
        set_live_sink(None)
    pool.shutdown(wait=True)
    return _freeze(traced, scenario, strategy, exp, error)


def run_on_event_loop(
    scenario: Scenario, strategy: str, exp: Experiment, fn: Callable[[Any], Any] | None = None
) -> Run:
    """One scenario under one asyncio strategy, on a fresh event loop (see loiter.execute.aio).

    ``--workers 0`` is no limit: the run says how many ran at once at most.
    """
    from loiter.execute.aio import LoopPool, run_on_loop
    from loiter.workloads.aio import resolve_async

    task = fn or resolve_async(exp.workload, exp.unit)
    plan = exp.faults.plan(len(scenario.args)) if exp.faults else []
    pool = LoopPool(task, exp.workers, plan)
    try:
        error, blocked = run_on_loop(pool, strategy, scenario.args, exp.options)
    except KeyboardInterrupt as exc:
        reason, signum = stop_reason(exc)
        partial = _freeze(pool.recording, scenario, strategy, exp, reason)
        raise RunStopped(reason, Trace([partial]), signum) from None
    extra = {} if exp.workers else {"limit": "unlimited"}
    run = _freeze(pool.recording, scenario, strategy, exp, error, extra)
    run.workers = run.workers or max(1, pool.slots)
    run.loop_blocked = [(a, b) for a, b in blocked]
    return run


def _freeze(
    source: TracedExecutor | Recording,
    scenario: Scenario,
    strategy: str,
    exp: Experiment,
    error: str | None,
    extra: dict[str, Any] | None = None,
) -> Run:
    meta = run_meta(scenario, strategy, exp)
    if isinstance(source, TracedExecutor):  # e.g. a cluster's clock offsets
        meta["options"].update(getattr(source.inner, "trace_options", {}))
        source = source.recording
    meta["options"].update(extra or {})
    run = source.freeze(**meta, error=error)
    if exp.faults:  # the tasks carried (arg, fault) pairs: the trace shows the argument
        for t in run.tasks:
            t.arg = jsonable(scenario.args[t.index])
    return run


def run_meta(scenario: Scenario, strategy: str, exp: Experiment) -> dict[str, Any]:
    """What a run of ``exp`` records about itself (see :func:`loiter.model.options.run_meta`)."""
    return options_meta(
        scenario.name,
        strategy,
        exp.executor,
        exp.workers,
        exp.unit,
        exp.workload,
        exp.options,
        exp.faults.options(),
    )


def pool_broke(run: Run) -> bool:
    """A worker process died: the pool became unusable and the run ended early."""
    broken = BrokenProcessPool.__name__
    return any((e or "").startswith(broken) for e in (run.error, *(t.error for t in run.tasks)))


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
    # A thread cannot be killed: one still in a call that ignores STOP (a request waiting on a
    # slow server) is left to end unseen, so stopping never waits more than the grace period.
    threads = list(getattr(pool, "_threads", ()) or ())
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    if not any(thread.is_alive() for thread in threads):
        pool.shutdown(wait=True)
