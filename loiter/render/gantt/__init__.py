"""The Gantt chart, as matplotlib figures: import only when drawing (matplotlib loads with it)."""

from __future__ import annotations

from .figure import build, draw_panel, figure_for, plot_gantt, render, resolve_lanes
from .geometry import IdealLike, Panel
from .legend import legend_handles

__all__ = [
    "IdealLike",
    "Panel",
    "build",
    "draw_panel",
    "figure_for",
    "legend_handles",
    "plot_gantt",
    "render",
    "resolve_lanes",
]
