"""The book's text log, rebuilt from a run's timestamps so lines never interleave.

Fluent Python prints these lines from the worker threads themselves, which
interleaves badly (in notebooks above all). Here every line comes from the
recorded events, sorted by time, in the book's exact format::

    [20:56:19] Script starting.
    [20:56:19] \tloiter(1): doing nothing for 1s...
    [20:56:20] result 1: 10
"""

from __future__ import annotations

import time
from typing import Any

from loiter.model.trace import OK, Run, Trace

# Lines at the same instant keep causal order: a worker's done before its next
# start, a zero-length call's start before its own done, results last.
_SUBMIT, _DONE, _START, _OWN_DONE, _RESULT = range(5)


def clock(wall_origin: float | None, offset: float) -> str:
    """``[HH:MM:SS]`` in local time, like the book's ``strftime('[%H:%M:%S]')``."""
    return time.strftime("[%H:%M:%S]", time.localtime((wall_origin or 0.0) + offset))


def _number(arg: Any) -> str:
    return f"{arg:g}" if isinstance(arg, float) else str(arg)


def _indent(arg: Any) -> str:
    """One tab per unit of ``n``, as the book's ``'\\t'*n`` (0 for non-numbers)."""
    return "\t" * int(arg) if isinstance(arg, (int, float)) and arg >= 0 else ""


def _call(run: Run, arg: Any) -> str:
    return f"{run.workload}({_number(arg)})"


def book_lines(run: Run) -> list[str]:
    """The run as the book prints it, plus submit lines for strategies other than ``map``."""
    events: list[tuple[float, int, int, str]] = []
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
            what = f"{task.result}" if task.outcome == OK else f"raised {task.error}"
            events.append((task.delivered, _RESULT, task.index, f"result {task.index}: {what}"))
    events.sort(key=lambda e: e[:3])
    lines = [f"{clock(run.wall_origin, 0.0)} Script starting."]
    lines += [f"{clock(run.wall_origin, t)} {text}" for t, _, _, text in events]
    lost = [t.index for t in run.tasks if t.delivered is None]
    if run.error is not None:
        end = max((e[0] for e in events), default=0.0)
        lines.append(f"{clock(run.wall_origin, end)} caller got {run.error}")
    if lost:
        lines.append(f"# never delivered: {', '.join(f'#{i}' for i in lost)}")
    return lines


def book_log(trace: Trace) -> str:
    """Every run's log, each under a ``# scenario / strategy`` header line."""
    blocks = [
        f"# {run.label} ({run.executor}, {run.workers} workers)\n" + "\n".join(book_lines(run))
        for run in trace
    ]
    return "\n\n".join(blocks) + "\n"
