"""Where the tasks run: a fresh, warmed-up pool per run so runs compare fairly."""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

from loiter.model.names import EXECUTORS
from loiter.model.options import START_METHOD
from loiter.record.orphan import die_with_caller
from loiter.workloads.loiter import stop_on_sigint

START_METHODS = ("fork", "forkserver", "spawn")


def make_executor(
    kind: str,
    workers: int,
    initializer: Callable[..., Any] | None = None,
    initargs: tuple[Any, ...] = (),
    scheduler: str | None = None,
    start_method: str | None = None,
) -> cf.Executor:
    """A fresh pool; ``initializer`` runs in each thread or process worker (the live
    view's event queue); ``scheduler`` (dask only) connects to a running cluster;
    ``start_method`` (process only) overrides :func:`safe_start_method`."""
    if kind == "thread":
        return cf.ThreadPoolExecutor(workers, initializer=initializer, initargs=initargs)
    if kind == "process":
        return ProcessPool(workers, initializer, initargs, start_method or safe_start_method())
    if kind == "dask":
        from loiter.execute.dask import DaskPool

        return DaskPool(workers, scheduler)
    raise ValueError(f"unknown executor {kind!r} (choose from {', '.join(EXECUTORS)})")


def safe_start_method(task: Callable[..., Any] | None = None) -> str:
    """How worker processes start: fork where it is safe, forkserver where threads are alive.

    Forking copies only the forking thread, so a lock another thread held (the flag
    server's, the live view's, a traced program's own) stays locked in the child for
    ever; Python 3.12+ warns. Fork is the fastest, so it is kept while this process
    has one thread, and for a ``task`` defined in ``__main__``, which only a forked
    worker has. Where fork is not the platform's default (macOS, Windows) the default stays.
    """
    if multiprocessing.get_context().get_start_method() != "fork":
        return multiprocessing.get_context().get_start_method()
    in_main = getattr(task, "__module__", None) == "__main__"
    return "fork" if in_main or threading.active_count() == 1 else "forkserver"


class ProcessPool(cf.ProcessPoolExecutor):
    """Worker processes that die with the caller, started as :func:`safe_start_method` says.

    The method is part of what the run records (``options["start_method"]``).
    """

    def __init__(
        self,
        workers: int,
        initializer: Callable[..., Any] | None,
        initargs: tuple[Any, ...],
        start_method: str,
    ) -> None:
        caller = (os.getpid(), threading.main_thread().ident or 0, start_method)
        super().__init__(
            workers,
            multiprocessing.get_context(start_method),
            initializer=_start_worker,
            initargs=(caller, initializer, initargs),
        )
        self.trace_options = {START_METHOD: start_method}


def _start_worker(
    caller: tuple[int, int, str],
    initializer: Callable[..., Any] | None,
    initargs: tuple[Any, ...],
) -> None:
    """Every worker process: it dies with the caller, Ctrl-C ends its loiter calls cleanly,
    then the caller's initializer.

    A forked worker inherits the caller's handlers; SIGTERM and SIGHUP (``timeout``, a
    closed terminal signal the whole group) end a worker quietly: the caller saves the run.
    """
    die_with_caller(*caller)
    stop_on_sigint()
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)
    if initializer is not None:
        initializer(*initargs)


def warm_up(executor: cf.Executor, workers: int, pause: float = 0.02) -> None:
    """Start every worker before the clock starts: spawning is not what we measure.

    ``workers`` overlapping sleeps force the pool to create all its threads or
    processes (a pool only reuses an idle worker, and none is idle yet).
    """
    list(executor.map(time.sleep, [pause] * workers))


class InlineExecutor(cf.Executor):
    """Runs each task in the caller, inside ``submit``: the sequential baseline as an executor.

    Wrapped in a TracedExecutor, its tasks are recorded like any other, with
    the worker named "caller".
    """

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future[Any]:
        future: cf.Future[Any] = cf.Future()
        future.set_running_or_notify_cancel()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            future.set_exception(exc)
        return future
