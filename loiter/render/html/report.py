"""One self-contained, interactive HTML page per trace: zoom, hover, click, offline.

The page is a small canvas renderer of our own (report.js) fed with columnar
JSON: one array per field, worker names interned, times in integer
microseconds as steps from the previous row. A canvas redraws 100,000 bars
per frame in milliseconds and adds nothing to the file but the data; a
plotting library would embed its runtime and one object per bar (see the
README's "Interactive report" for the numbers).

Every string from the trace travels inside that JSON and is put on the page
with textContent, never as markup, so a hostile argument or worker name shows
as text and runs nothing.
"""

from __future__ import annotations

import html
import os
from dataclasses import fields
from importlib.resources import files
from pathlib import Path
from typing import Any

import msgspec
import numpy as np

from loiter.model.atomic import write_atomic
from loiter.model.trace import OUTCOMES, Run, Stall, Summary, Trace, summarize, worker_labels
from loiter.render.gantt import legend_handles, resolve_lanes
from loiter.render.styles import Style, get_style
from loiter.render.words import (
    clock_note,
    comparisons,
    percent,
    seconds,
    setup,
    timings,
    verdict,
)

# advise_run replays a run under every setup it suggests: 1.6 s at 1,000 tasks and
# superlinear past that, so bigger runs get a pointer to ``loiter-viz advise`` instead.
ADVISE_MAX_TASKS = 1_000
# Longest argument, result or error text kept per task (the hover shows it whole).
TEXT_LIMIT = 200
# A notebook embeds the page (iframe srcdoc) up to this many tasks in all; past it the
# output would weigh megabytes in the .ipynb, so it shows the PNG and says how to write the page.
NOTEBOOK_MAX_TASKS = 5_000

# JSON may hold these; in a <script> element they could end it ("</script>"), start a
# comment ("<!--") or, for U+2028/2029, break older JavaScript parsers. \u escapes are
# the same string to JSON.parse and are inert to the HTML parser.
_UNSAFE = {
    b"<": b"\\u003c",
    b">": b"\\u003e",
    b"&": b"\\u0026",
    "\u2028".encode(): b"\\u2028",
    "\u2029".encode(): b"\\u2029",
}


def render_html(
    trace: Trace | Run,
    *,
    style: str | Style = "light",
    lanes: str = "auto",
    title: str | None = None,
) -> bytes:
    """The whole report as one UTF-8 page: inline script, inline style, data as JSON."""
    st = get_style(style)
    resolve_lanes(lanes, 0)  # an unknown lanes value is a ValueError before any work
    trace = trace if isinstance(trace, Trace) else Trace([trace])
    data = payload(trace, style=st, lanes=lanes, title=title)
    assets = files(__package__ or "loiter.render.html")
    page = (
        assets.joinpath("report.html")
        .read_text("utf-8")
        .replace("/*STYLE-VARS*/", style_css(st))
        .replace("/*CSS*/", assets.joinpath("report.css").read_text("utf-8"))
        .replace("/*JS*/", assets.joinpath("report.js").read_text("utf-8"))
    )
    head, tail = page.encode("utf-8").split(b"/*DATA*/")
    return head + embed_json(data) + tail


def write_report(
    trace: Trace | Run,
    path: str | os.PathLike[str],
    *,
    style: str | Style = "light",
    lanes: str = "auto",
    title: str | None = None,
) -> Path:
    """Write the report atomically (a browser reloading it never sees half a page)."""
    return write_atomic(path, render_html(trace, style=style, lanes=lanes, title=title))


def embed_json(data: Any) -> bytes:
    """JSON that is safe as the text of a <script type="application/json"> element."""
    raw = msgspec.json.encode(data)
    for bad, good in _UNSAFE.items():
        raw = raw.replace(bad, good)
    return raw


def style_css(st: Style) -> str:
    """The Style as CSS custom properties (``--stall``, ``--workers-0``, ...): one palette."""
    decls = []
    for f in fields(Style):
        value = getattr(st, f.name)
        name = "--" + f.name.replace("_", "-")
        if isinstance(value, tuple):
            decls += [f"{name}-{i}: {_css_value(v)};" for i, v in enumerate(value)]
        elif isinstance(value, (str, float)) and f.name != "name":
            decls.append(f"{name}: {_css_value(value)};")
    decls.append(f"--weight: {_css_value(st.extra_rc.get('font.weight', 'normal'))};")
    return ":root { " + " ".join(decls) + " }"


