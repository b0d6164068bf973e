"""An Executor that records every task of any inner executor without changing what the caller sees.

``map`` is CPython's own ``Executor.map`` driven through a recording
``submit``, so ordering, ``timeout``, cancellation on early exit and (3.14+)
``buffersize`` behave exactly as in the standard library.
"""

from __future__ import annotations

import concurrent.futures as cf
import copy
import itertools
import weakref
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import _base
from functools import partial
from typing import Any, TypeVar, cast

from loiter.model.trace import Run, Trace
from loiter.record.recording import _PLAIN, Recording, gave_up, jsonable
from loiter.record.worker import (
    TIMINGS_ATTR,
    ChunkTimings,
    TimedCall,
    TimedChunk,
    Timing,
    UnpicklableError,
    describe,
    now,
)

T = TypeVar("T")


class TracedFuture(cf.Future[Any]):
    """The caller's future: mirrors the inner one and notes when its result is delivered."""

    def __init__(self, recording: Recording, index: int) -> None:
        super().__init__()
        self._recording = recording
        self._index = index

    def cancel(self) -> bool:
        inner = self._recording.futures[self._index]
        return inner.cancel() if inner is not None else super().cancel()

    def result(self, timeout: float | None = None) -> Any:
        rec, index = self._recording, self._index
        ask = now()
        waited = not self.done()
        try:
            value = super().result(timeout)
        except BaseException as exc:
            if waited:
                rec.waited(ask, now(), index)
            if rec.delivered_at(index) is None and not gave_up(exc):
                rec.fail(index, exc, now())
            raise
        got = now()
        if waited:
            rec.waited(ask, got, index)
        if rec.delivered_at(index) is None:
            rec.delivered(index, value, got)
        return value

    def _timing(self) -> Timing | None:
        return self._recording.timing(self._index)

    def _relay(self, inner: cf.Future[Any]) -> None:
        """Done-callback on the inner future: unwrap the worker's timings."""
        if inner.cancelled():
            super().cancel()
            self.set_running_or_notify_cancel()
            return
        exc = inner.exception()
        rec = self._recording
        if exc is None:
            value, started, finished, worker = inner.result()
            rec.set_timing(self._index, started, finished, worker)
            self.set_result(value)
        else:
            carried = getattr(exc, TIMINGS_ATTR, None)
            if carried:
                rec.set_timing(self._index, *carried[0])
            self.set_exception(exc)
            rec.futures[self._index] = _settled(exc)


def _settled(exc: BaseException) -> cf.Future[Any]:
    """A done future with a copy of ``exc`` minus its traceback, for the record.

    The traceback holds the worker's frames, and through them its thread: kept
    in the record, it would outlive the program's own references.
    """
    future: cf.Future[Any] = cf.Future()
    try:
        light = copy.copy(exc)
    except Exception:
        light = UnpicklableError(describe(exc))
    future.set_exception(light.with_traceback(None))
    return future


class _Submitter(cf.Executor):
    """What CPython's Executor.map calls ``self.submit`` on: records, then forwards."""

    def __init__(self, inner: cf.Executor, recording: Recording, chunked: bool) -> None:
        self._inner = inner
        self._recording = recording
        self._chunked = chunked

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future[Any]:
        rec = self._recording
        indices = rec.reserve(args[0]) if self._chunked else rec.reserve_one(args)
        try:
            future = self._inner.submit(fn, *args, **kwargs)
        except BaseException:
            rec.withdraw(indices)
            raise
        if isinstance(indices, range):
            rec.futures[indices.start : indices.stop] = [future] * len(indices)
            rec.submit_returned(rec.submitted[indices.start])
        else:
            rec.futures[indices] = future
            rec.submit_returned(rec.submitted[indices])
        return future


