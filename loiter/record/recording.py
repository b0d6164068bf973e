"""The caller side of the recording: submits, deliveries and waits, in columns; frozen into a Run.

The hot path is deliberately tiny: a clock read and a few column entries per
task. Everything else (outcomes, JSON-able values, relative times) happens
once, in :meth:`Recording.freeze`.
"""

from __future__ import annotations

import functools
import itertools
import math
import operator
import os
import time
from array import array
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FuturesTimeout
from typing import Any

from ..model.trace import CANCELLED, ERROR, OK, TIMED_OUT, UNDELIVERED, Blocked, Run, Task
from .worker import TIMINGS_ATTR, ChunkTimings, Timing, chunk_timing, describe, now

# ``Recording.blocked`` entry for a wait no task ended (a timeout).
NO_TASK = -1

# ``Recording.delivered_ns`` of a task the caller has not had yet (the array holds machine ints).
UNSET = -1

# Tasks the columns filled later grow by at once, so submitting a task appends to two only.
_ROOM = 4096


class Recording:
    """Everything the caller side saw during one run; frozen into a :class:`Run`.

    One column per field, one entry per task (its index): machine ints in
    arrays and plain lists, so recording adds no GC-tracked object per task.
    An object per task kept alive made the collector rescan them all, which
    cost more than the recording itself. The task count is ``len(recording)``:
    ``submitted`` is filled last, so a reader in another thread sees every
    column at least that long; the columns filled after submission are
    pre-grown in blocks (their spare tail is not part of the recording).
    """

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.origin = now()
        self.wall_origin = time.time()
        self.args: list[Any] = []  # a bounded description per task: the arguments may be freed
        self.pos = array("q")  # position inside the chunk its future carries
        self.futures: list[Future[Any] | None] = []  # dropped on delivery (chunks: at freeze)
        # What the worker reported, in three columns rather than a tuple per task:
        # ``started_ns`` is UNSET until it is known, and is written last (see set_timing).
        self.started_ns = array("q")
        self.finished_ns = array("q")
        self.workers: list[str | None] = []
        self.results: list[Any] = []
        # What the caller got instead of a value, described: the exception (and the
        # frames its traceback holds) is the program's to free.
        self.raised: dict[int, str] = {}
        self.delivered_ns = array("q")  # UNSET until the caller has the value
        self.submitted = array("q")
        self._room = 0  # length of the pre-grown columns
        # The caller's waits, flat: ask, got, index of the task that ended the wait, ...
        self.blocked = array("q")
        self.withdrawn: set[int] = set()  # reserved, but the executor refused the submit
        # The caller submitting, flat: from, to, from, to... Back-to-back submits (no wait
        # nor delivery between them) extend one span, so map's submit-all is one entry.
        self.submitting = array("q")
        self.extending = False  # the caller's last act was a submit
        # Each chunk a process pool's map delivered: (its first task, what its worker sent).
        # Filed into the per-task columns at freeze, so during the run a chunk costs one
        # entry, not a tuple and a wait per task (:meth:`file_chunks`).
        self.chunks: list[tuple[int, ChunkTimings]] = []

    def restart_clock(self) -> None:
        """Nothing recorded yet: the origin moves to now (set-up before it is not the run)."""
        assert not len(self), "the clock restarts only before the first submit"
        self.origin = now()
        self.wall_origin = time.time()

    def __len__(self) -> int:
        return len(self.submitted)

    def delivered_at(self, index: int) -> int | None:
        """When the caller had task ``index``'s outcome, None if not yet."""
        got = self.delivered_ns[index]
        return None if got == UNSET else got

    def waited(self, ask: int, got: int, index: int | None) -> None:
        """The caller was blocked from ``ask`` to ``got``, until task ``index`` arrived.

        ``None`` (stored as -1: the array holds machine ints) is a wait that
        no task ended, e.g. a timeout.
        """
        self.blocked.extend((ask, got, NO_TASK if index is None else index))
        self.extending = False

    def _grow(self, need: int) -> None:
        """Make room in the columns filled after submission for ``need`` tasks."""
        more = max(need - self._room, _ROOM)
        nones = [None] * more
        self.futures.extend(nones)
        self.workers.extend(nones)
        self.results.extend(nones)
        # Repeated arrays and zero bytes: no Python int converted per entry.
        self.pos.frombytes(bytes(self.pos.itemsize * more))
        unset = array("q", [UNSET]) * more
        self.delivered_ns.extend(unset)
        self.started_ns.extend(unset)
        self.finished_ns.extend(unset)
        self._room += more

    def reserve_one(self, args: tuple[Any, ...]) -> int:
        """The index of one call about to be submitted (the common case, kept loop-free)."""
        index = len(self.args)
        if index >= self._room:
            self._grow(index + 1)
        self.args.append(
            args[0] if len(args) == 1 and type(args[0]) in _PLAIN else jsonable_arg(args)
        )
        self.submitted.append(now())
        return index

    def reserve(self, calls: tuple[tuple[Any, ...], ...]) -> range:
        """The indices of calls about to be submitted together as one chunk."""
        submitted = now()
        first, n = len(self.args), len(calls)
        if first + n > self._room:
            self._grow(first + n)
        self.pos[first : first + n] = _positions(n)
        firsts = list(map(_first, calls))  # map's calls over one iterable: 1-tuples
        if _PLAIN.issuperset(map(type, firsts)) and set(map(len, calls)) == {1}:
            self.args.extend(firsts)  # checked and copied in C: no Python step per task
        else:
            self.args.extend(
                [c[0] if len(c) == 1 and type(c[0]) in _PLAIN else jsonable_arg(c) for c in calls]
            )
        self.submitted.extend(array("q", [submitted]) * n)
        return range(first, first + n)

    def submit_returned(self, since: int) -> None:
        """The executor took a submit begun at ``since``: the caller's submitting span grows."""
        end = now()
        if self.extending:
            self.submitting[-1] = end
        else:
            self.submitting.extend((since, end))
            self.extending = True

    def withdraw(self, indices: int | range) -> None:
        """The executor raised instead of taking these tasks (e.g. after shutdown): none ran."""
        for index in [indices] if isinstance(indices, int) else indices:
            self.withdrawn.add(index)
            self.futures[index] = None

    def delivered(self, index: int, value: Any, got: int) -> None:
        """The caller has the value; drop the future so results do not pile up."""
        self.delivered_ns[index] = got
        self.results[index] = value if type(value) in _PLAIN else jsonable(value)
        self.futures[index] = None
        self.extending = False

    def timing(self, index: int) -> Timing | None:
        """``(started, finished, worker)`` as the worker reported them, None until known."""
        started = self.started_ns[index]
        if started == UNSET:
            return None
        return started, self.finished_ns[index], self.workers[index]  # type: ignore[return-value]

    def set_timing(self, index: int, started: int, finished: int, worker: str) -> None:
        """``started`` last: a reader in another thread (the live view) that sees it set
        sees the other two."""
        self.finished_ns[index] = finished
        self.workers[index] = worker
        self.started_ns[index] = started

    def deliver(self, index: int, pack: tuple[Any, int, int, str], got: int) -> None:
        """The caller has a worker's ``(value, started, finished, worker)`` pack."""
        self.set_timing(index, pack[1], pack[2], pack[3])
        self.delivered(index, pack[0], got)

    def fail(self, index: int, exc: BaseException, got: int) -> None:
        """The caller got an exception instead of this task's value."""
        self.extending = False
        self.raised[index] = GAVE_UP if gave_up(exc) else describe(exc)
        timings = getattr(exc, TIMINGS_ATTR, None)
        if timings:
            self.set_timing(index, *timings[min(self.pos[index], len(timings) - 1)])
        if not (gave_up(exc) or isinstance(exc, (KeyboardInterrupt, SystemExit, GeneratorExit))):
            self.delivered_ns[index] = got
            self.futures[index] = None

    def future_timing(self, index: int) -> tuple[Timing | None, BaseException | None]:
        """The timings (and exception) a done future carries for this task, without delivering."""
        future = self.futures[index]
        if future is None or not future.done() or future.cancelled():
            return None, None
        pos = self.pos[index]
        exc = future.exception()
        if exc is None:
            pack = future.result()
            if len(pack) == 3:  # a chunk's ChunkTimings
                return chunk_timing(pack, pos), None
            return pack[1:], None
        timings = getattr(exc, TIMINGS_ATTR, None)
        return (timings[pos] if timings and pos < len(timings) else None), exc

    def freeze(self, **meta: Any) -> Run:
        """Relative seconds, outcomes and JSON-able values; called once, after shutdown."""
        origin = self.origin
        self.file_chunks()
        kept = [i for i in range(len(self)) if i not in self.withdrawn]
        renumber = {old: new for new, old in enumerate(kept)} if self.withdrawn else None
        tasks = [self._task(index, origin) for index in kept]
        if renumber:
            for task in tasks:
                task.index = renumber[task.index]
        flat = self.blocked
        blocked = [
            Blocked(
                (flat[k] - origin) / 1e9,
                (flat[k + 1] - origin) / 1e9,
                None
                if flat[k + 2] == NO_TASK
                else (renumber[flat[k + 2]] if renumber else flat[k + 2]),
            )
            for k in range(0, len(flat), 3)
        ]
        spans = self.submitting
        submitting = [
            ((spans[k] - origin) / 1e9, (spans[k + 1] - origin) / 1e9)
            for k in range(0, len(spans), 2)
        ]
        return Run(
            tasks=tasks,
            caller_blocked=blocked,
            caller_submitting=submitting,
            wall_origin=self.wall_origin,
            **meta,
        )

    def file_chunks(self) -> None:
        """Each delivered chunk's timings into ``timings``, and the waits of its later tasks.

        Those tasks came with the first, so each wait is zero-length: the
        caller asked and had the value at once (``delivered_ns``). They are
        kept because the gaps between waits are the caller's own time per
        result, and filed right after the wait for the chunk's first task,
        where they happened: slices of arrays, no object per task.
        """
        if not self.chunks:
            return
        delivered = self.delivered_ns
        ends: dict[int, int] = {}  # first task of each chunk: its end
        for first, (_, raw, worker) in self.chunks:
            stamps = array("q", raw)  # started, finished, started, ... one pair per call
            ends[first] = end = first + len(stamps) // 2
            self.finished_ns[first:end] = stamps[1::2]
            self.workers[first:end] = itertools.repeat(worker, end - first)
            self.started_ns[first:end] = stamps[0::2]
        self.chunks = []
        flat, waits = self.blocked, array("q")
        for k in range(0, len(flat), 3):
            waits.extend(flat[k : k + 3])
            task = flat[k + 2]
            end = ends.pop(task, 0)  # nonzero: this wait ended with a chunk's first task
            if end:
                got = delivered[task + 1 : end]
                if UNSET in got:  # the caller left inside the chunk: its future tells the rest
                    del got[got.index(UNSET) :]
                else:  # all delivered: the future is done with
                    self.futures[task:end] = itertools.repeat(None, end - task)
                later = array("q", bytes(24 * len(got)))
                later[0::3] = later[1::3] = got
                later[2::3] = array("q", range(task + 1, task + 1 + len(got)))
                waits.extend(later)
        self.blocked = waits

    def _task(self, index: int, origin: int) -> Task:
        outcome, error = self._settle(index)
        started, finished, worker = self.timing(index) or _NO_TIMING
        delivered = self.delivered_ns[index]
        # Ints are kept as they came (see _PLAIN); a huge one is described here, once.
        arg = self.args[index]
        result = self.results[index] if outcome == OK else None
        # Positional and inline: freeze runs once per task of runs of 100k tasks.
        return Task(
            index,
            arg if type(arg) is not int or -_BIG <= arg < _BIG else jsonable(arg),
            (self.submitted[index] - origin) / 1e9,
            None if started is None else (started - origin) / 1e9,
            None if finished is None else (finished - origin) / 1e9,
            None if delivered == UNSET else (delivered - origin) / 1e9,
            worker,
            outcome,
            result if type(result) is not int or -_BIG <= result < _BIG else jsonable(result),
            error,
        )

    def _settle(self, index: int) -> tuple[str, str | None]:
        """Decide a task's outcome from what the caller saw, then from its future."""
        delivered = self.delivered_ns[index] != UNSET
        error = self.raised.get(index)
        if error is GAVE_UP:
            self._late_timing(index)
            return TIMED_OUT, GAVE_UP
        if error is not None and delivered:
            return ERROR, error
        if delivered:
            return OK, None
        future = self.futures[index]
        if future is None or not future.done():
            return UNDELIVERED, None
        if future.cancelled():
            return CANCELLED, None
        exc = self._late_timing(index)
        return UNDELIVERED, describe(exc) if exc is not None else None

    def _late_timing(self, index: int) -> BaseException | None:
        """Read timings of a task the caller never took, from its future, if it ran."""
        timing, exc = self.future_timing(index)
        if timing is not None and self.timing(index) is None:
            self.set_timing(index, *timing)
        return exc


