"""What every Gantt view draws with: a run as arrays, bars as one collection per kind, marks.

Numpy all the way, never one artist per bar, so 100,000 tasks still render in
about two seconds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from matplotlib.collections import PolyCollection
from matplotlib.colors import to_rgba, to_rgba_array
from matplotlib.transforms import offset_copy

from ...model.trace import CANCELLED, ERROR, STALL_EPSILON, TIMED_OUT, UNDELIVERED, Run, Stall
from ..styles import Style
from .density import Grid, coverage, draw_columns

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


AUTO_WORKER_LANES_ABOVE = 40  # tasks: above this, per-task rows get too thin to read


DETAIL_ROWS = 60  # rows: above this, no per-task labels, annotations or bar edges


LINE_SPACING = 1.2  # font sizes per line of wrapped text, at most (DejaVu Sans: 1.16)


# Inches beside a panel's plotting area besides its tick labels: tick pads, figure margin
# and the gap to the next panel, as constrained layout leaves them (generously).
LAYOUT_PADS = 0.45


FATE_MARKER = 1.8  # error/cancel markers, relative to the delivery marker


HELD = 0.6  # held bars are thinner than running ones: they sit "on" the finished task


LOST = (UNDELIVERED, TIMED_OUT)


class IdealLike(Protocol):
    """What ``ideal=`` reads per task (loiter.IdealTask, a frozen dataclass, has it)."""

    @property
    def index(self) -> int: ...
    @property
    def started(self) -> float: ...
    @property
    def finished(self) -> float: ...
    @property
    def delivered(self) -> float: ...


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
    aggregated: bool = False  # lanes drawn per pixel column (tasks narrower than a pixel)
    verdict_lines: int = 1  # the header's verdict, wrapped to the panel's width


# ---------------------------------------------------------------- geometry helpers


@dataclass
class Canvas:
    """Everything both views draw from: the axes, the run as arrays, the look, the end."""

    ax: Axes
    run: Run
    c: Columns
    stalls: list[Stall]
    st: Style
    palette: np.ndarray  # RGBA per worker index
    names: list[str]  # label per worker index ("w1", ...)
    end: float


def rect_vertices(y: np.ndarray, x0: np.ndarray, x1: np.ndarray, height: float) -> np.ndarray:
    """(n, 4, 2) rectangle vertices: numpy all the way, no per-bar Python objects."""
    v = np.empty((len(y), 4, 2))
    h = height / 2
    v[:, 0, 0] = v[:, 1, 0] = x0
    v[:, 2, 0] = v[:, 3, 0] = x1
    v[:, 0, 1] = v[:, 3, 1] = y - h
    v[:, 1, 1] = v[:, 2, 1] = y + h
    return v


def add_bars(
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
    # An (n, 4, 2) array is PolyCollection's documented fast path; its stub only says Sequence.
    verts = rect_vertices(y[keep], x0[keep], x1[keep], height)
    coll = PolyCollection(verts, **style)  # type: ignore[arg-type]
    coll.set_gid(gid)
    ax.add_collection(coll, autolim=False)  # limits are set once, from the trace
    return coll


def nan_column(values: Sequence[float | None]) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=float)


@dataclass
class Columns:
    """A run's timestamps as float arrays (NaN = never happened)."""

    row: np.ndarray
    submitted: np.ndarray
    started: np.ndarray
    finished: np.ndarray
    delivered: np.ndarray
    worker: np.ndarray  # index into the shared worker order, -1 when unknown

    @classmethod
    def of(cls, run: Run, order: dict[str, int]) -> Columns:
        t = run.tasks
        return cls(
            row=np.array([x.index for x in t], dtype=float),
            submitted=nan_column([x.submitted for x in t]),
            started=nan_column([x.started for x in t]),
            finished=nan_column([x.finished for x in t]),
            delivered=nan_column([x.delivered for x in t]),
            worker=np.array([order.get(x.worker or "", -1) for x in t], dtype=int),
        )


def worker_palette(style: Style, n: int) -> np.ndarray:
    """RGBA per worker index, plus a last entry (black) for an unknown worker."""
    return to_rgba_array([style.worker_color(i) for i in range(n)] + [style.foreground])


def lighter(colors: np.ndarray, background: str, share: float = 0.35) -> np.ndarray:
    return colors * (1 - share) + np.array(to_rgba(background)) * share


