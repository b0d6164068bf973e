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
    LAYOUT_PADS,
    LINE_SPACING,
    Canvas,
    Columns,
    IdealFor,
    IdealLike,
    Panel,
    axes_inches,
    measured_inches,
    root_figure,
    text_inches,
    worker_palette,
)
from .legend import legend_handles
from .tasks import draw_tasks
from .workers import draw_workers

if TYPE_CHECKING:
    from matplotlib.axes import Axes


HEADER_LINE = 12  # points per line of a panel's header (before the style's scale)
HEADER_SIZE = 9  # points: the verdict's and the timings' font


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


# A mark narrower than this share of the time axis is not worth a legend entry.
VISIBLE_SHARE = 0.005


def _shows(spans: Sequence[tuple[float, float]], end: float) -> bool:
    """Whether spans add up to something visible on an axis ending at ``end``."""
    return sum(b - a for a, b in spans) > VISIBLE_SHARE * end


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
    summary: Summary | None = None,
) -> Panel:
    """Draw without fixing the x range (the caller shares one across panels).

    ``stalls`` is ``run.stalls()`` and ``summary`` its summary when the caller already has
    them (big runs).
    """
    workers = workers if workers is not None else worker_labels([run])
    order = {w: i for i, w in enumerate(workers)}
    stalls = stalls if stalls is not None else run.stalls()
    summary = summary or summarize(run, stalls)
    end = end if end is not None else (summary.makespan or 0.0)
    cols = Columns.of(run, order)
    palette = worker_palette(style, len(workers))
    canvas = Canvas(ax, run, cols, stalls, style, palette, list(workers.values()), end)
    if resolve_lanes(lanes, len(run.tasks)) == "workers":
        panel = draw_workers(canvas)
    else:
        panel = draw_tasks(canvas, ideal)
    panel.verdict_lines = _decorate(ax, run, summary, style, title)
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
    """One x range for all panels (wide enough for every note), then the words that need it,
    and titles level with each other above verdicts of different lengths."""
    right = max((p.right for p in panels), default=1.0)
    lines = max((p.verdict_lines for p in panels), default=1)
    for p in panels:
        p.ax.set_xlim(0, right)
        _title(p.ax, p.ax.get_title(loc="left"), lines, st)
    for p in panels:
        _label_waits(p, st)


def _title(ax: Axes, text: str, verdict_lines: int, st: Style) -> None:
    """Bold, left, above the header: the verdict's lines and the timings' line."""
    pad = (2.3 * HEADER_LINE + (verdict_lines - 1) * HEADER_SIZE * LINE_SPACING) * st.scale
    ax.set_title(text, loc="left", fontweight="bold", pad=pad)


def _decorate(ax: Axes, run: Run, summary: Summary, st: Style, title: str | None) -> int:
    """Three header blocks, all left-aligned so narrow panels never collide: what ran, the
    verdict (wrapped to the panel's width), when results came. Returns the verdict's lines."""
    ax.set_xlabel("seconds since the first submit")
    ax.grid(axis="x")
    ax.set_axisbelow(True)
    ax.tick_params(axis="y", length=0)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    line = HEADER_LINE * st.scale
    fontsize = HEADER_SIZE * st.scale
    lesson = verdict(run, summary)
    per_char = measured_inches(lesson, fontsize) / max(len(lesson), 1)
    lesson = verdict(run, summary, width=max(16, int(_plot_inches(ax) / per_char)))
    lines = lesson.count("\n") + 1
    _title(ax, title or f"{run.strategy} · {run.scenario}", lines, st)
    stalled = summary.stalled_tasks > 0 or any(k != "ok" for k in summary.outcomes)
    for text, gid, lift, color in (
        (lesson, "verdict", 1.15 * line, st.stall if stalled else st.foreground),
        (timings(summary), "timings", 0.2 * line, st.foreground),
    ):
        ax.annotate(
            text,
            (0, 1),
            xycoords="axes fraction",
            xytext=(0, lift),
            textcoords="offset points",
            va="bottom",
            fontsize=fontsize,
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
    return lines


def _plot_inches(ax: Axes) -> float:
    """Width of the plotting area once layout has run: the panel's grid cell less the y tick
    labels, the y label and the pads beside them (measured: layout comes later)."""
    fig = root_figure(ax)
    spec = ax.get_subplotspec()
    share = ax.get_position().width
    if spec is not None:
        share = (spec.colspan.stop - spec.colspan.start) / spec.get_gridspec().ncols
    labels = ax.get_yticklabels()
    ticks = max(
        (measured_inches(t.get_text(), float(t.get_fontsize())) for t in labels), default=0.0
    )
    ylabel = 2 * float(ax.yaxis.label.get_fontsize()) / 72 if ax.get_ylabel() else 0.0
    return float(fig.get_size_inches()[0]) * share - ticks - ylabel - LAYOUT_PADS


# ---------------------------------------------------------------- figures


def figure_for(
    trace: Trace | Run,
    *,
    title: str | None = None,
    style: str | Style | None = None,
    lanes: str = "auto",
    ideal: IdealFor | None = None,
    dpi: float | None = None,
) -> Figure:
    """Panels: rows = scenarios, columns = strategies, one shared time axis and legend.

    ``style`` and ``lanes`` as in plot_gantt; ``ideal`` maps a run to its ideal
    schedule (or None) to draw behind it, e.g. ``lambda run: ideal_schedule(...)``;
    ``dpi`` the resolution it will be saved at (tasks narrower than a pixel are drawn
    per pixel column), by default matplotlib's.
    """
    return build(trace, title=title, style=style, lanes=lanes, ideal=ideal, dpi=dpi)[0]


def build(
    trace: Trace | Run,
    *,
    title: str | None = None,
    style: str | Style | None = None,
    lanes: str = "auto",
    ideal: IdealFor | None = None,
    dpi: float | None = None,
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
            dpi=dpi,
        )
        axes = fig.subplots(
            max(1, len(scenarios)), max(1, len(strategies)), sharex=True, squeeze=False
        )
        workers = worker_labels(runs)
        stalls = {id(r): r.stalls() for r in runs}
        summaries = {id(r): summarize(r, stalls[id(r)]) for r in runs}
        end = max((s.makespan or 0.0 for s in summaries.values()), default=0.0)
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
                        summary=summaries[id(run)],
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
            submitting=any(_shows(r.caller_submitting, end) for r in runs),
            aggregated=any(p.aggregated for p in panels),
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
