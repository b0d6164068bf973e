"""The Gantt chart: time on x; one row per task (or per worker), the caller's waits below.

Bars are numpy vertex arrays in one PolyCollection per segment kind, with
colours passed as arrays (never one artist per bar), so 100,000 tasks still
render in about two seconds. Per-task words (tick labels, "waited 1.0s for #0")
are drawn only while rows are few enough to read them. matplotlib is imported
here only, and this module only when drawing; figures are built without
pyplot, so no GUI backend is ever touched.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import matplotlib
import numpy as np
from matplotlib.collections import PolyCollection
from matplotlib.colors import to_rgba, to_rgba_array
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import offset_copy

from .clocks import clock_note
from .styles import LANES, LIGHT, Style, get_style
from .trace import (
    CANCELLED,
    ERROR,
    STALL_EPSILON,
    TIMED_OUT,
    UNDELIVERED,
    Run,
    Stall,
    Summary,
    Task,
    Trace,
    summarize,
    worker_labels,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

AUTO_WORKER_LANES_ABOVE = 40  # tasks: above this, per-task rows get too thin to read
DETAIL_ROWS = 60  # rows: above this, no per-task labels, annotations or bar edges
FATE_MARKER = 1.8  # error/cancel markers, relative to the delivery marker
HELD = 0.6  # held bars are thinner than running ones: they sit "on" the finished task
LOST = (UNDELIVERED, TIMED_OUT)

# Kept for callers of the first version; the palette now lives in styles.py.
WORKER_COLORS = LIGHT.workers
STALL = LIGHT.stall
BACKLOG = LIGHT.backlog


class IdealLike(Protocol):
    """What ``ideal=`` needs per task (loiter.schedule.IdealTask has it)."""

    index: int
    started: float
    finished: float
    delivered: float


IdealFor = Callable[[Run], "Sequence[IdealLike] | None"]


@dataclass
class Panel:
    """What one drawn run needs after drawing: x room for its words, where deliveries are."""

    ax: Axes
    run: Run
    right: float  # the x the axes must reach so no annotation is cut
    deliveries: np.ndarray  # (n, 2): x, row of each delivery marker
    caller_row: float
    detail: bool  # rows few enough for per-task words
    end: float = 0.0  # where the run's time axis ends (shared across panels)


# ---------------------------------------------------------------- geometry helpers


def _rects(y: np.ndarray, x0: np.ndarray, x1: np.ndarray, height: float) -> np.ndarray:
    """(n, 4, 2) rectangle vertices: numpy all the way, no per-bar Python objects."""
    v = np.empty((len(y), 4, 2))
    h = height / 2
    v[:, 0, 0] = v[:, 1, 0] = x0
    v[:, 2, 0] = v[:, 3, 0] = x1
    v[:, 0, 1] = v[:, 3, 1] = y - h
    v[:, 1, 1] = v[:, 2, 1] = y + h
    return v


def _bars(
    ax: Axes,
    y: np.ndarray,
    x0: np.ndarray,
    x1: np.ndarray,
    gid: str,
    *,
    height: float,
    colors: np.ndarray | None = None,
    **style: Any,
) -> PolyCollection | None:
    """One PolyCollection for every (y, x0, x1) span that exists (both ends known)."""
    keep = np.isfinite(x0) & np.isfinite(x1) & (x1 >= x0)
    if not keep.any():
        return None
    if colors is not None:
        style["facecolors"] = colors[keep]
    coll = PolyCollection(_rects(y[keep], x0[keep], x1[keep], height), **style)
    coll.set_gid(gid)
    ax.add_collection(coll, autolim=False)  # limits are set once, from the trace
    return coll


def _col(values: Sequence[float | None]) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=float)


@dataclass
class _Columns:
    """A run's timestamps as float arrays (NaN = never happened)."""

    row: np.ndarray
    submitted: np.ndarray
    started: np.ndarray
    finished: np.ndarray
    delivered: np.ndarray
    worker: np.ndarray  # index into the shared worker order, -1 when unknown

    @classmethod
    def of(cls, run: Run, order: dict[str, int]) -> _Columns:
        t = run.tasks
        return cls(
            row=np.array([x.index for x in t], dtype=float),
            submitted=_col([x.submitted for x in t]),
            started=_col([x.started for x in t]),
            finished=_col([x.finished for x in t]),
            delivered=_col([x.delivered for x in t]),
            worker=np.array([order.get(x.worker or "", -1) for x in t], dtype=int),
        )


