"""Traces whose strings are markup that would run if a report inserted them as HTML."""

from __future__ import annotations

from loiter.model.trace import Blocked, Run, Task, Trace

SCRIPT = "</script><script>alert(1)</script>"
IMG = '<img src=x onerror="alert(2)">'


def hostile_trace() -> Trace:
    """Every string a trace carries holds markup that would run if inserted as HTML."""
    tasks = [
        Task(0, SCRIPT, 0.0, 0.0, 2.0, 2.0, IMG, "ok", SCRIPT + " \u2028\u2029 &amp;"),
        Task(1, IMG, 0.0, 0.0, 1.0, 2.0, SCRIPT, "error", None, f"ValueError: {IMG}"),
    ]
    blocked = [Blocked(0.0, 2.0, 0), Blocked(2.0, 2.0, 1)]
    run = Run(SCRIPT, IMG, "thread", 2, 1.0, tasks, blocked, error=f"ValueError: {SCRIPT}")
    run.options[IMG] = SCRIPT
    return Trace([run])