class TracedExecutor(cf.Executor):
    """Wraps any executor; after ``shutdown`` (or the ``with`` block) ``.trace`` holds the run."""

    def __init__(self, inner: cf.Executor, **meta: Any) -> None:
        self.inner = inner
        self.recording = Recording()
        self.meta = meta
        self.trace: Trace | None = None

    def __getattr__(self, name: str) -> Any:
        """Anything else reads through to the wrapped executor (``_max_workers``...)."""
        if name == "inner":  # not set: unpickling, or __init__ never ran
            raise AttributeError(name)
        return getattr(self.inner, name)

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> TracedFuture:
        rec = self.recording
        index = rec.reserve_one(args)
        try:
            inner = self.inner.submit(
                TimedCall(partial(fn, **kwargs) if kwargs else fn, rec.pid), *args
            )
        except BaseException:  # e.g. after shutdown: the pool took no task
            rec.withdraw(index)
            raise
        outer = TracedFuture(rec, index)
        rec.futures[index] = inner
        rec.submit_returned(rec.submitted[index])
        inner.add_done_callback(outer._relay)
        return outer

    def map(
        self,
        fn: Callable[..., Any],
        *iterables: Iterable[Any],
        timeout: float | None = None,
        chunksize: int = 1,
        **kwargs: Any,
    ) -> Iterator[Any]:
        """Executor.map with the same semantics; ``kwargs`` passes ``buffersize`` on 3.14+."""
        rec = self.recording
        recorded = TimedCall(fn, rec.pid)
        first = len(rec)
        process = isinstance(self.inner, cf.ProcessPoolExecutor)
        if process and chunksize < 1:
            raise ValueError("chunksize must be >= 1.")  # as ProcessPoolExecutor.map says
        if chunksize > 1 and process:
            submitter = _Submitter(self.inner, rec, chunked=True)
            chunks = _chunks(iterables, chunksize)
            source = _cpython_map(submitter, TimedChunk(recorded), (chunks,), timeout, kwargs)
            return self._deliver_chunks(source, first, submitter)
        submitter = _Submitter(self.inner, rec, chunked=False)
        source = _cpython_map(submitter, recorded, iterables, timeout, kwargs)
        return self._deliver_in_order(source, first, submitter)

    def _deliver_in_order(
        self,
        source: Generator[Any, None, None],
        index: int,
        submitter: _Submitter,
    ) -> Iterator[Any]:
        """Per result: a clock read or two, the task's columns filled in place, a wait appended.

        This is ``Recording.delivered`` and ``Recording.waited`` inlined: map is
        the hot path of big pipelines (chunks have their own,
        :meth:`_deliver_chunks`). Like CPython's map, this frame holds no
        result while the caller has it (the value leaves through ``box``), so
        a result the caller drops is freed. CPython 3.14's map(buffersize=)
        holds its executor (our submitter) only weakly; this frame keeps it
        alive, or later tasks would never be submitted.
        """
        rec = self.recording
        started_ns, finished_ns, workers, delivered, results, futures = (
            rec.started_ns,
            rec.finished_ns,
            rec.workers,
            rec.delivered_ns,
            rec.results,
            rec.futures,
        )
        waited = rec.blocked.extend
        plain = _PLAIN
        box: list[Any] = []
        try:
            ask = now()
            while True:
                try:
                    pack = next(source)
                except StopIteration:
                    return
                except BaseException as exc:
                    got = now()
                    waited((ask, got, index))
                    rec.fail(index, exc, got)
                    raise
                got = now()
                box.append(pack[0])
                # Recording.set_timing, inlined (once per task): started last.
                finished_ns[index], workers[index], started_ns[index] = pack[2], pack[3], pack[1]
                pack = None
                delivered[index] = got
                results[index] = box[0] if type(box[0]) in plain else jsonable(box[0])
                futures[index] = None  # so results do not pile up
                waited((ask, got, index))
                rec.extending = False
                index += 1
                yield box.pop()
                ask = got = now()
        finally:
            source.close()  # CPython's map cancels what has not started

    def _deliver_chunks(
        self, source: Generator[ChunkTimings, None, None], index: int, submitter: _Submitter
    ) -> Iterator[Any]:
        """:meth:`_deliver_in_order` for chunks: the bookkeeping per chunk, a clock read per task.

        A chunk arrives whole, so only its first task can keep the caller
        waiting. The chunk is kept as the worker sent it (timings as raw bytes)
        and filed per task at freeze (``Recording.file_chunks``); its future
        stays until then (a live view reads the timings from it) and holds
        nothing the caller has not taken: the values are popped. Each task costs
        one clock read: the moment the caller asked for it is the moment it had
        it. As in CPython's map, no value stays referenced here once yielded.
        """
        rec = self.recording
        delivered, results, chunks = rec.delivered_ns, rec.results, rec.chunks.append
        waited, clock, plain = rec.blocked.extend, now, _PLAIN
        try:
            ask = clock()
            while True:
                try:
                    chunk = next(source)
                except StopIteration:
                    return
                except BaseException as exc:
                    got = clock()
                    waited((ask, got, index))
                    rec.fail(index, exc, got)
                    raise
                got = clock()
                values = chunk[0]
                first, end = index, index + len(values)
                chunks((first, chunk))
                results[first:end] = (
                    values
                    if plain.issuperset(map(type, values))
                    else [v if type(v) in plain else jsonable(v) for v in values]
                )
                values.reverse()
                pop = values.pop
                delivered[first] = got
                waited((ask, got, first))
                rec.extending = False
                yield pop()
                for index in range(first + 1, end):
                    delivered[index] = clock()
                    yield pop()
                ask = clock()
                index = end
        finally:
            source.close()  # CPython's map cancels what has not started

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.inner.shutdown(wait=wait, cancel_futures=cancel_futures)
        if wait:
            self.freeze()

    def freeze(self, **meta: Any) -> Run:
        """Turn what was recorded into a Trace of one run (also available as ``.trace``)."""
        run = self.recording.freeze(**{**_default_meta(self.inner), **self.meta, **meta})
        self.trace = Trace([run])
        return run