def _palette(style: Style, n: int) -> np.ndarray:
    """RGBA per worker index, plus a last entry (black) for an unknown worker."""
    return to_rgba_array([style.worker_color(i) for i in range(n)] + [style.foreground])


def _lighter(colors: np.ndarray, background: str, share: float = 0.35) -> np.ndarray:
    return colors * (1 - share) + np.array(to_rgba(background)) * share


def secs(x: float | None) -> str:
    """Seconds for people: 4.0s, 250ms (one unit per size, so neighbours read alike)."""
    if x is None:
        return "—"
    if abs(x) >= 0.9995:
        return f"{x:.1f}s"
    return f"{x * 1000:.0f}ms"


def _text_inches(text: str, fontsize: float) -> float:
    """A generous width estimate (DejaVu Sans averages ~0.55 em) for layout before drawing."""
    return len(text) * fontsize * 0.56 / 72


def _axes_inches(ax: Axes) -> float:
    """The axes' width once tick labels took their share (layout has not run yet)."""
    fig = ax.get_figure()
    return float(fig.get_size_inches()[0] * ax.get_position().width) * 0.85


# ---------------------------------------------------------------- words


def verdict(run: Run, summary: Summary | None = None) -> str:
    """The panel's lesson in one line: how much finished work sat waiting, and why."""
    s = summary or run.summary()
    parts = []
    if s.stalled_tasks:
        n = s.stalled_tasks
        parts.append(f"{n} result{'s' if n != 1 else ''} held {secs(s.total_stall)} in total")
    backlog = s.total_held - s.total_stall
    if backlog > STALL_EPSILON * max(1, len(run.tasks)):
        parts.append(f"{secs(backlog)} held while the caller was busy")
    if run.error:
        parts.append(f"raised {run.error.split(':')[0]} to the caller")
    if not parts:
        parts.append("none held: each result delivered as it finished")
    bad = [f"{n} {k.replace('_', ' ')}" for k, n in s.outcomes.items() if k != "ok"]
    if bad:
        parts.append(", ".join(bad))
    return f"{run.strategy}: " + "; ".join(parts)


def timings(summary: Summary) -> str:
    return f"first result {secs(summary.first_result)} · makespan {secs(summary.makespan)}"


def _task_note(task: Task, stall: Stall) -> str:
    """The words beside one task's row: its stall and its fate."""
    notes = []
    if stall.seconds > STALL_EPSILON:
        culprit = f" for #{stall.blocked_on}" if stall.blocked_on is not None else ""
        notes.append(f"waited {secs(stall.seconds)}{culprit}")
    if task.outcome == ERROR:
        notes.append(f"raised {(task.error or 'an exception').split(':')[0]}")
    elif task.outcome == CANCELLED:
        notes.append("cancelled, never ran")
    elif task.outcome == UNDELIVERED:
        notes.append("never delivered")
    elif task.outcome == TIMED_OUT:
        notes.append("timed out")
    return " · ".join(notes)


def _arg(arg: Any) -> str:
    return f"loiter({arg:g})" if isinstance(arg, (int, float)) else str(arg)[:18]


# ---------------------------------------------------------------- the two views


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
    cols = _Columns.of(run, order)
    palette = _palette(style, len(workers))
    canvas = _Canvas(ax, run, cols, stalls, style, palette, list(workers.values()), end)
    if resolve_lanes(lanes, len(run.tasks)) == "workers":
        panel = _draw_workers(canvas)
    else:
        panel = _draw_tasks(canvas, ideal)
    _decorate(ax, run, summary, style, title)
    panel.right = max(panel.right, end * 1.03, 1e-6)
    panel.end = end
    return panel


@dataclass
class _Canvas:
    """Everything both views draw from: the axes, the run as arrays, the look, the end."""

    ax: Axes
    run: Run
    c: _Columns
    stalls: list[Stall]
    st: Style
    palette: np.ndarray  # RGBA per worker index
    names: list[str]  # label per worker index ("w1", ...)
    end: float


