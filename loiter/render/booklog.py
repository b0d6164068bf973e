"""The book's text log, rebuilt from a run's timestamps so lines never interleave.

Fluent Python prints these lines from the worker threads themselves, which
interleaves badly (in notebooks above all). Here every line comes from the
recorded events, sorted by time, in the book's exact format::

    [20:56:19] Script starting.
    [20:56:19] \tloiter(1): doing nothing for 1s...
    [20:56:20] result 1: 10
"""

from __future__ import annotations

import math
import time
import zlib
from typing import Any

from loiter.model.safetext import safe
from loiter.model.trace import OK, Run, Trace

# Lines at the same instant keep causal order: a worker's done before its next
# start, a zero-length call's start before its own done, the caller's own
# lines after the workers' (as the book prints them), results last.
_SUBMIT, _DONE, _START, _OWN_DONE, _CALLER, _RESULT = range(6)
# The book indents by ``n`` tabs; a trace's huge ``n`` must not print gigabytes.
MAX_TABS = 40


def clock(wall_origin: float | None, offset: float) -> str:
    """``[HH:MM:SS]`` in local time, like the book's ``strftime('[%H:%M:%S]')``."""
    return time.strftime("[%H:%M:%S]", time.localtime((wall_origin or 0.0) + offset))


def _number(arg: Any) -> str:
    return f"{arg:g}" if isinstance(arg, float) else safe(arg)


def _indent(arg: Any) -> str:
    """One tab per unit of ``n`` (the book's ``'\\t'*n``), at most MAX_TABS; none if no number."""
    if not isinstance(arg, (int, float)) or not math.isfinite(arg) or arg < 0:
        return ""
    return "\t" * int(min(arg, MAX_TABS))


def _call(run: Run, arg: Any) -> str:
    return f"{safe(run.workload)}({_number(arg)})"


def _map_returned(run: Run) -> list[tuple[float, int, int, str]]:
    """The book's caller lines between ``executor.map(...)`` returning and its first result.

    ``map`` submits everything and returns a generator at once; the caller prints
    it, then blocks in it. Both lines stand where the caller first asked for a
    result (the last submit when it never asked). The address is a stand-in,
    stable per run, shaped like CPython's ``id()`` on a 64-bit Linux.
    """
    submitted = [t.submitted for t in run.tasks if t.submitted is not None]
    if run.strategy != "map" or not submitted:
        return []
    moment = max(submitted)
    asks = [b.ask for b in run.caller_blocked if b.ask >= moment]
    moment = min(asks, default=moment)
    address = 0x7F0000000000 + (zlib.crc32(run.label.encode("utf-8", "replace")) << 4)
    generator = f"<generator object Executor.map.<locals>.result_iterator at 0x{address:x}>"
    return [
        (moment, _CALLER, -2, f"results: {generator}"),
        (moment, _CALLER, -1, "Waiting for individual results:"),
    ]


def book_lines(run: Run) -> list[str]:
    """The run as the book prints it, plus submit lines for strategies other than ``map``."""
    events = _map_returned(run)
    for task in run.tasks:
        call = _call(run, task.arg)
        tabs = _indent(task.arg)
        if run.strategy != "map" and task.submitted is not None:
            events.append(
                (task.submitted, _SUBMIT, task.index, f"Scheduled for {call}: task {task.index}")
            )
        if task.started is not None:
            doing = (
                f"doing nothing for {_number(task.arg)}s..."
                if run.workload == "loiter"
                else "starting..."
            )
            events.append((task.started, _START, task.index, f"{tabs}{call}: {doing}"))
        if task.finished is not None:
            own = task.finished == task.started
            events.append(
                (task.finished, _OWN_DONE if own else _DONE, task.index, f"{tabs}{call}: done.")
            )
        if task.delivered is not None:
            what = safe(task.result) if task.outcome == OK else f"raised {safe(task.error)}"
            events.append((task.delivered, _RESULT, task.index, f"result {task.index}: {what}"))
    events.sort(key=lambda e: e[:3])
    lines = [f"{clock(run.wall_origin, 0.0)} Script starting."]
    lines += [f"{clock(run.wall_origin, t)} {text}" for t, _, _, text in events]
    lost = [t.index for t in run.tasks if t.delivered is None]
    if run.error is not None:
        end = max((e[0] for e in events), default=0.0)
        lines.append(f"{clock(run.wall_origin, end)} caller got {safe(run.error)}")
    if lost:
        lines.append(f"# never delivered: {', '.join(f'#{i}' for i in lost)}")
    return lines


def book_log(trace: Trace) -> str:
    """Every run's log, each under a ``# scenario / strategy`` header line."""
    blocks = [
        f"# {safe(run.label)} ({safe(run.executor)}, {run.workers} workers)\n"
        + "\n".join(book_lines(run))
        for run in trace
    ]
    return "\n\n".join(blocks) + "\n"
