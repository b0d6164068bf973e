"""Worker lanes: a big run in a few rows (queue, a lane per worker, results held, caller)."""

from __future__ import annotations

import numpy as np

from .density import Grid, coverage, draw_columns, narrower_than_a_column
from .geometry import (
    DETAIL_ROWS,
    Canvas,
    Panel,
    add_bars,
    caller_lane,
    count_curve,
    fates,
    held_submitting,
    lighter,
    rank_within,
    root_figure,
    submitting_style,
)


def draw_workers(k: Canvas) -> Panel:
    """Queue size, one lane per worker, results held, caller: a big run in a few rows."""
    ax, run, c, stalls, st, palette, end = k.ax, k.run, k.c, k.stalls, k.st, k.palette, k.end
    used = sorted(set(c.worker[c.worker >= 0].tolist()))
    lane_of = np.full(len(palette), -1.0)
    lane_of[used] = np.arange(len(used)) + 1.0
    lanes = len(used)
    detail = lanes + 3 <= DETAIL_ROWS
    h = st.bar
    right = end * 1.03
    columns = Grid.of(ax, root_figure(ax), right, end)
    # Bars a pixel wide or more: each task drawn as itself, else each pixel column's share.
    grid = columns if narrower_than_a_column(c.finished - c.started, columns) else None

    queued_peak = count_curve(
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
        grid=grid,
    )
    ran = c.worker >= 0
    row = np.where(ran, lane_of[c.worker], np.nan)
    if grid is None:
        _bars(k, row, ran)
    else:
        busy = coverage(
            c.started[ran], c.finished[ran], grid, lane_of[c.worker[ran]].astype(int) - 1, lanes
        )
        for lane, worker in enumerate(used):
            draw_columns(ax, busy[lane], grid, lane + 1.0, h, "busy", color=palette[worker])
    held_row = lanes + 1.0
    held_peak = count_curve(
        ax, c.finished, c.delivered, held_row, h, "held", facecolor=st.backlog, grid=grid
    )
    _, p0, p1 = held_submitting(c, run.caller_submitting)
    if len(p0):
        style = submitting_style(st)
        count_curve(ax, p0, p1, held_row, h, "held-submitting", peak=held_peak, grid=grid, **style)
    pieces = [(lo, hi) for s in stalls for lo, hi in s.intervals]
    if pieces:
        s0, s1 = (np.array(p, dtype=float) for p in zip(*pieces))
        count_curve(ax, s0, s1, held_row, h, "stall", peak=held_peak, facecolor=st.stall, grid=grid)
    fates(ax, run, c, row, st, 4.0 * st.scale)
    caller_row = lanes + 2.0
    caller_lane(ax, run, caller_row, st, h, grid)
    # Deliveries: short ticks on the caller lane's top edge, where results reach the caller.
    got = np.isfinite(c.delivered)
    tick_row = caller_row - h / 2 - 0.12
    deliveries = np.column_stack([c.delivered[got], np.full(int(got.sum()), tick_row)])
    marks = deliveries[:, 0]
    if grid is not None:  # one tick per pixel column that had a delivery looks the same
        marks = marks[np.unique(np.floor(marks / grid.width), return_index=True)[1]]
    ax.plot(
        marks,
        np.full(len(marks), tick_row),
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
    return Panel(ax, run, right, deliveries, caller_row, False, aggregated=grid is not None)


def _bars(k: Canvas, row: np.ndarray, ran: np.ndarray) -> None:
    """Each task as its own bar; consecutive tasks on a lane alternate shade so each one
    stays visible."""
    c = k.c
    colors = k.palette[c.worker].copy()
    odd = rank_within(c.worker, np.nan_to_num(c.started, nan=np.inf)) % 2 == 1
    colors[odd] = lighter(colors[odd], k.st.background)
    add_bars(
        k.ax,
        row[ran],
        c.started[ran],
        c.finished[ran],
        "running",
        height=k.st.bar,
        colors=colors[ran],
        edgecolor="none",
    )