def _draw_tasks(k: _Canvas, ideal: Sequence[IdealLike] | None) -> Panel:
    ax, run, c, stalls, st, palette, end = k.ax, k.run, k.c, k.stalls, k.st, k.palette, k.end
    n = len(run.tasks)
    detail = n + 1 <= DETAIL_ROWS
    lw = 0.6 * st.scale if detail else 0.0
    # Dense rows are sub-pixel: bars fill their rows so neighbours merge into solid areas.
    bar, held_h = (st.bar, st.bar * HELD) if detail else (1.0, 1.0)
    if ideal:
        _ghosts(ax, ideal, st, detail)
    _bars(
        ax,
        c.row,
        c.submitted,
        c.started,
        "queued",
        height=bar,
        facecolor="none" if detail else to_rgba(st.queued, 0.35),
        edgecolor=st.queued if detail else "none",
        hatch="///" if detail else None,
        linewidth=lw,
    )
    _bars(
        ax,
        c.row,
        c.started,
        c.finished,
        "running",
        height=bar,
        colors=palette[c.worker],
        edgecolor=st.background if detail else "none",
        linewidth=lw,
    )
    held = c.delivered > c.finished
    _bars(
        ax,
        c.row[held],
        c.finished[held],
        c.delivered[held],
        "held",
        height=held_h,
        facecolor=st.backlog,
        edgecolor="none",
    )
    pieces = [(row, lo, hi) for row, s in zip(c.row, stalls) for lo, hi in s.intervals]
    if pieces:
        sy, s0, s1 = (np.array(p, dtype=float) for p in zip(*pieces))
        _bars(ax, sy, s0, s1, "stall", height=held_h, facecolor=st.stall, edgecolor="none")
    lost = np.array([t.outcome in LOST for t in run.tasks], dtype=bool) & np.isfinite(c.finished)
    _bars(
        ax,
        c.row[lost],
        c.finished[lost],
        np.maximum(end, c.finished[lost]),
        "undelivered",
        height=held_h,
        facecolor="none",
        edgecolor=st.stall,
        hatch="xx" if detail else None,
        linewidth=0.8 * st.scale,
    )

    got = np.isfinite(c.delivered)
    deliveries = np.column_stack([c.delivered[got], c.row[got]])
    ms = (6 if detail else 1.5) * st.scale
    ax.plot(
        deliveries[:, 0],
        deliveries[:, 1],
        linestyle="none",
        marker="D" if detail else "|",
        markersize=ms,
        color=st.marker,
        markeredgecolor=st.background if detail else st.marker,
        markeredgewidth=(0.6 if detail else 0.4) * st.scale,
        gid="delivered",
        zorder=4 if detail else 0.95,  # dense: under the bars, which are thinner than a tick
        clip_on=False,  # a task delivered at 0 keeps its whole diamond
    )
    _fates(ax, run, c, c.row, st, ms)

    # A little gap: the caller is not a task. With many rows, a lane still tall enough to see.
    caller_h = st.bar if detail else max(st.bar, 0.04 * n)
    caller_row = n + 0.25 if detail else n + 0.01 * n + caller_h / 2
    _caller_lane(ax, run, caller_row, st, caller_h)
    panel = Panel(ax, run, 0.0, deliveries, caller_row, detail)
    if detail:
        ax.set_yticks(
            [*c.row.tolist(), caller_row],
            [f"#{t.index}  {_arg(t.arg)}" for t in run.tasks] + ["caller"],
        )
        _annotate(ax, panel, c, stalls, st, ms)
    else:
        ax.yaxis.set_major_locator(MaxNLocator(8, integer=True))
        ax.set_ylabel("task # (input order)")
    ax.set_ylim(caller_row + caller_h / 2 + 0.4, -0.75)
    return panel


def _ghosts(ax: Axes, ideal: Sequence[IdealLike], st: Style, detail: bool) -> None:
    """The ideal schedule behind the bars: where each task would run with zero overhead."""
    row = np.array([t.index for t in ideal], dtype=float)
    coll = _bars(
        ax,
        row,
        np.array([t.started for t in ideal], dtype=float),
        np.array([t.finished for t in ideal], dtype=float),
        "ideal",
        height=min(0.96, st.bar + 0.2),
        facecolor="none",
        edgecolor=st.ideal,
        linestyle=(0, (3, 2)),
        linewidth=(1.0 if detail else 0.4) * st.scale,
    )
    if coll is not None:
        coll.set_zorder(0.9)
    ax.plot(
        [t.delivered for t in ideal],
        row,
        linestyle="none",
        marker="D",
        markersize=(6 if detail else 2) * st.scale,
        markerfacecolor="none",
        markeredgecolor=st.ideal,
        markeredgewidth=0.8 * st.scale,
        gid="ideal-delivered",
        zorder=0.9,
    )