def _cpython_map(
    submitter: _Submitter,
    fn: Callable[..., Any],
    iterables: Iterable[Iterable[Any]],
    timeout: float | None,
    kwargs: dict[str, Any],
) -> Generator[Any, None, None]:
    """CPython's own ``Executor.map`` over the recording submitter.

    It is a generator (typeshed says only Iterator): closing it is what cancels
    the tasks not yet started when the caller stops early.
    """
    results = cf.Executor.map(submitter, fn, *iterables, timeout=timeout, **kwargs)
    return cast(Generator[Any, None, None], results)


def traced(executor: cf.Executor, **meta: Any) -> TracedExecutor:
    """Wrap any executor so every task it runs is recorded; ``.trace`` holds the run after ``with``.

    ``meta`` overrides what the trace says about the run (``scenario``,
    ``strategy``, ``workload``, ``unit``...). Results, exceptions and ordering
    are unchanged; the tasks must be picklable if the executor needs them to be.
    """
    return TracedExecutor(executor, **meta)


def _default_meta(inner: cf.Executor) -> dict[str, Any]:
    kind = {
        cf.ThreadPoolExecutor: "thread",
        cf.ProcessPoolExecutor: "process",
    }.get(type(inner), type(inner).__name__)
    return {
        "scenario": "custom",
        "strategy": "traced",
        "executor": kind,
        "workers": getattr(inner, "_max_workers", 1),
        "unit": 1.0,
        "workload": "custom",
        "options": dict(getattr(inner, "trace_options", {})),  # e.g. a cluster's clock offsets
    }


def _chunks(iterables: tuple[Iterable[Any], ...], size: int) -> Iterator[tuple[Any, ...]]:
    it = zip(*iterables)
    while chunk := tuple(itertools.islice(it, size)):
        yield chunk


def as_completed(
    fs: Iterable[cf.Future[T]], timeout: float | None = None
) -> Iterator[cf.Future[T]]:
    """``concurrent.futures.as_completed`` that also records when the caller was blocked.

    On timeout, the futures not yet yielded are recorded as timed out. Like the
    standard library's, it keeps no reference to a future it has yielded.
    """
    fs = set(fs)
    pending = weakref.WeakSet(f for f in fs if isinstance(f, TracedFuture))
    it = _base.as_completed(fs, timeout)
    del fs
    box: list[cf.Future[Any]] = []
    while True:
        ask = now()
        try:
            box.append(next(it))
        except StopIteration:
            return
        except cf.TimeoutError:
            _waited(pending, ask)
            give_up(f for f in pending if not f.done())
            raise
        got = now()
        if isinstance(box[0], TracedFuture):
            box[0]._recording.waited(ask, got, box[0]._index)
        yield box.pop()


def wait(
    fs: Iterable[cf.Future[T]], timeout: float | None = None, return_when: str = cf.ALL_COMPLETED
) -> tuple[set[cf.Future[T]], set[cf.Future[T]]]:
    """``concurrent.futures.wait`` that records the wait, ended by the first task that finished."""
    fs = list(fs)
    ask = now()
    result = _base.wait(fs, timeout, return_when)
    got = now()
    finished = {
        f: timing[1] for f in result.done if isinstance(f, TracedFuture) and (timing := f._timing())
    }
    if finished:
        first = min(finished, key=finished.__getitem__)
        first._recording.waited(ask, got, first._index)
    elif not result.done:
        _waited(fs, ask, got)
    return result


def _waited(fs: Iterable[cf.Future[Any]], ask: int, got: int | None = None) -> None:
    """Record a wait that no task ended (it timed out), on the futures' recording."""
    for future in fs:
        if isinstance(future, TracedFuture):
            future._recording.waited(ask, got or now(), None)
            return


def give_up(fs: Iterable[cf.Future[Any]]) -> None:
    """The caller stopped waiting for these futures: their tasks are recorded as timed out."""
    got = now()
    for future in fs:
        if isinstance(future, TracedFuture):
            rec, index = future._recording, future._index
            if rec.delivered_at(index) is None:
                rec.fail(index, cf.TimeoutError(), got)
