"""Tasks narrower than a pixel: each pixel column drawn as what it holds, not bar by bar.

At 100,000 no-op tasks a pixel column spans hundreds of bars a thousandth of a
pixel wide each; antialiasing fades them to nothing, so a worker busy all the
time looks idle. Here a lane shows, per column, the share of the time its worker
was busy (a full lane: busy throughout), and a count row (queued, held) its mean
count over the column. Coverage per column is summed from the spans' end points
with two bincounts and a cumulative sum: O(spans + columns), no loop over spans.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.patches import StepPatch

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


@dataclass(frozen=True)
class Grid:
    """Pixel columns from x = 0: ``count`` of them, each ``width`` seconds wide."""

    width: float
    count: int

    @classmethod
    def of(cls, ax: Axes, fig: Figure, right: float, end: float) -> Grid:
        """At least one column per pixel of the panel's plotting width (``fig.dpi``), to ``end``.

        ``right`` is where the panel's x axis ends as far as it knows; a shared axis only
        ends further right, making columns narrower than pixels, never wider.
        """
        spec = ax.get_subplotspec()
        # Before layout the axes' own width is a guess; its grid cell is an upper bound.
        share = ax.get_position().width
        if spec is not None:
            cols = spec.get_gridspec().ncols
            share = max(share, (spec.colspan.stop - spec.colspan.start) / cols)
        pixels = max(1.0, float(fig.get_size_inches()[0]) * share * fig.dpi)
        width = max(right, 1e-9) / pixels
        return cls(width, max(1, math.ceil(max(end, 0.0) / width)))

    @property
    def edges(self) -> np.ndarray:
        return np.arange(self.count + 1) * self.width


def narrower_than_a_column(ran: np.ndarray, grid: Grid) -> bool:
    """Density mode: the median task ran shorter than one pixel column."""
    known = ran[np.isfinite(ran)]
    return bool(known.size) and float(np.median(known)) < grid.width


def coverage(
    starts: np.ndarray,
    stops: np.ndarray,
    grid: Grid,
    groups: np.ndarray | None = None,
    n_groups: int = 1,
) -> np.ndarray:
    """(n_groups, columns): how many spans cover each column, on average over the column.

    One worker's tasks never overlap, so per worker this is its busy share (0..1). A span
    from column ``a`` at fraction ``fa`` to column ``b`` at ``fb`` covers ``1 - fa`` of ``a``,
    all of ``a+1 .. b-1`` and ``fb`` of ``b``: +1 at ``a`` and -1 at ``b`` (cumulated: the
    whole columns), minus ``fa`` at ``a``, plus ``fb`` at ``b`` (the partial ends).
    """
    keep = np.isfinite(starts) & np.isfinite(stops) & (stops > starts)
    group = np.zeros(int(keep.sum()), dtype=np.intp) if groups is None else groups[keep]
    size = grid.count + 1  # one spare column catches spans that end at the last edge
    lo = np.clip(starts[keep] / grid.width, 0, grid.count)
    hi = np.clip(stops[keep] / grid.width, 0, grid.count)
    a, b = np.floor(lo).astype(np.intp), np.floor(hi).astype(np.intp)
    at_a, at_b = group * size + a, group * size + b
    total = n_groups * size
    whole = np.bincount(at_a, minlength=total) - np.bincount(at_b, minlength=total)
    part = np.bincount(at_b, hi - b, minlength=total) - np.bincount(at_a, lo - a, minlength=total)
    out = np.cumsum(whole.reshape(n_groups, size), axis=1) + part.reshape(n_groups, size)
    return np.asarray(out[:, : grid.count])


def draw_columns(
    ax: Axes,
    values: np.ndarray,
    grid: Grid,
    row: float,
    height: float,
    gid: str,
    under: np.ndarray | None = None,
    **kw: Any,
) -> StepPatch | None:
    """``values`` (0..1 per column) as an area rising from the bottom of the row (rows count
    from the top, so y grows downwards), up to the last column with anything in it.

    ``under`` (0..1 per column) stacks the area on top of one drawn before it.
    """
    used = np.flatnonzero(values > 0)
    if not used.size:
        return None
    last = int(used[-1]) + 1
    floor = row + height / 2 - (0.0 if under is None else np.clip(under[:last], 0.0, 1.0) * height)
    patch = StepPatch(
        floor - np.clip(values[:last], 0.0, 1.0) * height,
        grid.edges[: last + 1],
        baseline=floor,
        fill=True,
        **{"linewidth": 0, **kw},
    )
    patch.set_gid(gid)
    # add_artist, not add_patch: limits are set once from the trace, and add_patch would
    # walk every step's Bezier segments to update them.
    ax.add_artist(patch)
    return patch