def text_inches(text: str, fontsize: float) -> float:
    """A generous width estimate (DejaVu Sans averages ~0.55 em) for layout before drawing."""
    return len(text) * fontsize * 0.56 / 72


def measured_inches(text: str, fontsize: float) -> float:
    """The text's real width in the current font (widest line), without drawing anything."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import text_to_path

    font = FontProperties(size=fontsize)
    widths = [
        text_to_path.get_text_width_height_descent(t, font, False)[0] for t in text.split("\n")
    ]
    return max(widths) / 72


def axes_inches(ax: Axes) -> float:
    """The axes' width once tick labels took their share (layout has not run yet)."""
    return float(root_figure(ax).get_size_inches()[0] * ax.get_position().width) * 0.85


def root_figure(ax: Axes) -> Figure:
    """The figure the axes are drawn on, also when a user's axes sit in a subfigure."""
    fig = ax.get_figure()
    assert fig is not None  # axes are always made on a figure
    return fig.figure


# ---------------------------------------------------------------- the two views


def fates(ax: Axes, run: Run, c: Columns, rows: np.ndarray, st: Style, ms: float) -> None:
    """Markers for what went wrong: X where a task raised, O where one was cancelled.

    ``rows`` is each task's row (NaN: none, e.g. a task that never ran has no worker lane).
    """
    size = ms * FATE_MARKER
    # A cancelled task never ran: its O sits just right of its submit, clear of the y axis.
    shifted = offset_copy(ax.transData, fig=root_figure(ax), x=size / 2, units="points")
    for gid, outcome, xs, marker, transform in (
        ("error", ERROR, np.where(np.isfinite(c.finished), c.finished, c.delivered), "X", None),
        ("cancelled", CANCELLED, c.submitted, "o", shifted),
    ):
        pick = np.array([t.outcome == outcome for t in run.tasks], dtype=bool)
        pick &= np.isfinite(xs) & np.isfinite(rows)
        if pick.any():
            placed: dict[str, Any] = {"transform": transform} if transform else {}
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
                **placed,
            )


def held_submitting(c: Columns, spans: Sequence[tuple[float, float]]) -> tuple[np.ndarray, ...]:
    """(row, from, to) of each piece of held time that overlaps the caller's submitting.

    Spans are disjoint and in time order: each held interval overlaps spans
    ``lo..hi-1``, found by two binary searches, so map's one long span costs one piece per task.
    """
    if not spans:
        return np.empty(0), np.empty(0), np.empty(0)
    starts, ends = np.array(sorted(spans), dtype=float).T
    held = np.isfinite(c.finished) & np.isfinite(c.delivered) & (c.delivered > c.finished)
    row, lo_t, hi_t = c.row[held], c.finished[held], c.delivered[held]
    lo = np.searchsorted(ends, lo_t, side="right")
    hi = np.searchsorted(starts, hi_t, side="left")
    count = np.maximum(hi - lo, 0)
    task = np.repeat(np.arange(len(row)), count)
    span = np.repeat(lo, count) + (
        np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    )
    return row[task], np.maximum(lo_t[task], starts[span]), np.minimum(hi_t[task], ends[span])


# Hatching costs Agg time per polygon: past this many bars they are plain (and too thin to
# show dots anyway). A bounded loop of 100,000 tasks has as many submitting spans.
HATCHED_BARS = 2000


def submitting_style(st: Style, dotted: bool = True) -> dict[str, Any]:
    """The caller submitting, on its lane and on the results held meanwhile: one look
    (``dotted`` but where hatching would cost too much, see HATCHED_BARS)."""
    dots = {"hatch": ".."} if dotted else {}
    return {"facecolor": st.submitting, "edgecolor": st.queued, "linewidth": 0, **dots}


def _spans_on_lane(
    ax: Axes, spans: Sequence[tuple[float, float]], row: float, gid: str, **style: Any
) -> None:
    """``[(from, to), ...]`` as bars on one lane."""
    edges = np.array(spans, dtype=float)
    add_bars(ax, np.full(len(edges), row), edges[:, 0], edges[:, 1], gid, **style)


