"""``--executor asyncio``: the same lesson on one event loop, a semaphore of N as the pool.

Tasks are coroutines on one loop in the caller's thread. ``asyncio.Semaphore``
wakes its waiters first in, first out, and tasks first run in the order they
were created, so N slots behave like a FIFO pool of N workers (and the
ideal-schedule simulator applies). A task's lane is its slot, ``s1``..``sN``.
The four timestamps keep their meaning: ``submitted`` when the task is
created, ``started`` when it first runs past the semaphore, ``finished`` when
it returns or raises, ``delivered`` when the awaiting code has the result.
Each task's outcome is mirrored into a ``concurrent.futures.Future``, so the
same :class:`~loiter.record.recording.Recording` settles outcomes for pools
and for the loop alike.
"""

from __future__ import annotations

import asyncio
import concurrent.futures as cf
import contextlib
import sys
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any

from loiter.model.names import CALLER
from loiter.model.options import Options
from loiter.record.looplag import LagWatcher
from loiter.record.recording import Recording, gave_up
from loiter.record.worker import FINISHED, STARTED, attach_timings, describe, live_sink, now
from loiter.workloads.aio import AsyncTask, session
from loiter.workloads.faults import RAISE, TaskFailed

# How the caller takes results as they finish: Python 3.13 made as_completed an async
# iterator that yields the tasks themselves; before, a plain iterator of awaitables.
AS_COMPLETED_FORM = (
    "async for task in asyncio.as_completed(tasks)"
    if sys.version_info >= (3, 13)
    else "for next_done in asyncio.as_completed(tasks)"
)


Spawn = Callable[[Coroutine[Any, Any, Any]], Any]  # asyncio.create_task, or a TaskGroup's


class LoopPool:
    """One run's tasks on the running loop: the slots they take and what the caller sees."""

    def __init__(
        self,
        fn: AsyncTask,
        limit: int,
        plan: Sequence[str | None],
        on_clock: Callable[[Recording], None] | None = None,
    ) -> None:
        self.fn = fn
        self.on_clock = on_clock  # e.g. a progress bar's, told of each run's recording
        self.recording = Recording()
        self.semaphore = asyncio.Semaphore(limit) if limit else None
        self.free: list[int] = []  # slots given back, lowest first
        self.slots = 0  # slots ever used
        self.plan = plan
        self.finished: list[int] = []  # indices in the order their tasks ended
        self.tasks: list[asyncio.Task[Any]] = []
        self.notes: dict[str, Any] = {}  # what the strategy says about itself, for Run.options

    def start_clock(self) -> None:
        """The run begins now: what was opened before (an HTTP client) is set-up, not the run.

        The same recording, so a live view already watching it sees the run.
        """
        self.recording.restart_clock()
        if self.on_clock is not None:
            self.on_clock(self.recording)

    def submit(self, arg: Any, spawn: Spawn | None = None) -> Any:
        """Create the task for ``arg`` (``spawn`` is e.g. a TaskGroup's create_task)."""
        rec = self.recording
        index = rec.reserve_one((arg,))
        rec.futures[index] = cf.Future()  # mirrors the task's outcome
        task = (spawn or asyncio.create_task)(self._timed(index, arg, pooled=True))
        self.tasks.append(task)
        rec.submit_returned(rec.submitted[index])
        return task

    async def inline(self, arg: Any) -> Any:
        """``await fn(arg)`` in the caller, no task, no slot: the sequential baseline."""
        rec = self.recording
        index = rec.reserve_one((arg,))
        rec.futures[index] = cf.Future()
        return await self._timed(index, arg, pooled=False)

    async def _timed(self, index: int, arg: Any, pooled: bool) -> Any:
        mirror = self.recording.futures[index]
        assert mirror is not None
        if pooled and self.semaphore is not None:
            try:
                await self.semaphore.acquire()
            except asyncio.CancelledError:  # never ran: cancelled while queued
                mirror.cancel()
                raise
        slot = self._take_slot() if pooled else -1
        worker = CALLER if slot < 0 else f"s{slot + 1}"
        started = now()
        if (sink := live_sink()) is not None:
            sink.put((STARTED, started, worker))
        try:
            value = await self.fn(arg)
            if self.plan and self.plan[index] == RAISE:
                raise TaskFailed(f"task with argument {arg!r} failed on purpose")
        except BaseException as exc:
            self._ended(index, started, worker, slot)
            if isinstance(exc, asyncio.CancelledError):
                mirror.cancel()  # a sibling failed in a TaskGroup, or the run was stopped
            else:
                attach_timings(exc, [self.recording.timing(index)])  # type: ignore[list-item]
                mirror.set_exception(exc)
            raise
        self._ended(index, started, worker, slot)
        mirror.set_result((value, *self.recording.timing(index)))  # type: ignore[misc]
        return value

    def _take_slot(self) -> int:
        if self.free:
            return self.free.pop(0)
        self.slots += 1
        return self.slots - 1

    def _ended(self, index: int, started: int, worker: str, slot: int) -> None:
        self.recording.set_timing(index, started, finished := now(), worker)
        if (sink := live_sink()) is not None:
            sink.put((FINISHED, finished, worker))
        self.finished.append(index)
        if slot >= 0:
            self.free.append(slot)
            self.free.sort()
            if self.semaphore is not None:
                self.semaphore.release()

    def index_of(self, task: asyncio.Future[Any]) -> int:
        return self.tasks.index(task)  # type: ignore[arg-type]

    def deliver(self, index: int, task: asyncio.Future[Any], got: int) -> None:
        """The caller has this task's outcome: its value, or the exception it raised."""
        exc = task.exception()
        if exc is None:
            self.recording.delivered(index, task.result(), got)
        else:
            self.recording.fail(index, exc, got)


