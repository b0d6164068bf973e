"""Run an experiment: every scenario under every strategy, one fresh pool per run."""

from __future__ import annotations

import concurrent.futures as cf
import signal
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures.process import BrokenProcessPool
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from typing import Any

from loiter.execute.abandon import ABANDONED, ABANDONED_COUNT, settle, stop_pool
from loiter.execute.arguments import check_run
from loiter.execute.executors import InlineExecutor, make_executor, safe_start_method, warm_up
from loiter.execute.strategies import STRATEGIES
from loiter.model.names import ASYNCIO_DEFAULT_STRATEGIES, DEFAULT_STRATEGIES, POOLLESS
from loiter.model.options import Options
from loiter.model.options import run_meta as options_meta
from loiter.model.scenarios import DEFAULT_SCENARIOS, Scenario, custom, preset
from loiter.model.trace import TIMED_OUT, Run, Trace
from loiter.record.recording import Recording, jsonable
from loiter.record.traced import TracedExecutor
from loiter.record.worker import Contained, describe, live_events, set_live_sink
from loiter.workloads.faults import Faults, with_faults
from loiter.workloads.functions import check_importable, resolve
from loiter.workloads.loiter import STOP


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
Watch = Callable[[Recording, Scenario, str, Any], AbstractContextManager[Any]]


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
        check_importable(fn, exp.start_method or safe_start_method(fn))
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
    strategies: Sequence[str] | None = None,
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
    itself, with ``durations`` as its arguments; on ``executor="asyncio"`` a
    coroutine function is awaited, a plain one runs via ``asyncio.to_thread``);
    ``options`` carries chunksize, buffersize (for ``bounded``: ``workers`` unless
    given, as on the command line), consumer_delay and timeout.
    ``strategies`` default to the command line's (asyncio: gather, as_completed).
    A bad argument raises ValueError or TypeError naming it (see
    :mod:`loiter.execute.arguments`), as the CLI refuses it.
    """
    if strategies is None:  # the command line's defaults: asyncio has its own pair
        strategies = ASYNCIO_DEFAULT_STRATEGIES if executor == "asyncio" else DEFAULT_STRATEGIES
    check_run(
        durations,
        scenarios,
        strategies,
        executor,
        workers,
        unit,
        seed,
        workload,
        fn,
        options,
        faults,
    )
    options = options or Options()
    if "bounded" in strategies and options.buffersize is None:  # as the command line has it
        options = replace(options, buffersize=workers)
    if durations is not None:
        chosen = [custom(tuple(durations))]
    else:
        chosen = [preset(name, seed) for name in scenarios]
    exp = Experiment(
        chosen,
        tuple(strategies),
        executor,
        workers,
        unit,
        workload if fn is None else getattr(fn, "__qualname__", "custom"),
        fn,
        options,
        faults or Faults(),
    )
    return run_experiment(exp)


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
        return run_on_event_loop(scenario, strategy, exp, fn, watch, on_start)
    task, args = with_faults(
        fn or exp.fn or resolve(exp.workload, exp.unit), scenario.args, exp.faults
    )
    task = Contained(task)  # a task's sys.exit or KeyboardInterrupt is recorded, never obeyed
    poolless = strategy in POOLLESS
    error = None
    abandoned: list[int] = []
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
        with watch(traced.recording, scenario, strategy, events) if watch else nullcontext():
            try:
                STRATEGIES[strategy](traced, task, args, exp.options)
            except Exception as exc:  # map raising at the failing index is a result, not a crash
                error = describe(exc)
        abandoned = _settle(pool, traced.recording, exp.options.timeout)
    except KeyboardInterrupt as exc:
        stop_pool(pool)
        reason, signum = stop_reason(exc)
        partial = Trace([_freeze(traced, scenario, strategy, exp, reason)] if traced else [])
        raise RunStopped(reason, partial, signum) from None
    finally:
        set_live_sink(None)
    run = _freeze(
        traced,
        scenario,
        strategy,
        exp,
        error,
        {ABANDONED_COUNT: len(abandoned)} if abandoned else None,
    )
    for index in abandoned:  # not what killing it made it look like (a broken pool, Interrupted)
        if run.tasks[index].outcome != TIMED_OUT:
            run.tasks[index].error = ABANDONED
    return run


def _settle(pool: cf.Executor, recording: Recording, timeout: float | None) -> list[int]:
    """Wait for the work still running (see :func:`settle`); the indices of tasks abandoned."""
    running = [
        (index, future)
        for index, future in enumerate(recording.futures[: len(recording)])
        if future is not None and not future.done()
    ]
    left = settle(pool, [future for _, future in running], timeout)
    return [running[k][0] for k in left]


def run_on_event_loop(
    scenario: Scenario,
    strategy: str,
    exp: Experiment,
    fn: Callable[[Any], Any] | None = None,
    watch: Watch | None = None,
    on_start: OnStart | None = None,
) -> Run:
    """One scenario under one asyncio strategy, on a fresh event loop (see loiter.execute.aio).

    ``--workers 0`` is no limit: the run says how many ran at once at most.
    """
    from loiter.execute.aio import LoopPool, run_on_loop
    from loiter.workloads.aio import as_coroutine, resolve_async

    task = as_coroutine(fn) if fn else resolve_async(exp.workload, exp.unit)
    plan = exp.faults.plan(len(scenario.args)) if exp.faults else []
    pool = LoopPool(task, exp.workers, plan)
    if on_start is not None:
        pool.on_clock = lambda recording: on_start(scenario, strategy, recording)
    events = live_events("thread") if watch else None  # the loop is in this process
    set_live_sink(events)
    try:
        with watch(pool.recording, scenario, strategy, events) if watch else nullcontext():
            error, blocked = run_on_loop(pool, strategy, scenario.args, exp.options)
    except KeyboardInterrupt as exc:
        reason, signum = stop_reason(exc)
        partial = _freeze(pool.recording, scenario, strategy, exp, reason)
        raise RunStopped(reason, Trace([partial]), signum) from None
    finally:
        set_live_sink(None)
    extra = {**pool.notes, **({} if exp.workers else {"limit": "unlimited"})}
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
