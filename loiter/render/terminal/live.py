"""The live terminal view: one row per task, bars growing on a shared time axis.

Two sources, read by the refresh loop (never pushed into the view):
- worker events ``(started|finished, ns, worker)`` from a queue the workers
  fill (a plain queue for threads, a ``multiprocessing`` queue handed to
  process workers through the pool initializer);
- the caller's live :class:`~loiter.record.recording.Recording` (submits, deliveries),
  and the authoritative timings once a result is back.

Both stdlib pools start tasks in submission order, so the k-th start event is
the k-th submitted task; a worker runs one task at a time, so its finish event
ends the task it started. :func:`frame` is a pure function of a snapshot.
"""

from __future__ import annotations

import contextlib
import queue
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from loiter.analyze.schedule import ideal_schedule
from loiter.model.safetext import safe
from loiter.record.recording import Recording
from loiter.record.worker import STARTED, Timing, now

PENDING, QUEUED, RUNNING, HELD, DELIVERED, ERROR, CANCELLED = (
    "pending",
    "queued",
    "running",
    "held",
    "delivered",
    "error",
    "cancelled",
)
STATE_STYLE = {
    PENDING: "dim",
    QUEUED: "yellow",
    RUNNING: "cyan",
    HELD: "bold red",
    DELIVERED: "green",
    ERROR: "bold magenta",
    CANCELLED: "dim",
}
REFRESH_PER_SECOND = 12

# A task's (started, finished, worker) as far as the view has seen it: a task a
# worker is running now has no finish yet.
Seen = tuple[int, int | None, str]


@dataclass(frozen=True)
class Row:
    """One task as the view shows it; times in seconds from the run's origin."""

    index: int
    arg: Any
    state: str
    worker: str
    submitted: float | None
    started: float | None
    finished: float | None
    delivered: float | None


class Board:
    """What the view knows of a run while it goes, from worker events and the Recording."""

    def __init__(self, recording: Recording, args: Sequence[Any], events: Any) -> None:
        self.recording = recording
        self.args = args
        self.events = events
        self.starts = 0  # start events so far
        self.running: dict[str, int] = {}  # worker -> start ns of what it runs now
        self.workers: dict[str, str] = {}
        self.window = 0  # all tasks before it are delivered

    def pump(self) -> None:
        """Take every event waiting in the queue: which worker runs something since when."""
        with contextlib.suppress(queue.Empty, OSError, ValueError):
            while True:
                kind, ns, worker = self.events.get_nowait()
                if kind == STARTED:
                    self.running[worker] = ns
                    self.starts += 1
                else:
                    self.running.pop(worker, None)

    def label(self, worker: str) -> str:
        return self.workers.setdefault(worker, f"w{len(self.workers) + 1}")

    def first_open(self) -> int:
        """The lowest task not yet delivered (where a lecture's eye is)."""
        rec = self.recording
        while self.window < len(rec) and rec.delivered_at(self.window) is not None:
            self.window += 1
        return self.window

    def rows(self, start: int = 0, stop: int | None = None) -> list[Row]:
        """A snapshot: exact timings once a future is done, worker events before that.

        Pools start tasks in submission order, so the tasks running now are
        the ones not done among the first ``starts``; they get the running
        workers in the same order.
        """
        rec = self.recording
        origin = rec.origin
        n = len(rec)
        stop = min(len(self.args), len(self.args) if stop is None else stop)
        timings: dict[int, Seen | None] = {i: self._timing(i) for i in range(min(n, self.starts))}
        running = iter(sorted((ns, w) for w, ns in self.running.items()))
        out = []
        for i, timing in timings.items():
            if timing is None:
                ns, worker = next(running, (None, ""))
                timings[i] = (ns, None, worker) if ns is not None else None
        for i in range(start, stop):
            out.append(self._row(i, i < n, timings.get(i), origin))
        return out

    def _timing(self, i: int) -> Timing | None:
        rec = self.recording
        return rec.timing(i) or rec.future_timing(i)[0]

    def _row(self, i: int, submitted: bool, timing: Seen | None, origin: int) -> Row:
        arg = self.args[i]
        if not submitted:
            return Row(i, arg, PENDING, "", None, None, None, None)
        rec = self.recording
        started, finished, worker = timing or (None, None, "")
        future = rec.futures[i]
        delivered = rec.delivered_at(i)
        if i in rec.raised:
            state = ERROR
        elif delivered is not None:
            state = DELIVERED
        elif future is not None and future.cancelled():
            state = CANCELLED
        elif finished is not None:
            state = HELD
        elif started is not None:
            state = RUNNING
        else:
            state = QUEUED
        return Row(
            i,
            arg,
            state,
            self.label(worker) if worker else "",
            _rel(rec.submitted[i], origin),
            _rel(started, origin),
            _rel(finished, origin),
            _rel(delivered, origin),
        )


def _rel(ns: int | None, origin: int) -> float | None:
    return None if ns is None else (ns - origin) / 1e9