def caller_lane(
    ax: Axes, run: Run, row: float, st: Style, height: float, grid: Grid | None = None
) -> None:
    """Each wait of the caller as a bar; shades alternate so back-to-back waits stay distinct.

    Under them, dotted, the spans when the caller was submitting tasks.

    Over them, cross-hatched, the spans when an event loop itself was blocked (nobody could
    run, not even the caller): a blocking call inside a coroutine.

    With a ``grid`` (tasks narrower than a pixel) waits and submits are per-column shares
    instead (:func:`_caller_columns`).
    """
    if run.loop_blocked:
        _spans_on_lane(
            ax,
            run.loop_blocked,
            row,
            "loop-blocked",
            height=height * 1.2,
            facecolor=to_rgba(st.stall, 0.25),
            edgecolor=st.stall,
            hatch="xx",
            linewidth=0.8 * st.scale,
            zorder=3,
        )
    if grid is not None:
        _caller_columns(ax, run, row, st, height, grid)
        return
    if run.caller_submitting:
        style = submitting_style(st, len(run.caller_submitting) <= HATCHED_BARS)
        _spans_on_lane(ax, run.caller_submitting, row, "caller-submitting", height=height, **style)
    waits = [b for b in run.caller_blocked if b.got > b.ask]
    if not waits:
        return
    shades = to_rgba_array(list(st.caller))[np.arange(len(waits)) % 2]
    add_bars(
        ax,
        np.full(len(waits), row),
        np.array([b.ask for b in waits]),
        np.array([b.got for b in waits]),
        "caller",
        height=height,
        colors=shades,
        edgecolor="none",
    )


def _caller_columns(ax: Axes, run: Run, row: float, st: Style, height: float, grid: Grid) -> None:
    """Per pixel column, the share of its time the caller was blocked (from the bottom) and,
    on top of that, submitting: a bounded loop of a million tasks has a million of each,
    and a polygon per span cost more memory than the whole recording."""
    waits = np.array([(b.ask, b.got) for b in run.caller_blocked], dtype=float).reshape(-1, 2)
    blocked = coverage(waits[:, 0], waits[:, 1], grid)[0]
    draw_columns(ax, blocked, grid, row, height, "caller", color=st.caller[0])
    if run.caller_submitting:
        spans = np.array(run.caller_submitting, dtype=float)
        submitting = coverage(spans[:, 0], spans[:, 1], grid)[0]
        style = submitting_style(st)  # one patch, however many spans: dots cost nothing
        draw_columns(ax, submitting, grid, row, height, "caller-submitting", blocked, **style)


def count_curve(
    ax: Axes,
    starts: np.ndarray,
    stops: np.ndarray,
    row: float,
    height: float,
    gid: str,
    *,
    peak: int | None = None,
    grid: Grid | None = None,
    **kw: Any,
) -> int:
    """How many spans are open over time, as a filled step inside one row; returns the peak.

    ``peak`` fixes the scale, so a subset (stalls) reads as a share of a whole (held);
    with a ``grid`` (spans narrower than a pixel) each column shows its mean count.
    """
    ok = np.isfinite(starts) & np.isfinite(stops) & (stops - starts > STALL_EPSILON)
    if not ok.any():
        return 0
    times = np.concatenate([starts[ok], stops[ok]])
    order = np.argsort(times, kind="stable")
    count = np.cumsum(np.repeat([1.0, -1.0], ok.sum())[order])
    times = times[order]
    top = int(count.max())
    scale = max(peak or top, 1)
    if grid is not None:
        mean = coverage(starts[ok], stops[ok], grid)[0]
        draw_columns(ax, mean / scale, grid, row, height, gid, **kw)
        return top
    base = row + height / 2
    fill = ax.fill_between(
        np.r_[times[0], times],
        base,
        base - np.r_[0.0, count] / scale * height,
        step="post",
        **{"linewidth": 0, **kw},
    )
    fill.set_gid(gid)
    return top


def rank_within(groups: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Each item's position among its group when sorted by key (0, 1, 2, ...)."""
    order = np.lexsort((keys, groups))
    g = groups[order]
    starts = np.r_[0, np.flatnonzero(np.diff(g)) + 1]
    rank = np.empty(len(g), dtype=int)
    rank[order] = np.arange(len(g)) - np.repeat(starts, np.diff(np.r_[starts, len(g)]))
    return rank
