"""Find what a chart drew: artists by gid, bars as (row, x0, x1) spans (tests inspect artists,
not pixels)."""

from __future__ import annotations


def collection(ax, gid):
    found = [c for c in ax.collections if c.get_gid() == gid]
    return found[0] if found else None


def patches(ax, gid):
    """Patches by gid, in drawing order (density lanes are StepPatches: ``get_data()``)."""
    return [p for p in ax.patches if p.get_gid() == gid]


def lines(ax, gid):
    return [line for line in ax.lines if line.get_gid() == gid]


def texts(ax, gid) -> list[str]:
    return [t.get_text() for t in ax.texts if t.get_gid() == gid]


def spans(coll) -> list[tuple[float, float, float]]:
    """(row, x0, x1) of every rectangle, sorted."""
    out = []
    for path in coll.get_paths():
        v = path.vertices
        out.append(
            (
                round(float(v[:, 1].min() + v[:, 1].max()) / 2, 6),
                float(v[:, 0].min()),
                float(v[:, 0].max()),
            )
        )
    return sorted(out)
