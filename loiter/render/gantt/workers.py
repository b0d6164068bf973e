"""Worker lanes: a big run in a few rows (queue, a lane per worker, results held, caller)."""

from __future__ import annotations

import numpy as np

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
    )
    # Running: consecutive tasks on a lane alternate shade so each one stays visible.
    ran = c.worker >= 0
    row = np.where(ran, lane_of[c.worker], np.nan)
    colors = palette[c.worker].copy()
    odd = rank_within(c.worker, np.nan_to_num(c.started, nan=np.inf)) % 2 == 1
    colors[odd] = lighter(colors[odd], st.background)
    add_bars(
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
    held_peak = count_curve(ax, c.finished, c.delivered, held_row, h, "held", facecolor=st.backlog)
    _, p0, p1 = held_submitting(c, run.caller_submitting)
    if len(p0):
        style = submitting_style(st)
        count_curve(ax, p0, p1, held_row, h, "held-submitting", peak=held_peak, **style)
    pieces = [(lo, hi) for s in stalls for lo, hi in s.intervals]
    if pieces:
        s0, s1 = (np.array(p, dtype=float) for p in zip(*pieces))
        count_curve(ax, s0, s1, held_row, h, "stall", peak=held_peak, facecolor=st.stall)
    fates(ax, run, c, row, st, 4.0 * st.scale)
    caller_row = lanes + 2.0
    caller_lane(ax, run, caller_row, st, h)
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
