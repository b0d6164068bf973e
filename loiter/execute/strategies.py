"""How the caller consumes results: each strategy drives a traced executor as a user would.

A strategy gets a :class:`~loiter.TracedExecutor`, the function, its
arguments and the consumer's :class:`~loiter.Options`; it keeps the real semantics
(``map`` raises at the failing index, ``as_completed`` keeps going, a timeout
raises ``TimeoutError``) and the executor only watches.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from loiter.model.options import PLAIN, Options
from loiter.record.recording import gave_up
from loiter.record.traced import TracedExecutor, as_completed, give_up, wait

# Executor.map(buffersize=) is in the standard library from Python 3.14.
NATIVE_BUFFERSIZE = sys.version_info >= (3, 14)

Strategy = Callable[[TracedExecutor, Callable[..., Any], Sequence[Any], Options], None]


def _take(future: cf.Future[Any]) -> None:
    """``future.result()`` where a task's failure is recorded and the caller goes on.

    A broken pool is not one task's failure: the caller stops, as a user would.
    """
    try:
        future.result()
    except cf.BrokenExecutor:
        raise
    except Exception:  # recorded on the task; the book's error-handling version goes on
        pass


def run_map(
    ex: TracedExecutor, fn: Callable[..., Any], args: Sequence[Any], opts: Options = PLAIN
) -> None:
    """``for result in executor.map(fn, args)``: results in input order."""
    for _ in ex.map(fn, args, timeout=opts.timeout, chunksize=opts.chunksize):
        opts.consume()


def run_as_completed(
    ex: TracedExecutor, fn: Callable[..., Any], args: Sequence[Any], opts: Options = PLAIN
) -> None:
    """``submit`` everything, then take results as they finish; one failure stops nothing."""
    futures = [ex.submit(fn, arg) for arg in args]
    for future in as_completed(futures, timeout=opts.timeout):
        _take(future)
        opts.consume()


def run_wait(
    ex: TracedExecutor, fn: Callable[..., Any], args: Sequence[Any], opts: Options = PLAIN
) -> None:
    """A ``wait(return_when=FIRST_COMPLETED)`` loop; each batch is taken in input order."""
    pending: list[cf.Future[Any]] = [ex.submit(fn, arg) for arg in args]
    order = {f: i for i, f in enumerate(pending)}
    deadline = opts.deadline()
    while pending:
        left = None if deadline is None else max(0.0, deadline - time.monotonic())
        done, rest = wait(pending, timeout=left, return_when=cf.FIRST_COMPLETED)
        if not done:
            give_up(rest)
            raise cf.TimeoutError(f"{len(rest)} (of {len(order)}) futures unfinished")
        pending = sorted(rest, key=order.__getitem__)
        for future in sorted(done, key=order.__getitem__):
            _take(future)
            opts.consume()


def run_callbacks(
    ex: TracedExecutor, fn: Callable[..., Any], args: Sequence[Any], opts: Options = PLAIN
) -> None:
    """``add_done_callback``: results are delivered on the thread that completes each future.

    That is the worker thread of a thread pool (the consumer's work then keeps
    the worker busy) or the single manager thread of a process pool. The
    caller only waits until every callback has run.
    """
    left = [len(args)]
    lock = threading.Lock()
    all_done = threading.Event()

    def deliver(future: cf.Future[Any]) -> None:
        try:
            # Callbacks must not raise (the pool would log it); failures are recorded.
            with contextlib.suppress(Exception):
                future.result()
            opts.consume()
        finally:
            with lock:
                left[0] -= 1
                if not left[0]:
                    all_done.set()

    if not args:
        return
    futures = [ex.submit(fn, arg) for arg in args]
    for future in futures:
        future.add_done_callback(deliver)
    if not all_done.wait(opts.timeout):
        give_up(f for f in futures if not f.done())
        raise cf.TimeoutError(f"callbacks still pending after {opts.timeout:g}s")
    for future in futures:  # a broken pool fails every future: the caller hears of it
        error = future.exception()
        if isinstance(error, cf.BrokenExecutor):
            raise error


def run_bounded(
    ex: TracedExecutor, fn: Callable[..., Any], args: Sequence[Any], opts: Options = PLAIN
) -> None:
    """``map(fn, args, buffersize=K)``: at most K tasks ahead of the consumer."""
    results = (
        ex.map(fn, args, timeout=opts.timeout, buffersize=opts.buffersize)
        if NATIVE_BUFFERSIZE
        else bounded_map(ex, fn, args, buffersize=opts.buffersize, timeout=opts.timeout)
    )
    for _ in results:
        opts.consume()


def bounded_map(
    ex: cf.Executor,
    fn: Callable[..., Any],
    args: Sequence[Any],
    *,
    buffersize: int | None,
    timeout: float | None = None,
) -> Iterator[Any]:
    """Python 3.14's ``Executor.map(buffersize=)`` for older Pythons, step for step.

    Submit ``buffersize`` calls up front; each ``next()`` submits one more,
    then waits for the oldest, so submissions follow the consumer. Leaving
    early cancels what has not started, like ``map``.
    """
    if buffersize is not None and buffersize < 1:
        raise ValueError("buffersize must be None or > 0")
    deadline = None if timeout is None else time.monotonic() + timeout
    calls = iter(args)
    size = len(args) if buffersize is None else buffersize
    fs = deque(ex.submit(fn, arg) for _, arg in zip(range(size), calls))

    def results() -> Iterator[Any]:
        try:
            while fs:
                arg = next(calls, _END)
                if arg is not _END:
                    fs.append(ex.submit(fn, arg))
                left = None if deadline is None else deadline - time.monotonic()
                future = fs.popleft()
                try:
                    value = future.result(left)
                except cf.TimeoutError as exc:
                    if gave_up(exc):
                        give_up([future])
                    raise
                yield value
        finally:
            for future in fs:
                future.cancel()

    return results()


_END = object()


def run_sequential(
    ex: TracedExecutor, fn: Callable[..., Any], args: Sequence[Any], opts: Options = PLAIN
) -> None:
    """The baseline, no pool: ``for arg in args: fn(arg)`` on an inline executor."""
    for arg in args:
        ex.submit(fn, arg).result()
        opts.consume()


def run_dask_native(
    ex: TracedExecutor, fn: Callable[..., Any], args: Sequence[Any], opts: Options = PLAIN
) -> None:
    """Dask's ``client.map`` + ``distributed.as_completed`` (needs ``--executor dask``)."""
    from loiter.execute.dask import run_dask_native as native

    native(ex, fn, args, opts)


STRATEGIES: dict[str, Strategy] = {
    "map": run_map,
    "as_completed": run_as_completed,
    "wait": run_wait,
    "callbacks": run_callbacks,
    "bounded": run_bounded,
    "sequential": run_sequential,
    "dask_native": run_dask_native,
}