def _fates(ax: Axes, run: Run, c: _Columns, rows: np.ndarray, st: Style, ms: float) -> None:
    """Markers for what went wrong: X where a task raised, O where one was cancelled.

    ``rows`` is each task's row (NaN: none, e.g. a task that never ran has no worker lane).
    """
    size = ms * FATE_MARKER
    # A cancelled task never ran: its O sits just right of its submit, clear of the y axis.
    shifted = offset_copy(ax.transData, fig=ax.get_figure(), x=size / 2, units="points")
    for gid, outcome, xs, marker, transform in (
        ("error", ERROR, np.where(np.isfinite(c.finished), c.finished, c.delivered), "X", None),
        ("cancelled", CANCELLED, c.submitted, "o", shifted),
    ):
        pick = np.array([t.outcome == outcome for t in run.tasks], dtype=bool)
        pick &= np.isfinite(xs) & np.isfinite(rows)
        if pick.any():
            ax.plot(
                xs[pick],
                rows[pick],
                linestyle="none",
                marker=marker,
                markersize=size,
                markerfacecolor=st.stall if outcome == ERROR else "none",
                markeredgecolor=st.foreground,
                markeredgewidth=1.2 * st.scale,
                gid=gid,
                zorder=5,
                clip_on=False,
                **({"transform": transform} if transform else {}),
            )


def _caller_lane(ax: Axes, run: Run, row: float, st: Style, height: float) -> None:
    """Each wait of the caller as a bar; shades alternate so back-to-back waits stay distinct."""
    waits = [b for b in run.caller_blocked if b.got > b.ask]
    if not waits:
        return
    shades = to_rgba_array(list(st.caller))[np.arange(len(waits)) % 2]
    _bars(
        ax,
        np.full(len(waits), row),
        np.array([b.ask for b in waits]),
        np.array([b.got for b in waits]),
        "caller",
        height=height,
        colors=shades,
        edgecolor="none",
    )


def _label_waits(panel: Panel, st: Style) -> None:
    """Name the awaited task inside each caller wait wide enough (needs the final x range)."""
    ax = panel.ax
    lo, hi = ax.get_xlim()
    inches_per_x = _axes_inches(ax) / (hi - lo)
    fontsize = 8 * st.scale
    short = _text_inches("#00", fontsize) + 0.1
    for b in panel.run.caller_blocked:
        width = (b.got - b.ask) * inches_per_x
        if b.index is None or width < short:
            continue
        for label in (f"waiting for #{b.index}", f"#{b.index}"):
            if _text_inches(label, fontsize) + 0.1 < width:
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


def _annotate(
    ax: Axes, panel: Panel, c: _Columns, stalls: list[Stall], st: Style, ms: float
) -> None:
    """One note per row right of its last mark, and a line from each culprit to whom it held."""
    fontsize = 8.5 * st.scale
    axes_in = _axes_inches(ax)
    for i, (task, stall) in enumerate(zip(panel.run.tasks, stalls)):
        note = _task_note(task, stall)
        if not note:
            continue
        marks = [c.submitted[i], c.finished[i], c.delivered[i]]
        # Clear of the widest mark on the row: an X or O (failed), else the delivery diamond.
        gap_pt = ms * (FATE_MARKER if task.outcome in (ERROR, CANCELLED) else 0.6) + 3 * st.scale
        x = float(np.nanmax([m for m in marks if np.isfinite(m)] or [0.0]))
        ax.annotate(
            note,
            (x, c.row[i]),
            xytext=(gap_pt, 0),
            textcoords="offset points",
            va="center",
            fontsize=fontsize,
            color=st.stall if stall.seconds > STALL_EPSILON else st.foreground,
            gid="note",
        )
        # The axes must reach past the note: x + width <= right, width scaling with right.
        share = (_text_inches(note, fontsize) + gap_pt / 72) / axes_in
        panel.right = max(panel.right, x / max(1 - share, 0.3))
    _culprit_lines(ax, panel, c, stalls, st)


