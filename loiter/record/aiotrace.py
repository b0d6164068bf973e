"""``async with loiter.traced_loop()``: record the asyncio tasks a block creates, unchanged.

A task factory on the running loop (chained to any the program installed)
notes each task: ``submitted`` when it is created, ``started`` at its
coroutine's first step, ``finished`` when that returns or raises. Delivery is
the moment the awaiting code has the result, so a bare factory cannot see it
(``gather`` reads each child in a done-callback as it finishes). While a block
is open, ``asyncio.gather`` / ``as_completed`` / ``wait`` and ``TaskGroup``'s
exit are the recording ones below, and a task awaited directly is delivered
when its awaiter resumes (the factory's tasks are an :class:`asyncio.Task`
subclass whose ``__await__`` notes it). Under a program's own task factory that
last part is lost: such a task is delivered only through the functions above.
Results are described when delivered and never referenced, as for traced
executors; the loop's measured lag is the run's ``loop_blocked``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures as cf
import contextlib
import functools
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Generator, Iterator
from typing import Any

from loiter.model.trace import Run, Trace
from loiter.record.looplag import LagWatcher
from loiter.record.recording import Recording
from loiter.record.worker import UnpicklableError, describe, now

WORKER = "loop"
_FUNCTIONS = ("gather", "as_completed", "wait")
_active: list[LoopRecorder] = []  # recorders of the blocks now open, outermost first
# The standard functions: the recording ones call them, and are them outside any block.
STANDARD: dict[str, Callable[..., Any]] = {name: getattr(asyncio, name) for name in _FUNCTIONS}


def _done(cancelled: bool) -> cf.Future[Any]:
    future: cf.Future[Any] = cf.Future()
    if cancelled:
        future.cancel()
    else:
        future.set_result((None, None, None, None))  # no value: the timings are filed already
    return future


# What the recording settles a task's outcome from (a future per task costs a lock):
# shared for the tasks that returned or were cancelled, one per task only for a failure.
_OK, _CANCELLED = _done(False), _done(True)


class _TracedTask(asyncio.Task):  # type: ignore[type-arg]
    """A task whose direct ``await`` notes, for each recorder, when the awaiter resumed."""

    marks: list[tuple[LoopRecorder, int]]  # set by the factories that made it

    def __await__(self) -> Generator[Any, None, Any]:
        ask = now()
        try:
            return (yield from super().__await__())
        finally:
            got = now()
            if self.done():
                for recorder, index in self.marks:
                    recorder.delivered(index, self, ask, got)


class LoopRecorder:
    """One block's tasks on one loop: their recording, and the loop's peak concurrency."""

    def __init__(self, **meta: Any) -> None:
        self.recording = Recording()
        self.meta = meta
        self.index: weakref.WeakKeyDictionary[asyncio.Future[Any], int] = (
            weakref.WeakKeyDictionary()
        )
        self.running = self.peak = 0
        self.trace: Trace | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._previous: Any = None
        self._lag: LagWatcher | None = None

    def install(self, loop: asyncio.AbstractEventLoop) -> None:
        """Put this block's task factory on ``loop``, in front of the one already there."""
        self._loop, self._previous = loop, loop.get_task_factory()
        loop.set_task_factory(self._factory)
        self._lag = LagWatcher(loop).start()
        if not _active:
            for name in _FUNCTIONS:
                for module in (asyncio, asyncio.tasks):
                    setattr(module, name, RECORDING[name])
            for name, method in _GROUP_RECORDING.items():
                setattr(asyncio.TaskGroup, name, method)
        _active.append(self)

    def uninstall(self) -> None:
        assert self._loop is not None and self._lag is not None
        self._loop.set_task_factory(self._previous)
        self._lag.stop()
        _active.remove(self)
        if not _active:
            for name, original in STANDARD.items():
                for module in (asyncio, asyncio.tasks):
                    setattr(module, name, original)
            for name, method in _GROUP_STANDARD.items():
                setattr(asyncio.TaskGroup, name, method)

    def _factory(
        self, loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any
    ) -> asyncio.Future[Any]:
        previous = self._previous
        if not asyncio.iscoroutine(coro):
            return previous(loop, coro, **kwargs) if previous else asyncio.Task(coro, loop=loop)
        rec = self.recording
        index = rec.reserve_one((getattr(coro, "__qualname__", type(coro).__qualname__),))
        timed = self._timed(index, coro)
        if previous is None:
            task: asyncio.Future[Any] = _TracedTask(timed, loop=loop, **kwargs)
        else:
            task = previous(loop, timed, **kwargs)
        if isinstance(task, _TracedTask):
            if previous is None:
                task.marks = [(self, index)]
            else:  # an outer block's factory made it
                task.marks.append((self, index))
        self.index[task] = index
        task.add_done_callback(functools.partial(self._settled, index, coro))
        rec.submit_returned(rec.submitted[index])
        return task

    async def _timed(self, index: int, coro: Coroutine[Any, Any, Any]) -> Any:
        rec = self.recording
        started = now()
        self.running += 1
        self.peak = max(self.peak, self.running)
        try:
            value = await coro
        except BaseException as exc:
            self._ended(index, started)
            if isinstance(exc, asyncio.CancelledError):
                rec.futures[index] = _CANCELLED
            else:  # described: the exception's frames are the program's to free
                failed: cf.Future[Any] = cf.Future()
                rec.futures[index] = failed
                failed.set_exception(UnpicklableError(describe(exc)))
            raise
        self._ended(index, started)
        rec.futures[index] = _OK
        return value

    def _ended(self, index: int, started: int) -> None:
        self.running -= 1
        self.recording.set_timing(index, started, now(), WORKER)

    def _settled(self, index: int, coro: Any, task: asyncio.Future[Any]) -> None:
        """Cancelled before its first step: it never ran (its coroutine closed, as asyncio does)."""
        if self.recording.timing(index) is None:
            self.recording.futures[index] = _CANCELLED
            coro.close()

    def delivered(self, index: int, task: asyncio.Future[Any], ask: int, got: int) -> None:
        """The caller, blocked since ``ask``, has the outcome at ``got`` (the first time only)."""
        rec = self.recording
        if rec.delivered_at(index) is not None or task.cancelled():
            return
        if ask < got:
            rec.waited(ask, got, index)
        exc = task.exception()
        if exc is None:
            rec.delivered(index, task.result(), got)
        else:
            rec.fail(index, exc, got)

    def freeze(self, **meta: Any) -> Run:
        """The block's tasks as one run; the loop's measured lag as its ``loop_blocked``."""
        origin = self.recording.origin
        lag = self._lag.blocked if self._lag is not None else []
        run = self.recording.freeze(
            loop_blocked=[((a - origin) / 1e9, (b - origin) / 1e9) for a, b in lag],
            **{
                "scenario": "custom",
                "strategy": "traced",
                "executor": "asyncio",
                "workers": self.peak,
                "unit": 1.0,
                "workload": "custom",
                **self.meta,
                **meta,
            },
        )
        self.trace = Trace([run])
        return run


