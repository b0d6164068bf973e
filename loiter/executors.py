"""Where the tasks run: a fresh, warmed-up pool per run so runs compare fairly."""

from __future__ import annotations

import concurrent.futures as cf
import time

from .workloads import stop_on_sigint

EXECUTORS = ("thread", "process")


def make_executor(kind: str, workers: int) -> cf.Executor:
    if kind == "thread":
        return cf.ThreadPoolExecutor(max_workers=workers)
    if kind == "process":
        return cf.ProcessPoolExecutor(max_workers=workers, initializer=stop_on_sigint)
    raise ValueError(f"unknown executor {kind!r} (choose from {', '.join(EXECUTORS)})")


def warm_up(executor: cf.Executor, workers: int, pause: float = 0.02) -> None:
    """Start every worker before the clock starts: spawning is not what we measure.

    ``workers`` overlapping sleeps force the pool to create all its threads or
    processes (a pool only reuses an idle worker, and none is idle yet).
    """
    list(executor.map(time.sleep, [pause] * workers))
