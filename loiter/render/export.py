"""Open formats: Chrome Trace Event JSON (Perfetto, chrome://tracing) and CSV.

Chrome layout: one process per run, one thread (track) per worker holding the
``running`` slices (a worker runs one task at a time, so its slices never
overlap), plus a ``caller`` track with its blocked intervals and, for asyncio,
an ``event loop`` track with the spans the loop itself was blocked. Queued and held
spans overlap freely, so they are async events (``b``/``e``) keyed by task;
a flow arrow (``s``/``f``) goes from each task's finish to its delivery.
Times are integer-rounded microseconds from the run's origin.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from loiter.model.trace import Run, Task, Trace, worker_labels

CALLER_TID = 0
LOOP_TRACK = "event loop"
CSV_COLUMNS = (
    "run",
    "scenario",
    "strategy",
    "index",
    "arg",
    "worker",
    "outcome",
    "submitted_s",
    "started_s",
    "finished_s",
    "delivered_s",
    "queued_s",
    "ran_s",
    "held_s",
    "stall_s",
    "error",
    "loop_blocked_s",
)


def _us(seconds: float) -> float:
    return round(seconds * 1e6, 3)


def chrome_events(trace: Trace) -> list[dict[str, Any]]:
    """Every event of every run; ``pid`` is the run's number from 1."""
    labels = worker_labels(trace.runs)
    events: list[dict[str, Any]] = []
    for pid, run in enumerate(trace.runs, start=1):
        events += _run_events(run, pid, labels)
    return events


def _run_events(run: Run, pid: int, labels: dict[str, str]) -> list[dict[str, Any]]:
    tids = {w: i for i, w in enumerate(dict.fromkeys(t.worker for t in run.tasks if t.worker), 1)}
    meta = [
        {"ph": "M", "pid": pid, "tid": 0, "name": "process_name", "args": {"name": run.label}},
        {
            "ph": "M",
            "pid": pid,
            "tid": CALLER_TID,
            "name": "thread_name",
            "args": {"name": "caller"},
        },
    ]
    meta += [
        {
            "ph": "M",
            "pid": pid,
            "tid": tid,
            "name": "thread_name",
            "args": {"name": f"{labels[w]} {w}"},
        }
        for w, tid in tids.items()
    ]
    out = meta
    for b in run.caller_blocked:
        out.append(_slice(pid, CALLER_TID, "blocked", b.ask, b.got, {"waiting_for": b.index}))
    for start, end in run.caller_submitting:  # never during a wait: the same track
        out.append(_slice(pid, CALLER_TID, "submitting", start, end, {}))
    if run.loop_blocked:  # its own track: the spans overlap the caller's waits freely
        loop_tid = len(tids) + 1
        track = {"name": LOOP_TRACK}
        out.append({"ph": "M", "pid": pid, "tid": loop_tid, "name": "thread_name", "args": track})
        for start, end in run.loop_blocked:
            out.append(_slice(pid, loop_tid, "loop blocked", start, end, {"measured": "loop lag"}))
    for task, stall in zip(run.tasks, run.stalls()):
        args = {"index": task.index, "arg": task.arg, "outcome": task.outcome}
        if task.error:
            args["error"] = task.error
        name = f"task {task.index}"
        if task.submitted is not None and task.started is not None:
            out += _async(pid, name, "queued", task.index, task.submitted, task.started, args)
        if task.started is not None and task.finished is not None and task.worker:
            out.append(_slice(pid, tids[task.worker], name, task.started, task.finished, args))
        if task.finished is not None and task.delivered is not None:
            held = {**args, "stall_s": stall.seconds}
            out += _async(pid, name, "held", task.index, task.finished, task.delivered, held)
            flow = {"cat": "delivery", "name": "delivered", "id": f"{pid}.{task.index}", "pid": pid}
            out.append(
                {
                    **flow,
                    "ph": "s",
                    "tid": tids[task.worker] if task.worker else 0,
                    "ts": _us(task.finished),
                }
            )
            out.append({**flow, "ph": "f", "bp": "e", "tid": CALLER_TID, "ts": _us(task.delivered)})
    return out


def _slice(
    pid: int, tid: int, name: str, a: float, b: float, args: dict[str, Any]
) -> dict[str, Any]:
    return {
        "ph": "X",
        "pid": pid,
        "tid": tid,
        "name": name,
        "ts": _us(a),
        "dur": _us(b - a),
        "args": args,
    }


def _async(
    pid: int, name: str, cat: str, key: int, a: float, b: float, args: dict[str, Any]
) -> list[dict[str, Any]]:
    base = {
        "pid": pid,
        "tid": CALLER_TID,
        "cat": cat,
        "name": f"{name} {cat}",
        "id": f"{cat}.{key}",
    }
    return [{**base, "ph": "b", "ts": _us(a), "args": args}, {**base, "ph": "e", "ts": _us(b)}]


def to_chrome(trace: Trace) -> dict[str, Any]:
    """The JSON object format: ``traceEvents`` plus the display unit."""
    return {"traceEvents": chrome_events(trace), "displayTimeUnit": "ms"}


def to_csv(trace: Trace) -> str:
    """One row per task of every run; times in seconds from the run's origin."""
    buf = io.StringIO()
    # RFC 4180 line ends: the writer then quotes any field holding a CR or LF, so rows stay rows.
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for number, run in enumerate(trace.runs, start=1):
        for task, stall in zip(run.tasks, run.stalls()):
            writer.writerow(
                [
                    number,
                    _cell(run.scenario),
                    _cell(run.strategy),
                    task.index,
                    _cell(task.arg),
                    _cell(task.worker or ""),
                    _cell(task.outcome),
                    *(
                        _num(x)
                        for x in (
                            task.submitted,
                            task.started,
                            task.finished,
                            task.delivered,
                            task.queued,
                            task.ran,
                            task.held,
                            stall.seconds,
                        )
                    ),
                    _cell(task.error or ""),
                    "" if run.executor != "asyncio" else _num(_loop_blocked_during(run, task)),
                ]
            )
    return buf.getvalue()


def _loop_blocked_during(run: Run, task: Task) -> float:
    """Seconds of the task's life (submit to its last timestamp) that the event loop was blocked:
    time in which neither it nor the caller could move."""
    stamps = [task.submitted, task.started, task.finished, task.delivered]
    known = [s for s in stamps if s is not None]
    if not known:
        return 0.0
    begin, end = known[0], known[-1]
    return sum(max(0.0, min(b, end) - max(a, begin)) for a, b in run.loop_blocked)


# A text cell starting with one of these is a formula to a spreadsheet (OWASP "CSV Injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def _cell(value: Any) -> Any:
    """A value as a CSV cell that opens as text, never as a formula; numbers stay numbers.

    OWASP's advice: prefix a single quote to text that starts like a formula.
    A number (also one held as text, such as ``"-3"``) is left alone.
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    text = value if isinstance(value, str) else str(value)
    if text.startswith(_FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def _num(x: float | None) -> str:
    return "" if x is None else f"{x:.6f}"