def _deliver(tasks: Iterator[Any], ask: int, got: int) -> None:
    """Every recorder that knows one of ``tasks``: the caller has it now, after one wait."""
    waited = False
    for task in tasks:
        for recorder in _active:
            index = recorder.index.get(task)
            if index is not None:
                recorder.delivered(index, task, ask if not waited else got, got)
                waited = True


def gather(*aws: Any, return_exceptions: bool = False) -> asyncio.Future[Any]:
    """``asyncio.gather``: each child delivered when gather's future completes (one caller wait).

    That is the moment the awaiting code is woken with every result; if a
    child raised (without ``return_exceptions``) only it is delivered, the
    others run on unseen.
    """
    outer: asyncio.Future[Any] = STANDARD["gather"](*aws, return_exceptions=return_exceptions)
    children = list(getattr(outer, "_children", ()))
    ask = now()

    def done(future: asyncio.Future[Any]) -> None:
        got = now()
        if future.cancelled() or return_exceptions or future.exception() is None:
            last_first = sorted(children, key=lambda c: _finish(c) or 0, reverse=True)
            _deliver(iter(last_first), ask, got)  # the wait ended with the last to finish
        else:
            failed = [c for c in children if c.done() and not c.cancelled() and c.exception()]
            _deliver(iter(failed[:1]), ask, got)

    outer.add_done_callback(done)
    return outer


def as_completed(fs: Any, *, timeout: float | None = None) -> Any:
    """``asyncio.as_completed``: each task delivered when the caller's await of it returns."""
    if asyncio.isfuture(fs) or asyncio.iscoroutine(fs):
        return STANDARD["as_completed"](fs, timeout=timeout)  # which says what is wrong
    # Tasks made in input order (the standard one makes them in set order): the lanes read so.
    fs = [asyncio.ensure_future(f) for f in dict.fromkeys(fs)]
    order: list[asyncio.Future[Any]] = []  # tasks in the order they ended, as as_completed yields
    for f in fs:
        f.add_done_callback(order.append)
    return _AsCompleted(STANDARD["as_completed"](fs, timeout=timeout), order)