Strategy = Callable[[LoopPool, Sequence[Any], Options], Awaitable[None]]


async def consume(opts: Options) -> None:
    """The caller's own work on a result: awaited, so the loop stays free meanwhile."""
    if opts.consumer_delay:
        await asyncio.sleep(opts.consumer_delay)


async def run_gather(loop: LoopPool, args: Sequence[Any], opts: Options) -> None:
    """``await asyncio.gather(*tasks)``: every result at once, when the last one finishes.

    The first exception reaches the caller at once; the other tasks keep running unseen.
    """
    tasks = [loop.submit(arg) for arg in args]
    rec = loop.recording
    ask = now()
    try:
        await asyncio.gather(*tasks, return_exceptions=opts.return_exceptions)
    except Exception:
        got = now()
        failed = loop.finished[-1]  # the task whose exception gather passed on
        rec.waited(ask, got, failed)
        loop.deliver(failed, tasks[failed], got)
        raise
    got = now()
    rec.waited(ask, got, loop.finished[-1] if loop.finished else None)
    for index, task in enumerate(tasks):
        loop.deliver(index, task, got)
        await consume(opts)


async def run_as_completed(loop: LoopPool, args: Sequence[Any], opts: Options) -> None:
    """Each result as its task finishes, in the form this Python has (``AS_COMPLETED_FORM``).

    3.13+: ``async for task in asyncio.as_completed(tasks)`` yields the tasks themselves;
    before: ``for c in asyncio.as_completed(tasks): await c``, in the order they ended.
    """
    tasks = [loop.submit(arg) for arg in args]
    rec = loop.recording
    loop.notes["as_completed"] = AS_COMPLETED_FORM
    if sys.version_info >= (3, 13):
        ask = now()
        async for task in asyncio.as_completed(tasks):
            got = now()
            index = loop.index_of(task)
            rec.waited(ask, got, index)
            loop.deliver(index, task, got)
            await consume(opts)
            ask = now()
        return
    for k, next_done in enumerate(asyncio.as_completed(tasks)):
        ask = now()
        with contextlib.suppress(Exception):  # recorded on the task: the others go on
            await next_done
        got = now()
        index = loop.finished[k]  # as_completed yields in the order the tasks ended
        rec.waited(ask, got, index)
        loop.deliver(index, tasks[index], got)
        await consume(opts)