def _culprit_lines(ax: Axes, panel: Panel, c: _Columns, stalls: list[Stall], st: Style) -> None:
    """A dashed line down from the task everyone waited for, through the results it held."""
    held_by: dict[int, list[int]] = {}  # culprit's row (its index) -> victims' positions
    for i, stall in enumerate(stalls):
        if stall.seconds > STALL_EPSILON and stall.blocked_on is not None:
            held_by.setdefault(stall.blocked_on, []).append(i)
    position = {int(row): i for i, row in enumerate(c.row)}
    for culprit, victims in held_by.items():
        # The caller is released when the culprit's result arrives; later blips of
        # waiting for other tasks (a consumer delay) do not move the line.
        arrived = c.delivered[position[culprit]] if culprit in position else np.nan
        release = (
            arrived
            if np.isfinite(arrived)
            else max(hi for i in victims for _, hi in stalls[i].intervals)
        )
        rows = [culprit, *(c.row[i] for i in victims)]
        ax.plot(
            [release, release],
            [min(rows), max(rows)],
            color=st.stall,
            linestyle=(0, (2, 1.5)),
            linewidth=1.4 * st.scale,
            gid="culprit",
            zorder=3,
        )


def _count_curve(
    ax: Axes,
    starts: np.ndarray,
    stops: np.ndarray,
    row: float,
    height: float,
    gid: str,
    *,
    peak: int | None = None,
    **kw: Any,
) -> int:
    """How many spans are open over time, as a filled step inside one row; returns the peak.

    ``peak`` fixes the scale, so a subset (stalls) reads as a share of a whole (held).
    """
    ok = np.isfinite(starts) & np.isfinite(stops) & (stops - starts > STALL_EPSILON)
    if not ok.any():
        return 0
    times = np.concatenate([starts[ok], stops[ok]])
    order = np.argsort(times, kind="stable")
    count = np.cumsum(np.repeat([1.0, -1.0], ok.sum())[order])
    times = times[order]
    top = int(count.max())
    base = row + height / 2
    fill = ax.fill_between(
        np.r_[times[0], times],
        base,
        base - np.r_[0.0, count] / max(peak or top, 1) * height,
        step="post",
        **{"linewidth": 0, **kw},
    )
    fill.set_gid(gid)
    return top