def _css_value(value: object) -> str:
    text = f"{value:g}" if isinstance(value, float) else str(value)
    if not all(c.isalnum() or c in "#(),.% -" for c in text):
        raise ValueError(f"not a plain CSS value: {text!r}")
    return text


def payload(trace: Trace, *, style: Style, lanes: str, title: str | None) -> dict[str, Any]:
    """Everything the page shows, as plain JSON-able data."""
    runs = trace.runs
    workers = worker_labels(runs)
    order = {name: i for i, name in enumerate(workers)}
    stalls = [run.stalls() for run in runs]
    summaries = [summarize(run, s) for run, s in zip(runs, stalls)]
    end = max((s.makespan or 0.0 for s in summaries), default=0.0)
    views = frozenset(resolve_lanes(lanes, len(r.tasks)) for r in runs) or frozenset({"tasks"})
    first = runs[0] if runs else None
    return {
        "title": title or (setup(first) if first else "loiter trace: no runs"),
        "style": style.name,
        "palette": len(style.workers),
        "workers": list(workers),
        "workerLabels": list(workers.values()),
        "outcomes": list(OUTCOMES),
        "end": _us(end),
        "legend": _legend(workers, style, views, runs),
        "comparisons": comparisons(trace, summaries),
        "runs": [
            _run(run, s, summary, order, resolve_lanes(lanes, len(run.tasks)))
            for run, s, summary in zip(runs, stalls, summaries)
        ],
    }


def _run(
    run: Run, stalls: list[Stall], summary: Summary, order: dict[str, int], lanes: str
) -> dict[str, Any]:
    tasks = run.tasks
    stalled = [(row, lo, hi) for row, s in enumerate(stalls) for lo, hi in s.intervals]
    waits = sorted(run.caller_blocked, key=lambda b: b.ask)
    outcome = {name: i for i, name in enumerate(OUTCOMES)}
    return {
        "label": run.label,
        "scenario": run.scenario,
        "strategy": run.strategy,
        "executor": run.executor,
        "workers": run.workers,
        "lanes": lanes,
        "verdict": verdict(run, summary),
        "timings": timings(summary),
        "stalled": summary.stalled_tasks > 0 or any(k != "ok" for k in summary.outcomes),
        "clockNote": clock_note(run),
        "error": run.error,
        "summary": _summary_rows(summary),
        "advice": _advice(run),
        "options": [[str(k), _text(v)] for k, v in run.options.items()],
        "tasks": {
            "index": [t.index for t in tasks],
            "arg": [_value(t.arg) for t in tasks],
            "submitted": _us_column([t.submitted for t in tasks], steps=True),
            "started": _us_column([t.started for t in tasks], steps=True),
            "finished": _us_column([t.finished for t in tasks], steps=True),
            "delivered": _us_column([t.delivered for t in tasks], steps=True),
            "worker": [order.get(t.worker, -1) if t.worker is not None else -1 for t in tasks],
            "outcome": [outcome.get(t.outcome, -1) for t in tasks],
            "stall": _us_column([s.seconds for s in stalls]),
            "culprit": [-1 if s.blocked_on is None else s.blocked_on for s in stalls],
            "result": _sparse([None if t.result is None else _text(t.result) for t in tasks]),
            "error": _sparse([t.error for t in tasks]),
        },
        "stalls": {
            "row": [row for row, _, _ in stalled],
            "from": _us_column([lo for _, lo, _ in stalled], steps=True),
            "to": _us_column([hi for _, _, hi in stalled], steps=True),
        },
        "waits": {
            "ask": _us_column([b.ask for b in waits], steps=True),
            "got": _us_column([b.got for b in waits], steps=True),
            "for": [-1 if b.index is None else b.index for b in waits],
        },
        "loopBlocked": {  # asyncio: when nobody could run, not even the caller (its lag)
            "from": _us_column([a for a, _ in run.loop_blocked], steps=True),
            "to": _us_column([b for _, b in run.loop_blocked], steps=True),
        },
    }


def _summary_rows(s: Summary) -> list[list[str]]:
    outcomes = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in s.outcomes.items())
    return [
        ["makespan", seconds(s.makespan, 3) + " s"],
        ["first result", seconds(s.first_result, 3) + " s"],
        ["total stall", f"{s.total_stall:.3f} s"],
        ["max stall", f"{s.max_stall:.3f} s"],
        ["stalled tasks", str(s.stalled_tasks)],
        ["total held", f"{s.total_held:.3f} s"],
        ["utilisation", percent(s.utilisation)],
        ["caller blocked", f"{s.caller_blocked:.3f} s"],
        ["outcomes", outcomes or "no tasks"],
    ]