def caller_line(rows: Sequence[Row], strategy: str, done: bool) -> str:
    """What the caller waits for right now, in words a lecture can read out."""
    if done:
        return "caller: done"
    waiting = [r for r in rows if r.state in (QUEUED, RUNNING, HELD)]
    pending = [r.index for r in rows if r.state == PENDING]
    # bounded submits one more per result taken: tasks wait unsubmitted all along.
    if pending and not (strategy == "bounded" and waiting):
        return "caller: submitting"
    if not waiting:
        return "caller: finishing"
    held = [r.index for r in rows if r.state == HELD]
    if strategy in ("map", "bounded"):
        head = waiting[0]
        text = f"caller: blocked in next(), waiting for #{head.index} ({head.state})"
        others = [i for i in held if i != head.index]
        if others:
            text += f"; finished but held: {', '.join(f'#{i}' for i in others)}"
        if pending:  # bounded: one more is submitted per result taken
            text += f"; #{pending[0]}.. not yet submitted"
        return text
    if strategy in ("gather", "taskgroup"):
        what = "gather()" if strategy == "gather" else "the TaskGroup's block"
        return f"caller: awaiting {what}: every result at once, when all {len(waiting)} are done"
    return f"caller: waiting for whichever finishes first of {len(waiting)} task(s)"


def bar(row: Row, axis: float, width: int, elapsed: float) -> Text:
    """The row's segments on the shared axis: queued ·, running █, held ▒, delivered ┃."""
    text = Text(no_wrap=True, overflow="crop")
    if width <= 0 or row.submitted is None:
        return text

    def col(t: float) -> int:
        return min(width, max(0, round(t / axis * width)))

    for start, end, char, style in (
        (row.submitted, row.started, "·", "yellow"),
        (row.started, row.finished, "█", "cyan"),
        (row.finished, row.delivered, "▒", "bold red"),
    ):
        if start is None:
            continue
        a, b = col(start), col(end if end is not None else elapsed)
        pad = a - len(text)
        if pad > 0:
            text.append(" " * pad)
        if b > len(text):
            text.append(char * (b - len(text)), style=style)
        if end is None:
            return text
    if row.delivered is not None:
        pos = min(col(row.delivered), width - 1)
        if pos >= len(text):
            text.append(" " * (pos - len(text)))
            text.append("┃", style="green")
    return text


def frame(
    title: str, rows: Sequence[Row], caller: str, elapsed: float, axis: float, width: int
) -> Group:
    """The whole view for one instant: a pure function, tested by exact strings."""
    table = Table.grid(padding=(0, 1))
    for justify in ("right", "right", "left", "left", "left"):
        table.add_column(justify=justify, no_wrap=True)
    arg_width = max((len(safe(r.arg)) for r in rows), default=1)
    index_width = max((len(f"#{r.index}") for r in rows), default=2)
    bar_width = max(0, width - (index_width + arg_width + 9 + 3 + 4))  # 4 one-space pads
    for r in rows:
        table.add_row(
            f"#{r.index}",
            Text(safe(r.arg)),
            Text(f"{r.state:<9}", style=STATE_STYLE[r.state]),
            f"{r.worker:<3}",
            bar(r, axis, bar_width, elapsed),
        )
    header = Text(
        f"{safe(title)}  {elapsed:6.2f}s / axis {axis:.2f}s", style="bold", overflow="crop"
    )
    return Group(header, table, Text(caller, overflow="crop", no_wrap=True))


def expected_span(durations: Sequence[float], workers: int, strategy: str) -> float:
    """The ideal makespan, so the axis rarely has to rescale mid-run."""
    workers = workers or max(1, len(durations))  # asyncio's 0: no limit
    try:
        ideal = ideal_schedule(durations, workers, strategy)
    except ValueError:
        ideal = ideal_schedule(durations, workers, "map")
    return max((t.delivered for t in ideal), default=0.0)


@contextlib.contextmanager
def watching(
    console: Console,
    recording: Recording,
    args: Sequence[Any],
    events: Any,
    *,
    title: str,
    strategy: str,
    expected: float,
) -> Iterator[None]:
    """Show the run live until the block ends; the final frame stays on screen."""
    board = Board(recording, args, events)
    done = False

    def render() -> Group:
        board.pump()
        elapsed = (now() - recording.origin) / 1e9
        axis = max(expected * 1.05, elapsed * 1.1, 0.1)
        # Only the rows that fit: a window from the first task not yet delivered.
        fit = max(1, console.height - 3)
        start = min(board.first_open(), max(0, len(args) - fit))
        rows = board.rows(start, start + fit)
        head = title
        if len(rows) < len(args):
            head += f"  (tasks #{start}..#{start + len(rows) - 1} of {len(args)})"
        return frame(head, rows, caller_line(rows, strategy, done), elapsed, axis, console.width)

    with Live(
        console=console,
        get_renderable=render,
        refresh_per_second=REFRESH_PER_SECOND,
        transient=False,
        redirect_stdout=False,
        redirect_stderr=False,
    ) as live:
        try:
            yield
        finally:
            done = True
            live.refresh()