def _rank_within(groups: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Each item's position among its group when sorted by key (0, 1, 2, ...)."""
    order = np.lexsort((keys, groups))
    g = groups[order]
    starts = np.r_[0, np.flatnonzero(np.diff(g)) + 1]
    rank = np.empty(len(g), dtype=int)
    rank[order] = np.arange(len(g)) - np.repeat(starts, np.diff(np.r_[starts, len(g)]))
    return rank


def _draw_workers(k: _Canvas) -> Panel:
    """Queue size, one lane per worker, results held, caller: a big run in a few rows."""
    ax, run, c, stalls, st, palette, end = k.ax, k.run, k.c, k.stalls, k.st, k.palette, k.end
    used = sorted(set(c.worker[c.worker >= 0].tolist()))
    lane_of = np.full(len(palette), -1.0)
    lane_of[used] = np.arange(len(used)) + 1.0
    lanes = len(used)
    detail = lanes + 3 <= DETAIL_ROWS
    h = st.bar

    queued_peak = _count_curve(
        ax,
        c.submitted,
        c.started,
        0.0,
        h,
        "queued",
        facecolor="none",
        edgecolor=st.queued,
        hatch="///",
        linewidth=0.6 * st.scale,
    )
    # Running: consecutive tasks on a lane alternate shade so each one stays visible.
    ran = c.worker >= 0
    row = np.where(ran, lane_of[c.worker], np.nan)
    colors = palette[c.worker].copy()
    odd = _rank_within(c.worker, np.nan_to_num(c.started, nan=np.inf)) % 2 == 1
    colors[odd] = _lighter(colors[odd], st.background)
    _bars(
        ax,
        row[ran],
        c.started[ran],
        c.finished[ran],
        "running",
        height=h,
        colors=colors[ran],
        edgecolor="none",
    )
    held_row = lanes + 1.0
    held_peak = _count_curve(ax, c.finished, c.delivered, held_row, h, "held", facecolor=st.backlog)
    pieces = [(lo, hi) for s in stalls for lo, hi in s.intervals]
    if pieces:
        s0, s1 = (np.array(p, dtype=float) for p in zip(*pieces))
        _count_curve(ax, s0, s1, held_row, h, "stall", peak=held_peak, facecolor=st.stall)
    _fates(ax, run, c, row, st, 4.0 * st.scale)
    caller_row = lanes + 2.0
    _caller_lane(ax, run, caller_row, st, h)
    # Deliveries: short ticks on the caller lane's top edge, where results reach the caller.
    got = np.isfinite(c.delivered)
    tick_row = caller_row - h / 2 - 0.12
    deliveries = np.column_stack([c.delivered[got], np.full(int(got.sum()), tick_row)])
    ax.plot(
        deliveries[:, 0],
        deliveries[:, 1],
        linestyle="none",
        marker="|",
        markersize=7 * st.scale,
        markeredgewidth=0.8 * st.scale,
        color=st.foreground,
        gid="delivered",
        zorder=4,
    )
    labels = [f"queued (peak {queued_peak})"]
    labels += [k.names[i] for i in used] if detail else []
    labels += [f"results held (peak {held_peak})", "caller"]
    ticks = [0.0, *(lane_of[used].tolist() if detail else []), held_row, caller_row]
    ax.set_yticks(ticks, labels)
    if not detail:
        ax.set_ylabel(f"{lanes} worker lanes")
    ax.set_ylim(caller_row + 0.75, -0.75)
    return Panel(ax, run, end * 1.03, deliveries, caller_row, False)


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


def legend_handles(
    workers: dict[str, str],
    style: str | Style | None = None,
    *,
    ideal: bool = False,
    views: frozenset[str] = frozenset({"tasks"}),
    outcomes: frozenset[str] = frozenset(),
) -> list[Any]:
    """One entry per mark on the chart, and only those there: ``views`` are the lane kinds
    drawn, ``outcomes`` the task outcomes present. Over eight workers share one entry."""
    st = get_style(style)

    def marker(symbol: str, label: str, size: float, **kw: Any) -> Line2D:
        return Line2D([], [], linestyle="none", marker=symbol, markersize=size * st.scale,
                      label=label, **kw)  # fmt: skip

    handles: list[Any] = [
        Patch(
            facecolor="none",
            edgecolor=st.queued,
            hatch="///",
            label="queued (submitted, not started)",
        )
    ]
    labels = list(workers.values())
    if len(labels) <= 8:
        handles += [
            Patch(facecolor=st.worker_color(i), label=f"running on {label}")
            for i, label in enumerate(labels)
        ]
    else:
        handles.append(
            Patch(
                facecolor=st.worker_color(0), label=f"running ({len(labels)} workers, colour each)"
            )
        )
    handles += [
        Patch(facecolor=st.stall, label="ordering stall: done, caller waits for an earlier task"),
        Patch(facecolor=st.backlog, label="held: done, caller busy with earlier results"),
    ]
    if "tasks" in views:
        handles.append(marker("D", "delivered to the caller", 7, color=st.marker,
                              markeredgecolor=st.background))  # fmt: skip
    if "workers" in views:
        handles.append(marker("|", "result delivered (above the caller lane)", 9,
                              color=st.foreground, markeredgewidth=1.2 * st.scale))  # fmt: skip
    handles.append(Patch(facecolor=st.caller[0], label="caller blocked, waiting for task #n"))
    if ERROR in outcomes:
        handles.append(marker("X", "raised an exception", 9, markerfacecolor=st.stall,
                              markeredgecolor=st.foreground))  # fmt: skip
    if CANCELLED in outcomes and "tasks" in views:
        handles.append(marker("o", "cancelled before it started", 9, markerfacecolor="none",
                              markeredgecolor=st.foreground))  # fmt: skip
    if outcomes & set(LOST) and "tasks" in views:
        handles.append(Patch(facecolor="none", edgecolor=st.stall, hatch="xx",
                             label="finished, never delivered"))  # fmt: skip
    if ideal:
        handles.append(Patch(facecolor="none", edgecolor=st.ideal, linestyle=(0, (3, 2)),
                             label="ideal schedule (no overhead)"))  # fmt: skip
    return handles


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
            fig.suptitle(
                title
                or (
                    f"{first.workload} on a {first.executor} pool, {first.workers} "
                    f"workers, unit {first.unit:g}s"
                ),
                fontweight="bold",
            )
        handles = legend_handles(
            workers,
            st,
            ideal=ideal is not None,
            views=frozenset(resolve_lanes(lanes, len(r.tasks)) for r in runs),
            outcomes=frozenset(t.outcome for r in runs for t in r.tasks),
        )
        widest = max(_text_inches(h.get_label(), st.rc()["legend.fontsize"]) for h in handles)
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