async def run_wait(loop: LoopPool, args: Sequence[Any], opts: Options) -> None:
    """An ``asyncio.wait(return_when=FIRST_COMPLETED)`` loop; each batch taken in input order."""
    tasks = [loop.submit(arg) for arg in args]
    rec = loop.recording
    pending = set(tasks)
    while pending:
        ask = now()
        done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        got = now()
        indices = sorted(loop.index_of(t) for t in done)
        rec.waited(ask, got, min(indices, key=loop.finished.index))
        for index in indices:
            loop.deliver(index, tasks[index], now())
            await consume(opts)


async def run_taskgroup(loop: LoopPool, args: Sequence[Any], opts: Options) -> None:
    """``async with asyncio.TaskGroup() as tg``, results read after the block.

    A failing task cancels its siblings and the block raises an ExceptionGroup.
    """
    rec = loop.recording
    ask = now()
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [loop.submit(arg, group.create_task) for arg in args]
            ask = now()
    except BaseExceptionGroup:
        got = now()
        rec.waited(ask, got, loop.finished[-1] if loop.finished else None)
        for index, task in enumerate(loop.tasks):
            if task.done() and not task.cancelled() and task.exception() is not None:
                loop.deliver(index, task, got)
        raise
    got = now()  # every result is the caller's at once, as with gather
    rec.waited(ask, got, loop.finished[-1] if loop.finished else None)
    for index, task in enumerate(tasks):
        loop.deliver(index, task, got)
        await consume(opts)


async def run_sequential(loop: LoopPool, args: Sequence[Any], opts: Options) -> None:
    """The baseline: ``for arg in args: await fn(arg)``, one after another, no tasks."""
    rec = loop.recording
    for index, arg in enumerate(args):
        try:
            value = await loop.inline(arg)
        except Exception as exc:
            rec.fail(index, exc, now())
            raise
        rec.delivered(index, value, now())
        await consume(opts)


ASYNC_STRATEGIES: dict[str, Strategy] = {
    "gather": run_gather,
    "as_completed": run_as_completed,
    "wait": run_wait,
    "taskgroup": run_taskgroup,
    "sequential": run_sequential,
}


async def drive(
    loop: LoopPool, strategy: str, args: Sequence[Any], opts: Options
) -> tuple[str | None, list[tuple[int, int]]]:
    """Run one strategy on the running loop; what the caller got (None: all went well) and the
    loop's blocked spans. Tasks the caller left behind run on unseen, as in a real program.
    The task's session (if it has one) is open for all of it, and opened before the clock."""
    async with session(loop.fn):
        loop.start_clock()
        return await _drive(loop, strategy, args, opts)


async def _drive(
    loop: LoopPool, strategy: str, args: Sequence[Any], opts: Options
) -> tuple[str | None, list[tuple[int, int]]]:
    watcher = LagWatcher(asyncio.get_running_loop()).start()
    error = None
    try:
        await asyncio.wait_for(ASYNC_STRATEGIES[strategy](loop, args, opts), opts.timeout)
    except Exception as exc:  # gather raising the first failure is a result, not a crash
        error = describe(exc)
        if gave_up(exc):  # the caller's own timeout, not a task's TimeoutError
            error = "TimeoutError: the caller stopped waiting"
            at = now()
            for index in range(len(loop.recording)):
                if loop.recording.delivered_at(index) is None:
                    loop.recording.fail(index, cf.TimeoutError(), at)
    left = [t for t in loop.tasks if not t.done()]
    if left:  # unseen, but their timings are part of the lesson
        await asyncio.wait(left, timeout=opts.timeout)
        for task in left:
            task.cancel()
    return error, watcher.stop()


def run_on_loop(
    pool: LoopPool, strategy: str, args: Sequence[Any], opts: Options
) -> tuple[str | None, list[list[float]]]:
    """One run on a fresh event loop: what the caller got, and the loop's blocked spans in
    seconds from the run's origin. Ctrl-C propagates; ``pool.recording`` holds what ran.
    Called where a loop already runs (Jupyter's), the run gets a thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # the usual case: no loop here yet
        error, blocked = asyncio.run(drive(pool, strategy, args, opts))
    else:
        with cf.ThreadPoolExecutor(1, thread_name_prefix="loiter-loop") as own:
            error, blocked = own.submit(asyncio.run, drive(pool, strategy, args, opts)).result()
    origin = pool.recording.origin
    return error, [[(a - origin) / 1e9, (b - origin) / 1e9] for a, b in blocked]