def _advice(run: Run) -> str:
    if not run.tasks:
        return "no tasks to advise on"
    if len(run.tasks) > ADVISE_MAX_TASKS:
        return (
            f"not computed for {len(run.tasks):,} tasks (replaying them under every setup takes"
            " minutes): run `loiter-viz advise TRACE`"
        )
    from loiter.analyze.advise import advise_run

    return advise_run(run).recommendation


def _legend(
    workers: dict[str, str], st: Style, views: frozenset[str], runs: list[Run]
) -> list[dict[str, str]]:
    """The PNG legend's entries (same words, same colours), as swatch descriptions."""
    from matplotlib.colors import to_hex
    from matplotlib.lines import Line2D

    outcomes = frozenset(t.outcome for r in runs for t in r.tasks)
    entries = []
    loop = any(r.loop_blocked for r in runs)
    for h in legend_handles(workers, st, views=views, outcomes=outcomes, loop_blocked=loop):
        if isinstance(h, Line2D):
            face = h.get_markerfacecolor()
            entries.append(
                {
                    "label": str(h.get_label()),
                    "marker": str(h.get_marker()),
                    "fill": to_hex(face, keep_alpha=True),
                    "edge": to_hex(h.get_markeredgecolor(), keep_alpha=True),
                }
            )
        else:
            entries.append(
                {
                    "label": str(h.get_label()),
                    "fill": to_hex(h.get_facecolor(), keep_alpha=True),
                    "edge": to_hex(h.get_edgecolor(), keep_alpha=True),
                    "hatch": h.get_hatch() or "",
                    "dashed": "1" if h.get_linestyle() not in ("solid", "-") else "",
                }
            )
    return entries


def _us(x: float | None) -> int | None:
    """Seconds as integer microseconds: exact enough to read, half the digits of a float."""
    return None if x is None else round(x * 1e6)


def _us_column(values: list[float | None], *, steps: bool = False) -> list[int | None]:
    """_us over a column, vectorised (a million timestamps at 100k tasks).

    ``steps``: each value as the step from the previous one present (None stays None).
    A column of timestamps moves in small steps, so that takes half the digits, and the
    HTML parser's time grows with the file.
    """
    seconds = np.array(values, dtype=float)
    missing = np.isnan(seconds)
    us = np.rint(np.where(missing, 0.0, seconds) * 1e6)
    if steps:
        last = np.maximum.accumulate(np.where(missing, -1, np.arange(len(us))))
        carried = np.where(last >= 0, us[np.maximum(last, 0)], 0.0)
        us = np.diff(carried, prepend=0.0)
    out: list[int | None] = us.astype(np.int64).tolist()
    for i in np.flatnonzero(missing).tolist():
        out[i] = None
    return out


def _value(arg: Any) -> Any:
    if isinstance(arg, (int, float)) and not isinstance(arg, bool) and abs(arg) < 2**53:
        return arg
    return _text(arg)


def _text(value: Any) -> str:
    try:
        text = value if isinstance(value, str) else repr(value)
    except Exception as exc:  # a hostile __repr__ must not cost the whole report
        text = f"<unprintable {type(value).__name__}: {type(exc).__name__}>"
    return text if len(text) <= TEXT_LIMIT else text[: TEXT_LIMIT - 1] + "…"


def _sparse(values: list[str | None]) -> dict[str, list[Any]]:
    """Mostly-empty columns (results of no-op tasks, errors) as the rows that have one."""
    rows = [i for i, v in enumerate(values) if v is not None]
    return {"row": rows, "text": [values[i] for i in rows]}


def notebook_html(trace: Trace | Run) -> str:
    """Jupyter's view: the PNG view first (it survives nbconvert and static renderers),
    then, for traces small enough, the interactive report in a sandboxed iframe."""
    from loiter.render.notebook import run_html, trace_html

    still = run_html(trace) if isinstance(trace, Run) else trace_html(trace)
    runs = [trace] if isinstance(trace, Run) else trace.runs
    count = sum(len(r.tasks) for r in runs)
    if not count:
        return still
    if count > NOTEBOOK_MAX_TASKS:
        hint = (
            f"<p>{count:,} tasks: write the interactive report with "
            "<code>loiter.write_report(trace, 'report.html')</code>.</p>"
        )
        return still + hint
    page = html.escape(render_html(trace).decode("utf-8"), quote=True)
    frame = (
        f'<iframe class="loiter-report" sandbox="allow-scripts" srcdoc="{page}" '
        'style="width:100%;height:720px;border:1px solid #ccc"></iframe>'
    )
    return still + frame
