"""The per-task view: one row per task in input order, the caller's waits below, words beside."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.colors import to_rgba
from matplotlib.ticker import MaxNLocator

from ...model.trace import CANCELLED, ERROR, STALL_EPSILON, Stall
from ..styles import Style
from ..words import call_label, task_note
from .geometry import (
    DETAIL_ROWS,
    FATE_MARKER,
    HATCHED_BARS,
    HELD,
    LOST,
    Canvas,
    Columns,
    IdealLike,
    Panel,
    add_bars,
    axes_inches,
    caller_lane,
    fates,
    held_submitting,
    submitting_style,
    text_inches,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes


def draw_tasks(k: Canvas, ideal: Sequence[IdealLike] | None) -> Panel:
    ax, run, c, stalls, st, palette, end = k.ax, k.run, k.c, k.stalls, k.st, k.palette, k.end
    n = len(run.tasks)
    detail = n + 1 <= DETAIL_ROWS
    lw = 0.6 * st.scale if detail else 0.0
    # Dense rows are sub-pixel: bars fill their rows so neighbours merge into solid areas.
    bar, held_h = (st.bar, st.bar * HELD) if detail else (1.0, 1.0)
    if ideal:
        _ghosts(ax, ideal, st, detail)
    add_bars(
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
    add_bars(
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
    add_bars(
        ax,
        c.row[held],
        c.finished[held],
        c.delivered[held],
        "held",
        height=held_h,
        facecolor=st.backlog,
        edgecolor="none",
    )
    py, p0, p1 = held_submitting(c, run.caller_submitting)
    add_bars(
        ax,
        py,
        p0,
        p1,
        "held-submitting",
        height=held_h,
        **submitting_style(st, len(py) <= HATCHED_BARS),
    )
    pieces = [(row, lo, hi) for row, s in zip(c.row, stalls) for lo, hi in s.intervals]
    if pieces:
        sy, s0, s1 = (np.array(p, dtype=float) for p in zip(*pieces))
        add_bars(ax, sy, s0, s1, "stall", height=held_h, facecolor=st.stall, edgecolor="none")
    lost = np.array([t.outcome in LOST for t in run.tasks], dtype=bool) & np.isfinite(c.finished)
    add_bars(
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
    fates(ax, run, c, c.row, st, ms)

    # A little gap: the caller is not a task. With many rows, a lane still tall enough to see.
    caller_h = st.bar if detail else max(st.bar, 0.04 * n)
    caller_row = n + 0.25 if detail else n + 0.01 * n + caller_h / 2
    caller_lane(ax, run, caller_row, st, caller_h)
    panel = Panel(ax, run, 0.0, deliveries, caller_row, detail)
    if detail:
        ax.set_yticks(
            [*c.row.tolist(), caller_row],
            [f"#{t.index}  {call_label(t.arg)}" for t in run.tasks] + ["caller"],
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
    coll = add_bars(
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


def _annotate(
    ax: Axes, panel: Panel, c: Columns, stalls: list[Stall], st: Style, ms: float
) -> None:
    """One note per row right of its last mark, and a line from each culprit to whom it held."""
    fontsize = 8.5 * st.scale
    axes_in = axes_inches(ax)
    for i, (task, stall) in enumerate(zip(panel.run.tasks, stalls)):
        note = task_note(task, stall)
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
        share = (text_inches(note, fontsize) + gap_pt / 72) / axes_in
        panel.right = max(panel.right, x / max(1 - share, 0.3))
    _culprit_lines(ax, panel, c, stalls, st)


def _culprit_lines(ax: Axes, panel: Panel, c: Columns, stalls: list[Stall], st: Style) -> None:
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