class _AsCompleted:
    """The iterator (and, 3.13+, async iterator) as_completed returns, delivering as it goes."""

    def __init__(self, inner: Any, order: list[asyncio.Future[Any]]) -> None:
        self._inner, self._order, self._taken = inner, order, 0

    def __iter__(self) -> Iterator[Awaitable[Any]]:
        for next_done in self._inner:
            yield self._next(next_done)

    async def _next(self, next_done: Awaitable[Any]) -> Any:
        ask = now()
        try:
            return await next_done
        finally:
            got = now()
            if self._taken < len(self._order):
                task = self._order[self._taken]
                self._order[self._taken] = None  # type: ignore[call-overload]
                self._taken += 1
                _deliver(iter([task]), ask, got)

    def __aiter__(self) -> AsyncIterator[asyncio.Future[Any]]:
        return self._async()

    async def _async(self) -> AsyncIterator[asyncio.Future[Any]]:
        it = self._inner.__aiter__()
        while True:
            ask = now()
            try:
                task = await it.__anext__()
            except StopAsyncIteration:
                return
            _deliver(iter([task]), ask, now())
            yield task


async def wait(fs: Any, *, timeout: float | None = None, return_when: str = "ALL_COMPLETED") -> Any:
    """``asyncio.wait``: the tasks done are delivered when wait returns (one caller wait)."""
    ask = now()
    done, pending = await STANDARD["wait"](fs, timeout=timeout, return_when=return_when)
    got = now()
    timings = {t: _finish(t) for t in done}
    _deliver(iter(sorted(done, key=lambda t: timings[t] or 0)), ask, got)
    return done, pending


def _finish(task: asyncio.Future[Any]) -> int | None:
    for recorder in _active:
        index = recorder.index.get(task)
        timing = None if index is None else recorder.recording.timing(index)
        if timing is not None:
            return timing[1]
    return None


_GROUP_STANDARD = {name: vars(asyncio.TaskGroup)[name] for name in ("create_task", "__aexit__")}
# Each open TaskGroup's tasks, weakly: the results stay the program's to free.
_made: weakref.WeakKeyDictionary[asyncio.TaskGroup, weakref.WeakSet[asyncio.Task[Any]]] = (
    weakref.WeakKeyDictionary()
)


def _group_create_task(group: asyncio.TaskGroup, coro: Any, **kwargs: Any) -> asyncio.Task[Any]:
    task: asyncio.Task[Any] = _GROUP_STANDARD["create_task"](group, coro, **kwargs)
    _made.setdefault(group, weakref.WeakSet()).add(task)
    return task


async def _group_aexit(group: asyncio.TaskGroup, *exc_info: Any) -> Any:
    """``TaskGroup``: its tasks are the caller's when the block ends (one wait, from its end).

    Only those the caller still holds: a task nobody kept has a result nobody can read.
    """
    ask = now()
    try:
        return await _GROUP_STANDARD["__aexit__"](group, *exc_info)
    finally:
        got = now()
        tasks = sorted(_made.pop(group, ()), key=lambda t: _finish(t) or 0, reverse=True)
        _deliver(iter(tasks), ask, got)  # the wait ended with the last to finish


_GROUP_RECORDING = {"create_task": _group_create_task, "__aexit__": _group_aexit}

RECORDING: dict[str, Callable[..., Any]] = {
    "gather": gather,
    "as_completed": as_completed,
    "wait": wait,
}


@contextlib.asynccontextmanager
async def traced_loop(**meta: Any) -> AsyncIterator[LoopRecorder]:
    """Record the asyncio tasks created inside the block; ``.trace`` holds the run afterwards.

    >>> async with loiter.traced_loop() as rec:  # doctest: +SKIP
    ...     await asyncio.gather(*(asyncio.sleep(n) for n in (3, 1, 2)))
    >>> rec.trace.runs[0].executor  # doctest: +SKIP
    'asyncio'

    ``meta`` overrides what the trace says about the run (``scenario``...).
    """
    recorder = LoopRecorder(**meta)
    recorder.install(asyncio.get_running_loop())
    try:
        yield recorder
    finally:
        recorder.uninstall()
        recorder.freeze()
