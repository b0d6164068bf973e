"""The Gantt chart: one row per task, time on x, the caller's waits in a lane below.

Bars are drawn as one PolyCollection per segment kind (never one artist per
bar), so a chart of many thousands of tasks still renders quickly. matplotlib
is imported here only, and this module is imported only when drawing; the
Figure is built without pyplot, so no GUI backend is ever touched.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from .clocks import clock_note
from .trace import CANCELLED, ERROR, TIMED_OUT, UNDELIVERED, Run, Trace, worker_labels

if TYPE_CHECKING:
    from matplotlib.axes import Axes

# Okabe-Ito (colour-blind safe). Workers get the cool colours; held time gets
# the warm ones, so "waiting" never looks like "working".
WORKER_COLORS = (
    "#0072B2",
    "#56B4E9",
    "#009E73",
    "#CC79A7",
    "#332288",
    "#44AA99",
    "#882255",
    "#117733",
    "#88CCEE",
    "#AA4499",
)
QUEUED = "#BBBBBB"
BACKLOG = "#F0E442"
STALL = "#D55E00"
CALLER = "#555555"
FAILED = "#D55E00"
BAR = 0.72  # bar height as a share of the row


def _rects(spans: Sequence[tuple[float, float, float]], height: float = BAR) -> list[Any]:
    """(y, x0, x1) spans as rectangle vertex lists for one PolyCollection."""
    h = height / 2
    return [((x0, y - h), (x0, y + h), (x1, y + h), (x1, y - h)) for y, x0, x1 in spans]


def _add(
    ax: Axes, spans: list[tuple[float, float, float]], gid: str, height: float = BAR, **style: Any
) -> PolyCollection | None:
    if not spans:
        return None
    coll = PolyCollection(_rects(spans, height), **style)
    coll.set_gid(gid)
    ax.add_collection(coll)
    return coll


def plot_gantt(
    run: Run,
    *,
    ax: Axes | None = None,
    workers: dict[str, str] | None = None,
    end: float | None = None,
    title: str | None = None,
) -> Axes:
    """Draw one run on ``ax`` (or a new figure) and return the axes.

    Rows are tasks in input order, top to bottom; the bottom row is the caller.
    ``workers`` maps worker names to colours' order (share it across panels);
    ``end`` fixes where undelivered bars stop (share it to align panels).
    """
    if ax is None:
        fig = Figure(figsize=(9, 1.2 + 0.45 * (len(run.tasks) + 1)), layout="constrained")
        ax = fig.add_subplot()
    workers = workers if workers is not None else worker_labels([run])
    order = list(workers)
    color_of = {w: WORKER_COLORS[i % len(WORKER_COLORS)] for i, w in enumerate(order)}
    summary = run.summary()
    end = end if end is not None else (summary.makespan or 0.0)
    stalls = run.stalls()

    queued, backlog, stall, lost = [], [], [], []
    running: list[tuple[float, float, float]] = []
    run_colors: list[str] = []
    for task, st in zip(run.tasks, stalls):
        y = task.index
        if task.submitted is not None and (task.started is not None or task.outcome == CANCELLED):
            stop = task.started if task.started is not None else task.submitted
            queued.append((y, task.submitted, stop))
        if task.started is not None and task.finished is not None:
            running.append((y, task.started, task.finished))
            run_colors.append(color_of.get(task.worker or "", "#000000"))
        if task.finished is not None and task.delivered is not None:
            backlog.append((y, task.finished, task.delivered))
            stall.extend((y, lo, hi) for lo, hi in st.intervals)
        elif task.finished is not None and task.outcome in (UNDELIVERED, TIMED_OUT):
            lost.append((y, task.finished, max(end, task.finished)))

    _add(ax, queued, "queued", facecolor="white", edgecolor=QUEUED, hatch="///", linewidth=0.8)
    _add(ax, running, "running", facecolors=run_colors, edgecolor="white", linewidth=0.5)
    _add(ax, backlog, "held", height=BAR * 0.6, facecolor=BACKLOG, edgecolor="none")
    _add(ax, stall, "stall", height=BAR * 0.6, facecolor=STALL, edgecolor="none")
    _add(
        ax,
        lost,
        "undelivered",
        height=BAR * 0.6,
        facecolor="none",
        edgecolor=FAILED,
        hatch="xx",
        linewidth=0.8,
    )

    caller_y = len(run.tasks)
    _add(
        ax,
        [(caller_y, b.ask, b.got) for b in run.caller_blocked if b.got > b.ask],
        "caller",
        facecolor=CALLER,
        edgecolor="none",
    )

    delivered = [(t.delivered, t.index) for t in run.tasks if t.delivered is not None]
    if delivered:
        xs, ys = zip(*delivered)
        ax.plot(xs, ys, linestyle="none", marker="D", markersize=5, color="black", gid="delivered")
    failed = [
        (x, t.index)
        for t in run.tasks
        if t.outcome == ERROR
        and (x := t.finished if t.finished is not None else t.delivered) is not None
    ]
    if failed:
        xs, ys = zip(*failed)
        ax.plot(
            xs,
            ys,
            linestyle="none",
            marker="X",
            markersize=11,
            color=FAILED,
            markeredgecolor="black",
            gid="error",
        )
    for task in run.tasks:
        if task.outcome in (CANCELLED, UNDELIVERED, TIMED_OUT):
            x = task.finished if task.finished is not None else (task.submitted or 0.0)
            ax.annotate(
                task.outcome.replace("_", " "),
                (x, task.index),
                xytext=(4, 0),
                textcoords="offset points",
                va="center",
                fontsize=8,
                color=FAILED,
            )

    ax.set_yticks(
        range(caller_y + 1), [f"#{t.index}  {_arg(t.arg)}" for t in run.tasks] + ["caller"]
    )
    ax.set_ylim(caller_y + 0.7, -0.7)
    ax.set_xlim(0, max(end, 1e-6) * 1.03)
    ax.set_xlabel("seconds since the first submit")
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    first = f"{summary.first_result:.2f}s" if summary.first_result is not None else "none"
    stall_text = (
        f"{summary.stalled_tasks} held {summary.total_stall:.2f}s by ordering"
        if summary.stalled_tasks
        else "no ordering stall"
    )
    ax.set_title(title or f"{run.strategy} · {run.scenario}", loc="left", fontweight="bold")
    ax.set_title(f"first result {first} · {stall_text}", loc="right", fontsize=9)
    if run.error:
        ax.text(
            0.99,
            0.02,
            f"caller got {run.error}",
            transform=ax.transAxes,
            ha="right",
            va="bottom",
            fontsize=8,
            color=FAILED,
        )
    if note := clock_note(run):
        ax.text(0.99, 0.98, note, transform=ax.transAxes, ha="right", va="top", fontsize=8)
    return ax


def _arg(arg: Any) -> str:
    return f"loiter({arg})" if isinstance(arg, (int, float)) else str(arg)[:18]


def legend_handles(workers: dict[str, str]) -> list[Any]:
    """One entry per colour on the chart, workers included."""
    handles: list[Any] = [
        Patch(facecolor="white", edgecolor=QUEUED, hatch="///", label="queued"),
    ]
    for i, label in enumerate(workers.values()):
        handles.append(
            Patch(facecolor=WORKER_COLORS[i % len(WORKER_COLORS)], label=f"running on {label}")
        )
    handles += [
        Patch(facecolor=BACKLOG, label="held: finished, caller busy"),
        Patch(facecolor=STALL, label="ordering stall: held while caller waits for another task"),
        Line2D([], [], linestyle="none", marker="D", color="black", label="delivered to caller"),
        Patch(facecolor=CALLER, label="caller blocked"),
    ]
    return handles


def figure_for(trace: Trace | Run, *, title: str | None = None) -> Figure:
    """Panels: rows = scenarios, columns = strategies, one shared time axis."""
    runs = trace.runs if isinstance(trace, Trace) else [trace]
    scenarios = list(dict.fromkeys(r.scenario for r in runs))
    strategies = list(dict.fromkeys(r.strategy for r in runs))
    grid = {(r.scenario, r.strategy): r for r in runs}
    rows = max(len(r.tasks) for r in runs) + 1 if runs else 1
    fig = Figure(
        figsize=(6.5 * len(strategies), 1.6 + (0.42 * rows + 0.9) * len(scenarios)),
        layout="constrained",
    )
    axes = fig.subplots(len(scenarios), len(strategies), sharex=True, squeeze=False)
    workers = worker_labels(runs)
    end = max((r.summary().makespan or 0.0 for r in runs), default=0.0)
    for i, scenario in enumerate(scenarios):
        for j, strategy in enumerate(strategies):
            run = grid.get((scenario, strategy))
            if run is None:
                axes[i][j].set_axis_off()
                continue
            plot_gantt(run, ax=axes[i][j], workers=workers, end=end)
    if runs:
        first = runs[0]
        fig.suptitle(
            title
            or (
                f"{first.workload} on a {first.executor} pool, {first.workers} "
                f"workers, unit {first.unit:g}s"
            ),
            fontsize=14,
            fontweight="bold",
        )
    fig.legend(
        handles=legend_handles(workers),
        loc="outside lower center",
        ncol=min(4, len(workers) + 5),
        frameon=False,
    )
    return fig


def render(fig: Figure, fmt: str = "png", dpi: int = 120) -> bytes:
    """The figure as file bytes, so the caller can write it atomically."""
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=dpi)
    return buf.getvalue()
