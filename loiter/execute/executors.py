"""Where the tasks run: a fresh, warmed-up pool per run so runs compare fairly."""

from __future__ import annotations

import concurrent.futures as cf
import signal
import time
from collections.abc import Callable
from typing import Any

from loiter.model.names import EXECUTORS
from loiter.workloads.loiter import stop_on_sigint


def make_executor(
    kind: str,
    workers: int,
    initializer: Callable[..., Any] | None = None,
    initargs: tuple[Any, ...] = (),
    scheduler: str | None = None,
) -> cf.Executor:
    """A fresh pool; ``initializer`` runs in each thread or process worker (the live
    view's event queue); ``scheduler`` (dask only) connects to a running cluster."""
    if kind == "thread":
        return cf.ThreadPoolExecutor(workers, initializer=initializer, initargs=initargs)
    if kind == "process":
        return cf.ProcessPoolExecutor(
            workers, initializer=_start_worker, initargs=(initializer, initargs)
        )
    if kind == "dask":
        from loiter.execute.dask import DaskPool

        return DaskPool(workers, scheduler)
    raise ValueError(f"unknown executor {kind!r} (choose from {', '.join(EXECUTORS)})")


def _start_worker(initializer: Callable[..., Any] | None, initargs: tuple[Any, ...]) -> None:
    """Every worker process: Ctrl-C ends its loiter calls cleanly, then the caller's initializer.

    A forked worker inherits the caller's handlers; SIGTERM and SIGHUP (``timeout``, a
    closed terminal signal the whole group) end a worker quietly: the caller saves the run.
    """
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
