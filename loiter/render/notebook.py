"""How a Trace and a Run show themselves in Jupyter: a summary table and the chart inline.

The whole view is one HTML output built after the run, so nothing printed
from worker threads can interleave with it.
"""

from __future__ import annotations

import base64
import html

from loiter.model.trace import Run, Trace
from loiter.render.words import seconds

COLUMNS = ("run", "makespan s", "first result s", "total stall s", "stalled", "outcomes")


def _row(run: Run) -> tuple[str, ...]:
    s = run.summary()
    outcomes = ", ".join(f"{n} {name}" for name, n in s.outcomes.items())
    return (
        run.label,
        seconds(s.makespan, 3),
        seconds(s.first_result, 3),
        seconds(s.total_stall, 3),
        str(s.stalled_tasks),
        outcomes or "no tasks",
    )


def summary_html(runs: list[Run]) -> str:
    """One row per run: the numbers a lecture compares."""
    head = "".join(f"<th>{html.escape(c)}</th>" for c in COLUMNS)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in _row(run)) + "</tr>"
        for run in runs
    )
    return f'<table class="loiter-summary"><tr>{head}</tr>{body}</table>'


def chart_html(trace: Trace | Run) -> str:
    """The Gantt chart as an inline PNG (no file, no pyplot, no GUI backend)."""
    from loiter.render.gantt import figure_for, render

    png = base64.b64encode(render(figure_for(trace), "png", dpi=80)).decode("ascii")
    return f'<img class="loiter-chart" alt="Gantt chart" src="data:image/png;base64,{png}"/>'


def trace_html(trace: Trace) -> str:
    runs = trace.runs
    title = f"<b>loiter trace</b>: {len(runs)} run(s)"
    if not runs or not any(r.tasks for r in runs):
        return f"<div>{title}, no tasks recorded</div>"
    return f"<div>{title}{summary_html(runs)}{chart_html(trace)}</div>"


def run_html(run: Run) -> str:
    if not run.tasks:
        return f"<div><b>{html.escape(run.label)}</b>: no tasks recorded</div>"
    return f"<div>{summary_html([run])}{chart_html(run)}</div>"
