"""The worker side of the recording: time each call where it runs, hand the timings back with it.

Runs in the worker (a thread, or a separate process): a clock read and a
tuple per call, nothing more. The caller's side is :mod:`loiter.record.recording`.
"""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing
import os
import pickle
import queue
import threading
import time
from array import array
from collections.abc import Callable, Iterator
from concurrent.futures import CancelledError
from typing import Any

from ..model.names import CALLER

# One monotonic clock for every timestamp. perf_counter_ns is system-wide on
# Linux, macOS and Windows, so worker processes on this host read the same clock.
now = time.perf_counter_ns

# (started_ns, finished_ns, worker): what the worker side hands back per call.
Timing = tuple[int, int, str]

# The exception attribute that carries worker timings back with a failure.
TIMINGS_ATTR = "_loiter_timings"

# Where workers push (STARTED | FINISHED, ns, worker) while a live view watches;
# None otherwise, so the hot path pays one global lookup. Set per process by
# :func:`set_live_sink` (directly for threads, via the pool initializer for processes).
STARTED, FINISHED = "started", "finished"
_live_sink: Any = None


def set_live_sink(sink: Any) -> None:
    """Install (or with None remove) the live event queue in this process."""
    global _live_sink
    _live_sink = sink


def live_sink() -> Any:
    """The live event queue of this process, None when no live view watches."""
    return _live_sink


def live_events(executor: str) -> Any:
    """The queue worker events travel through: shared memory for threads, a pipe for processes."""
    return multiprocessing.Queue() if executor == "process" else queue.SimpleQueue()


_names: dict[int, str] = {}
_ident = threading.get_ident
if hasattr(os, "register_at_fork"):
    # A forked child must not reuse the parent's thread names.
    os.register_at_fork(after_in_child=_names.clear)


def worker_name(caller_pid: int, caller_thread: int | None = None) -> str:
    """Thread name in the caller's process, process name (plus thread) elsewhere."""
    ident = threading.get_ident()
    if ident == caller_thread and os.getpid() == caller_pid:
        return CALLER
    name = _names.get(ident)
    if name is None:
        thread = threading.current_thread().name
        if os.getpid() == caller_pid:
            name = thread
        else:
            proc = multiprocessing.current_process().name
            name = proc if thread == "MainThread" else f"{proc}/{thread}"
        _names[ident] = name
    return name


class TimedCall:
    """Picklable wrapper that runs in the worker, like CPython's ``_WorkItem.run``.

    Returns ``(value, started, finished, worker)``; on failure the exception is
    re-raised unchanged but carries the timings, so the authoritative data
    travels with the outcome and never through a side channel.
    """

    __slots__ = ("caller_pid", "caller_thread", "fn")

    def __init__(self, fn: Any, caller_pid: int) -> None:
        self.fn = fn
        self.caller_pid = caller_pid
        self.caller_thread = threading.get_ident()  # built in the caller, always

    def __call__(self, *args: Any) -> tuple[Any, int, int, str]:
        # Positional only: a ``**kwargs`` here would cost a dict per task in map;
        # TracedExecutor.submit binds keyword arguments into ``fn`` instead.
        started = now()
        # The cached name inline: a dict look-up, not a call, on every task.
        worker = _names.get(_ident()) or worker_name(self.caller_pid, self.caller_thread)
        sink = _live_sink
        if sink is not None:
            sink.put((STARTED, started, worker))
        try:
            value = self.fn(*args)
        except BaseException as exc:
            stand_in = self.failed(exc, [], started, worker)
            if stand_in is not None:
                raise stand_in from None
            raise
        finished = now()
        if sink is not None:
            sink.put((FINISHED, finished, worker))
        return value, started, finished, worker

    def failed(
        self, exc: BaseException, ran: list[Timing], started: int, worker: str
    ) -> UnpicklableError | None:
        """Attach the timings of the calls that ran (``ran``, then this one) to what is raised.

        Returns a stand-in to raise instead when ``exc`` could not travel back.
        """
        finished = now()
        sink = _live_sink
        if sink is not None:
            sink.put((FINISHED, finished, worker))
        ran.append((started, finished, worker))
        stand_in = _unportable(exc) if os.getpid() != self.caller_pid else None
        attach_timings(exc if stand_in is None else stand_in, ran)
        return stand_in

    def __getstate__(self) -> tuple[Any, int, int]:
        return self.fn, self.caller_pid, self.caller_thread

    def __setstate__(self, state: tuple[Any, int, int]) -> None:
        self.fn, self.caller_pid, self.caller_thread = state


# What a chunk hands back: its values, the started and finished ns of each call
# as one array's raw bytes (pairs: a call's two stamps side by side), and the
# worker. Not a tuple per call: raw bytes pickle and unpickle as one block, and
# the caller files a whole chunk with slice assignments. A plain tuple (a class
# costs a look-up per chunk to unpickle) of three items; a call's pack has four.
ChunkTimings = tuple[list[Any], bytes, str]


def chunk_timings(chunk: ChunkTimings) -> Iterator[Timing]:
    """The ``(started, finished, worker)`` of each call of a chunk, in order."""
    stamps = memoryview(chunk[1]).cast("q")
    return zip(stamps[0::2], stamps[1::2], itertools.repeat(chunk[2]))


