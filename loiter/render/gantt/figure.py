"""The Gantt figure: panels on a shared time axis, their headers, and the file bytes.

Time on x; one row per task (:mod:`.tasks`) or per worker (:mod:`.workers`),
the caller's waits below. matplotlib is imported only when drawing; figures are
built without pyplot, so no GUI backend is ever touched.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING

import matplotlib
from matplotlib.figure import Figure

from ...model.trace import Run, Stall, Summary, Trace, summarize, worker_labels
from ..styles import LANES, LIGHT, Style, get_style
from ..words import clock_note, setup, timings, verdict
from .geometry import (
    AUTO_WORKER_LANES_ABOVE,
    DETAIL_ROWS,
    Canvas,
    Columns,
    IdealFor,
    IdealLike,
    Panel,
    axes_inches,
    text_inches,
    worker_palette,
)
from .legend import legend_handles
from .tasks import draw_tasks
from .workers import draw_workers

if TYPE_CHECKING:
    from matplotlib.axes import Axes


def plot_gantt(
    run: Run | Trace,
    *,
    ax: Axes | None = None,
    lanes: str = "auto",
    style: str | Style | None = None,
    workers: dict[str, str] | None = None,
    end: float | None = None,
    title: str | None = None,
    ideal: Sequence[IdealLike] | None = None,
) -> Axes:
    """Draw one run on ``ax`` (or a new figure) and return the axes.

    ``lanes``: "tasks" (one row per task, input order top to bottom), "workers"
    (one row per worker, tasks packed in) or "auto" (workers above 40 tasks).
    ``workers`` maps worker names to labels in colour order (share it across
    panels); ``end`` fixes where undelivered bars stop; ``ideal`` draws the
    ideal schedule as ghost outlines behind the measured bars.
    """
    run = _one_run(run)
    st = get_style(style)
    with matplotlib.rc_context(st.rc()):
        if ax is None:
            rows = _rows(run, resolve_lanes(lanes, len(run.tasks)))
            fig = Figure(figsize=(st.width_inches, _panel_height(rows, st)), layout="constrained")
            ax = fig.add_subplot()
        panel = draw_panel(
            ax, run, lanes=lanes, style=st, workers=workers, end=end, title=title, ideal=ideal
        )
        _set_range([panel], st)
    return ax


def _one_run(run: Run | Trace) -> Run:
    if isinstance(run, Trace):
        if len(run) != 1:
            raise ValueError(
                f"plot_gantt draws one run; this trace has {len(run)} (use figure_for)"
            )
        return run.runs[0]
    return run


def resolve_lanes(lanes: str, tasks: int) -> str:
    if lanes not in LANES:
        raise ValueError(f"unknown lanes {lanes!r} (choose from {', '.join(LANES)})")
    if lanes == "auto":
        return "workers" if tasks > AUTO_WORKER_LANES_ABOVE else "tasks"
    return lanes


def _rows(run: Run, lanes: str) -> int:
    if lanes == "workers":
        return len({t.worker for t in run.tasks if t.worker is not None}) + 3
    return len(run.tasks) + 1


def _panel_height(rows: int, st: Style) -> float:
    """Inches: every row readable up to DETAIL_ROWS; past that a fixed, dense panel."""
    shown = rows if rows <= DETAIL_ROWS else DETAIL_ROWS // 4
    return 1.5 * st.scale + st.row_inches * shown


def draw_panel(
    ax: Axes,
    run: Run,
    *,
    lanes: str = "auto",
    style: Style = LIGHT,
    workers: dict[str, str] | None = None,
    end: float | None = None,
    title: str | None = None,
    ideal: Sequence[IdealLike] | None = None,
    stalls: list[Stall] | None = None,
) -> Panel:
    """Draw without fixing the x range (the caller shares one across panels).

    ``stalls`` is ``run.stalls()`` when the caller already has it (big runs).
    """
    workers = workers if workers is not None else worker_labels([run])
    order = {w: i for i, w in enumerate(workers)}
    stalls = stalls if stalls is not None else run.stalls()
    summary = summarize(run, stalls)
    end = end if end is not None else (summary.makespan or 0.0)
    cols = Columns.of(run, order)
    palette = worker_palette(style, len(workers))
    canvas = Canvas(ax, run, cols, stalls, style, palette, list(workers.values()), end)
    if resolve_lanes(lanes, len(run.tasks)) == "workers":
        panel = draw_workers(canvas)
    else:
        panel = draw_tasks(canvas, ideal)
    _decorate(ax, run, summary, style, title)
    panel.right = max(panel.right, end * 1.03, 1e-6)
    panel.end = end
    return panel


def _label_waits(panel: Panel, st: Style) -> None:
    """Name the awaited task inside each caller wait wide enough (needs the final x range)."""
    ax = panel.ax
    lo, hi = ax.get_xlim()
    inches_per_x = axes_inches(ax) / (hi - lo)
    fontsize = 8 * st.scale
    short = text_inches("#00", fontsize) + 0.1
    for b in panel.run.caller_blocked:
        width = (b.got - b.ask) * inches_per_x
        if b.index is None or width < short:
            continue
        for label in (f"waiting for #{b.index}", f"#{b.index}"):
            if text_inches(label, fontsize) + 0.1 < width:
                ax.text(
                    (b.ask + b.got) / 2,
                    panel.caller_row,
                    label,
                    ha="center",
                    va="center",
                    fontsize=fontsize,
                    color=st.caller_text,
                    gid="caller-label",
                )
                break


def _set_range(panels: Sequence[Panel], st: Style) -> None:
    """One x range for all panels (wide enough for every note), then the words that need it."""
    right = max((p.right for p in panels), default=1.0)
    for p in panels:
        p.ax.set_xlim(0, right)
    for p in panels:
        _label_waits(p, st)


def _decorate(ax: Axes, run: Run, summary: Summary, st: Style, title: str | None) -> None:
    """Three header lines, all left-aligned so narrow panels never collide: what ran, the
    verdict, when results came."""
    ax.set_xlabel("seconds since the first submit")
    ax.grid(axis="x")
    ax.set_axisbelow(True)
    ax.tick_params(axis="y", length=0)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    line = 12 * st.scale  # points per header line
    ax.set_title(
        title or f"{run.strategy} · {run.scenario}", loc="left", fontweight="bold", pad=2.3 * line
    )
    stalled = summary.stalled_tasks > 0 or any(k != "ok" for k in summary.outcomes)
    for text, gid, lift, color in (
        (verdict(run, summary), "verdict", 1.15 * line, st.stall if stalled else st.foreground),
        (timings(summary), "timings", 0.2 * line, st.foreground),
    ):
        ax.annotate(
            text,
            (0, 1),
            xycoords="axes fraction",
            xytext=(0, lift),
            textcoords="offset points",
            va="bottom",
            fontsize=9 * st.scale,
            color=color,
            gid=gid,
        )
    if note := clock_note(run):  # a cluster's clocks: say when they blur what is shown
        ax.text(
            0.99,
            0.98,
            note,
            transform=ax.transAxes,
            ha="right",
            va="top",
            fontsize=8 * st.scale,
            color=st.stall,
            gid="clock-note",
        )


# ---------------------------------------------------------------- figures


def figure_for(
    trace: Trace | Run,
    *,
    title: str | None = None,
    style: str | Style | None = None,
    lanes: str = "auto",
    ideal: IdealFor | None = None,
) -> Figure:
    """Panels: rows = scenarios, columns = strategies, one shared time axis and legend.

    ``style`` and ``lanes`` as in plot_gantt; ``ideal`` maps a run to its ideal
    schedule (or None) to draw behind it, e.g. ``lambda run: ideal_schedule(...)``.
    """
    return build(trace, title=title, style=style, lanes=lanes, ideal=ideal)[0]


def build(
    trace: Trace | Run,
    *,
    title: str | None = None,
    style: str | Style | None = None,
    lanes: str = "auto",
    ideal: IdealFor | None = None,
) -> tuple[Figure, list[Panel]]:
    """The figure and what each panel drew (the animation needs the latter)."""
    st = get_style(style)
    resolve_lanes(lanes, 0)
    runs = trace.runs if isinstance(trace, Trace) else [trace]
    scenarios = list(dict.fromkeys(r.scenario for r in runs))
    strategies = list(dict.fromkeys(r.strategy for r in runs))
    grid = {(r.scenario, r.strategy): r for r in runs}
    rows = max((_rows(r, resolve_lanes(lanes, len(r.tasks))) for r in runs), default=1)
    panels: list[Panel] = []
    with matplotlib.rc_context(st.rc()):
        fig = Figure(
            figsize=(
                st.width_inches * max(1, len(strategies)),
                1.4 * st.scale + _panel_height(rows, st) * max(1, len(scenarios)),
            ),
            layout="constrained",
        )
        axes = fig.subplots(
            max(1, len(scenarios)), max(1, len(strategies)), sharex=True, squeeze=False
        )
        workers = worker_labels(runs)
        stalls = {id(r): r.stalls() for r in runs}
        end = max((summarize(r, stalls[id(r)]).makespan or 0.0 for r in runs), default=0.0)
        for i, scenario in enumerate(scenarios):
            for j, strategy in enumerate(strategies):
                ax = axes[i][j]
                run = grid.get((scenario, strategy))
                if run is None:
                    ax.set_axis_off()
                    continue
                panels.append(
                    draw_panel(
                        ax,
                        run,
                        lanes=lanes,
                        style=st,
                        workers=workers,
                        end=end,
                        ideal=ideal(run) if ideal else None,
                        stalls=stalls[id(run)],
                    )
                )
                if i < len(scenarios) - 1:
                    ax.set_xlabel("")
        _set_range(panels, st)
        if runs:
            first = runs[0]
            fig.suptitle(title or setup(first), fontweight="bold")
        handles = legend_handles(
            workers,
            st,
            ideal=ideal is not None,
            views=frozenset(resolve_lanes(lanes, len(r.tasks)) for r in runs),
            outcomes=frozenset(t.outcome for r in runs for t in r.tasks),
            loop_blocked=any(r.loop_blocked for r in runs),
            submitting=any(r.caller_submitting for r in runs),
        )
        widest = max(text_inches(h.get_label(), st.rc()["legend.fontsize"]) for h in handles)
        fig.legend(
            handles=handles,
            loc="outside lower center",
            ncol=max(1, min(len(handles), int(fig.get_size_inches()[0] // (widest + 0.6)))),
            frameon=False,
        )
    return fig, panels


def render(fig: Figure, fmt: str = "png", dpi: int = 120) -> bytes:
    """The figure as file bytes, so the caller can write it atomically."""
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=dpi, facecolor=fig.get_facecolor())
    return buf.getvalue()
