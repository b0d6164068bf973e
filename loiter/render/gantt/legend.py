"""The figure's legend: one entry per kind of mark drawn, and only those."""

from __future__ import annotations

from typing import Any

from matplotlib.colors import to_rgba
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ...model.trace import CANCELLED, ERROR
from ..styles import Style, get_style
from .geometry import LOST, submitting_style


def legend_handles(
    workers: dict[str, str],
    style: str | Style | None = None,
    *,
    ideal: bool = False,
    views: frozenset[str] = frozenset({"tasks"}),
    outcomes: frozenset[str] = frozenset(),
    loop_blocked: bool = False,
    submitting: bool = False,
    aggregated: bool = False,
) -> list[Any]:
    """One entry per mark on the chart, and only those there: ``views`` are the lane kinds
    drawn, ``outcomes`` the task outcomes present, ``aggregated`` whether worker lanes were
    drawn per pixel column. Over eight workers share one entry."""
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
    if aggregated:
        handles.append(
            Patch(
                facecolor=to_rgba(st.worker_color(0), 0.5),
                edgecolor=st.worker_color(0),
                label="columns aggregated: lane height = share of each pixel column busy",
            )
        )
    handles += [
        Patch(facecolor=st.stall, label="ordering stall: done, caller waits for an earlier task"),
        Patch(facecolor=st.backlog, label="held: done, caller busy with earlier results"),
    ]
    if submitting:
        handles.append(
            Patch(**submitting_style(st), label="caller submitting (and results held meanwhile)")
        )
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
    if loop_blocked:
        handles.append(Patch(facecolor=to_rgba(st.stall, 0.25), edgecolor=st.stall, hatch="xx",
                             label="event loop blocked (its measured lag)"))  # fmt: skip
    if ideal:
        handles.append(Patch(facecolor="none", edgecolor=st.ideal, linestyle=(0, (3, 2)),
                             label="ideal schedule (no overhead)"))  # fmt: skip
    return handles
