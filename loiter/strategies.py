"""How the caller consumes results: each strategy drives a traced executor as a user would.

A strategy gets a :class:`~loiter.traced.TracedExecutor`, the function and its
arguments; it keeps the real semantics (``map`` raises at the failing index,
``as_completed`` keeps going) and the executor only watches.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .traced import TracedExecutor, as_completed

Strategy = Callable[[TracedExecutor, Callable[[Any], Any], Sequence[Any]], None]


def run_map(ex: TracedExecutor, fn: Callable[[Any], Any], args: Sequence[Any]) -> None:
    """``for result in executor.map(fn, args)``: results in input order."""
    for _ in ex.map(fn, args):
        pass


def run_as_completed(ex: TracedExecutor, fn: Callable[[Any], Any], args: Sequence[Any]) -> None:
    """``submit`` everything, then take results as they finish; one failure stops nothing."""
    futures = [ex.submit(fn, arg) for arg in args]
    for future in as_completed(futures):
        try:
            future.result()
        except Exception:  # recorded on the task; the book's error-handling version goes on
            continue


def run_dask_native(ex: TracedExecutor, fn: Callable[[Any], Any], args: Sequence[Any]) -> None:
    """Dask's ``client.map`` + ``distributed.as_completed`` (needs ``--executor dask``)."""
    from .dask_executor import run_dask_native as native

    native(ex, fn, args)


STRATEGIES: dict[str, Strategy] = {
    "map": run_map,
    "as_completed": run_as_completed,
    "dask_native": run_dask_native,
}
DEFAULT_STRATEGIES = ("map", "as_completed")