_NO_TIMING = (None, None, None)
_first = operator.itemgetter(0)


@functools.cache
def _positions(n: int) -> array[int]:
    """0, 1, ... n-1: the positions in a chunk of ``n``, built once per chunk size."""
    return array("q", range(n))


# ``Recording.raised`` of a task the caller stopped waiting for (compared by identity).
GAVE_UP = "TimeoutError: the caller stopped waiting"


def gave_up(exc: BaseException) -> bool:
    """The caller's own timeout, not a task that raised TimeoutError (those carry timings)."""
    return isinstance(exc, FuturesTimeout) and not hasattr(exc, TIMINGS_ATTR)


_SCALARS = (int, float, bool, type(None))
# Values kept as they are without a call (a float may be NaN, a str may be long).
_PLAIN = frozenset((int, bool, type(None)))
# Ints beyond 64 bits are described: str() refuses one of 4300 digits, and so the save would.
_BIG = 1 << 63
# How deep jsonable looks into lists and dicts: a result nested 100,000 deep is still one value.
_DEPTH = 4


def jsonable(value: Any, depth: int = 0) -> Any:
    """Small JSON values as they are; anything else as a short description."""
    if isinstance(value, _SCALARS):
        if isinstance(value, float):
            return value if math.isfinite(value) else repr(value)
        return value if value is None or -_BIG <= value < _BIG else _huge(value)
    if isinstance(value, str):
        return value if len(value) <= 80 else value[:77] + "..."
    if depth < _DEPTH and isinstance(value, (list, tuple)) and len(value) <= 8:
        return [jsonable(v, depth + 1) for v in value]
    if (
        depth < _DEPTH
        and isinstance(value, dict)
        and len(value) <= 8
        and all(isinstance(k, str) for k in value)
    ):
        return {k: jsonable(v, depth + 1) for k, v in value.items()}
    return f"<{type(value).__qualname__}>"


def _huge(value: int) -> str:
    """A huge int by its number of digits, counted without str()."""
    digits = int(math.log10(abs(value))) + 1
    if abs(value) < 10 ** (digits - 1):  # log10 rounded up at the edge of a power of ten
        digits -= 1
    return f"<int of {digits} digits>"


def jsonable_arg(args: tuple[Any, ...]) -> Any:
    """One positional argument is stored as itself, several as a list."""
    return jsonable(args[0]) if len(args) == 1 else jsonable(list(args))
