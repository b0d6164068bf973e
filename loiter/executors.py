"""Where the tasks run: a fresh, warmed-up pool per run so runs compare fairly."""

from __future__ import annotations

import concurrent.futures as cf
import time

EXECUTORS = ("thread", "process", "dask")


def make_executor(kind: str, workers: int, scheduler: str | None = None) -> cf.Executor:
    """A fresh pool; ``scheduler`` (dask only) connects to a running cluster instead."""
    if kind == "thread":
        return cf.ThreadPoolExecutor(max_workers=workers)
    if kind == "process":
        return cf.ProcessPoolExecutor(max_workers=workers)
    if kind == "dask":
        from .dask_executor import DaskPool  # optional extra: import only when asked

        return DaskPool(workers, scheduler)
    raise ValueError(f"unknown executor {kind!r} (choose from {', '.join(EXECUTORS)})")


def warm_up(executor: cf.Executor, workers: int, pause: float = 0.02) -> None:
    """Start every worker before the clock starts: spawning is not what we measure.

    ``workers`` overlapping sleeps force the pool to create all its threads or
    processes (a pool only reuses an idle worker, and none is idle yet).
    """
    list(executor.map(time.sleep, [pause] * workers))
