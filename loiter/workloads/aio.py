"""The workloads as coroutines, for ``--executor asyncio``: what the chapter after futures awaits.

``loiter`` awaits ``asyncio.sleep`` (the loop stays free); ``spin`` burns the CPU
on the loop itself, so it blocks every other task; a ``module:function`` is
awaited if it is a coroutine function and runs via ``asyncio.to_thread``
otherwise (a plain function must not block the loop). A task that needs
something open on the run's loop (the flags download's HTTP client) has a
``session()``, entered around the run by the loop runner.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, Protocol, runtime_checkable

from .functions import import_function
from .loiter import spin, spin_rate

AsyncTask = Callable[[Any], Awaitable[Any]]


@runtime_checkable
class WithSession(Protocol):
    """A coroutine task with something to open on the run's loop first (e.g. an AsyncClient)."""

    def session(self) -> contextlib.AbstractAsyncContextManager[None]: ...


def session(fn: AsyncTask) -> contextlib.AbstractAsyncContextManager[None]:
    """What ``fn`` needs open for one run on the running loop: its session, or nothing."""
    return fn.session() if isinstance(fn, WithSession) else contextlib.nullcontext()


async def loiter_async(n: float, unit: float = 1.0) -> float:
    """Fluent Python's ``loiter(n)`` for asyncio: ``await asyncio.sleep(n * unit)``, n * 10."""
    await asyncio.sleep(n * unit)
    return n * 10


async def spin_on_loop(n: float, unit: float = 1.0, rate: float | None = None) -> float:
    """CPU-bound work inside a coroutine: it never awaits, so the whole loop waits for it."""
    return spin(n, unit, rate)


def resolve_async(spec: str, unit: float) -> AsyncTask:
    """``loiter``, ``spin`` (in units of ``unit`` seconds) or ``module:function``, as coroutines."""
    if spec == "loiter":
        return partial(loiter_async, unit=unit)
    if spec == "spin":
        return partial(spin_on_loop, unit=unit, rate=spin_rate())
    return as_coroutine(import_function(spec))


def as_coroutine(fn: Callable[[Any], Any]) -> AsyncTask:
    """``fn`` itself if it makes coroutines (a coroutine function, or an object whose
    ``__call__`` is one), else ``fn`` run via ``asyncio.to_thread``: it must not block the loop."""
    if inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(type(fn).__call__):
        return fn

    async def in_thread(arg: Any) -> Any:
        return await asyncio.to_thread(fn, arg)

    return in_thread