def chunk_timing(chunk: ChunkTimings, pos: int) -> Timing:
    """The ``(started, finished, worker)`` of the call at ``pos`` in a chunk."""
    stamps = memoryview(chunk[1]).cast("q")
    return stamps[2 * pos], stamps[2 * pos + 1], chunk[2]


class TimedChunk:
    """Runs a chunk of calls back to back in one worker, as ProcessPoolExecutor.map does.

    Like CPython's ``_process_chunk``, one failure fails the whole chunk; the
    timings of the calls that did run still travel back on the exception.
    The loop is :meth:`TimedCall.__call__` inlined: it runs once per task.
    """

    __slots__ = ("recorded",)

    def __init__(self, recorded: TimedCall) -> None:
        self.recorded = recorded

    def __call__(self, chunk: tuple[tuple[Any, ...], ...]) -> ChunkTimings:
        recorded = self.recorded
        fn = recorded.fn
        worker = _names.get(_ident()) or worker_name(recorded.caller_pid, recorded.caller_thread)
        sink = _live_sink
        values: list[Any] = []
        stamps = array("q")
        value_, stamp = values.append, stamps.append
        for args in chunk:
            started = now()
            if sink is not None:
                sink.put((STARTED, started, worker))
            try:
                value = fn(*args)
            except BaseException as exc:
                ran = list(chunk_timings((values, stamps.tobytes(), worker)))
                stand_in = recorded.failed(exc, ran, started, worker)
                if stand_in is not None:
                    raise stand_in from None
                raise
            finished = now()
            if sink is not None:
                sink.put((FINISHED, finished, worker))
            value_(value)
            stamp(started)
            stamp(finished)
        return values, stamps.tobytes(), worker

    def __getstate__(self) -> TimedCall:
        return self.recorded

    def __setstate__(self, state: TimedCall) -> None:
        self.recorded = state


class UnpicklableError(Exception):
    """Stands in for a worker's exception that could not travel back to the caller."""


def _unportable(exc: BaseException) -> UnpicklableError | None:
    """A stand-in for an exception the caller could not unpickle (that would break the pool)."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return UnpicklableError(f"{describe(exc)} (the exception could not be pickled back)")
    return None


def attach_timings(exc: BaseException, timings: list[Timing]) -> None:
    # An exception type with __slots__ loses its timings, never its error.
    with contextlib.suppress(AttributeError, TypeError):
        setattr(exc, TIMINGS_ATTR, timings)


# The longest error text the trace keeps: a message can be any size (a whole file, say).
MAX_MESSAGE = 1000


def describe(exc: BaseException) -> str:
    """``Type: message`` — what the trace and the summary show of an exception.

    Never fails and stays bounded: a ``__str__`` (or an argument's ``__repr__``)
    that raises, or a message too long for ``str()``, is described, not obeyed.
    A Ctrl-C while the message is built still stops the run.
    """
    if isinstance(exc, CancelledError):
        return "CancelledError"
    if isinstance(exc, Escaped):
        return exc.description
    name = type(exc).__name__
    try:
        message = str(exc)
    except KeyboardInterrupt:
        raise
    except BaseException:
        return f"{name}: <unprintable>"
    if len(message) > MAX_MESSAGE:
        message = message[: MAX_MESSAGE - 3] + "..."
    return f"{name}: {message}" if message else name


class Escaped(Exception):
    """A task's SystemExit, KeyboardInterrupt, GeneratorExit or other BaseException, made an
    ordinary failure: what it asked for (exit, stop) is recorded, never done."""

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


class Contained:
    """Picklable wrapper the runner puts around every task: nothing a task raises escapes as
    more than an Exception, so neither the pool nor the caller obeys it.

    ``except Exception`` in the runner would let a BaseException through, and a thread
    pool hands it to the caller as is (``sys.exit(4)`` in a task ended loiter-viz with
    status 4). A KeyboardInterrupt in the caller's main thread (the sequential strategy
    runs tasks there) is the user's Ctrl-C, the only place a signal raises one: it passes.
    Traced executors stay faithful to the wrapped one; only the runner contains.
    """

    __slots__ = ("caller_pid", "fn")

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn = fn
        self.caller_pid = os.getpid()

    def __call__(self, *args: Any) -> Any:
        try:
            return self.fn(*args)
        except BaseException as exc:
            if isinstance(exc, Exception) or self.ctrl_c(exc):
                raise
            raise Escaped(describe(exc)) from None

    def ctrl_c(self, exc: BaseException) -> bool:
        """The user's Ctrl-C (or the CLI's SIGTERM), not the task's own KeyboardInterrupt."""
        return (
            isinstance(exc, KeyboardInterrupt)
            and os.getpid() == self.caller_pid
            and threading.current_thread() is threading.main_thread()
        )

    def __getstate__(self) -> tuple[Callable[..., Any], int]:
        return self.fn, self.caller_pid

    def __setstate__(self, state: tuple[Callable[..., Any], int]) -> None:
        self.fn, self.caller_pid = state
