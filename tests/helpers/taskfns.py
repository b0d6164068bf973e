"""Module-level task functions, so process pools can pickle them by reference."""

from __future__ import annotations

import os
import time


def nap(seconds: float) -> float:
    time.sleep(seconds)
    return seconds * 10


def fail_on_two(n: int, unit: float = 0.05) -> int:
    """Sleeps n units like loiter; the call with n == 2 raises instead of returning."""
    time.sleep(n * unit)
    if n == 2:
        raise ValueError(f"bad input {n}")
    return n * 10


def clock_now(_: object = None) -> int:
    return time.perf_counter_ns()


def io_timeout_on_two(n: int, unit: float = 0.05) -> int:
    """Like fail_on_two, but the failure is the task's own TimeoutError (say, a slow server)."""
    time.sleep(n * unit)
    if n == 2:
        raise TimeoutError("server did not answer")


def die_on_two(n: int, unit: float = 0.05) -> int:
    """Sleeps n units like loiter; the call with n == 2 kills its worker process."""
    time.sleep(n * unit)
    if n == 2:
        os._exit(1)
    return n * 10
