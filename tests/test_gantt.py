"""The Gantt chart, checked through its artists: segments, extents, colours, labels."""

from __future__ import annotations

import numpy as np
import pytest
from fixtures import failing_map, sample_trace, slow_first_as_completed, slow_first_map

from loiter.gantt import STALL, WORKER_COLORS, figure_for, plot_gantt, render


def collection(ax, gid):
    found = [c for c in ax.collections if c.get_gid() == gid]
    return found[0] if found else None


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


def test_running_bars_match_the_trace_and_are_coloured_by_worker() -> None:
    ax = plot_gantt(slow_first_map())
    running = collection(ax, "running")
    assert spans(running) == [(0, 0, 4), (1, 0, 3), (2, 0, 2), (3, 2, 3), (4, 3, 3)]
    colours = running.get_facecolors()
    # Tasks 2 and 3 ran on the same worker: same colour; 0, 1, 2 on different ones.
    assert np.allclose(colours[2], colours[3])
    assert not np.allclose(colours[0], colours[1]) and not np.allclose(colours[1], colours[2])


def test_stall_segments_cover_exactly_the_ordering_stall() -> None:
    ax = plot_gantt(slow_first_map())
    stall = collection(ax, "stall")
    assert spans(stall) == [(1, 3, 4), (2, 2, 4), (3, 3, 4), (4, 3, 4)]
    assert tuple(np.round(stall.get_facecolor()[0][:3], 3)) == tuple(
        np.round([int(STALL[i : i + 2], 16) / 255 for i in (1, 3, 5)], 3)
    )


def test_as_completed_draws_no_stall_and_a_marker_per_delivery() -> None:
    ax = plot_gantt(slow_first_as_completed())
    assert collection(ax, "stall") is None
    (markers,) = [line for line in ax.lines if line.get_gid() == "delivered"]
    assert sorted(markers.get_xdata()) == [2.0, 3.0, 3.0, 3.0, 4.0]


def test_caller_lane_shows_the_blocked_intervals_below_the_tasks() -> None:
    ax = plot_gantt(slow_first_as_completed())
    caller = collection(ax, "caller")
    assert spans(caller) == [(5, 0, 2), (5, 2, 3), (5, 3, 4)]
    assert ax.get_yticklabels()[-1].get_text() == "caller"


def test_failures_are_marked() -> None:
    ax = plot_gantt(failing_map())
    (errors,) = [line for line in ax.lines if line.get_gid() == "error"]
    assert list(errors.get_ydata()) == [1]
    assert spans(collection(ax, "undelivered")) == [(2, 4, 4)]
    texts = {t.get_text() for t in ax.texts}
    assert {"undelivered", "cancelled"} <= texts
    assert any("ValueError: bad" in t for t in texts)


def test_title_and_panel_subtitle_state_the_lesson() -> None:
    ax = plot_gantt(slow_first_map())
    assert ax.get_title(loc="left") == "map · slow-first"
    assert ax.get_title(loc="right") == "first result 4.00s · 4 held 5.00s by ordering"


def test_figure_has_one_panel_per_scenario_and_strategy_on_a_shared_axis() -> None:
    fig = figure_for(sample_trace())
    panels = [ax for ax in fig.axes if ax.get_visible() and ax.axison]
    assert len(panels) == 3  # slow-first x {map, as_completed} + custom x map
    limits = {ax.get_xlim() for ax in panels}
    assert len(limits) == 1
    legend = fig.legends[0]
    labels = [t.get_text() for t in legend.get_texts()]
    assert labels[:1] == ["queued"] and "running on w1" in labels
    assert any("ordering stall" in label for label in labels)
    assert "thread pool, 3 workers" in fig._suptitle.get_text()


def test_worker_colours_are_shared_across_panels() -> None:
    fig = figure_for(sample_trace())
    first, second = fig.axes[0], fig.axes[1]
    a = collection(first, "running").get_facecolors()
    b = collection(second, "running").get_facecolors()
    assert np.allclose(a, b)
    assert len(WORKER_COLORS) >= 8


@pytest.mark.parametrize("fmt", ["png", "svg", "pdf"])
def test_renders_each_format(fmt: str) -> None:
    data = render(figure_for(sample_trace()), fmt)
    magic = {"png": b"\x89PNG", "svg": b"<?xml", "pdf": b"%PDF"}[fmt]
    assert data.startswith(magic)


def test_png_shows_stall_colour_only_when_there_is_a_stall() -> None:
    """A pixel check: the stall colour is on the map chart and absent from as_completed."""
    import io

    from matplotlib.image import imread

    target = np.array([int(STALL[i : i + 2], 16) / 255 for i in (1, 3, 5)])

    def stall_pixels(run) -> int:
        image = imread(io.BytesIO(render(figure_for(run), "png")))[:, :, :3]
        return int((np.abs(image - target).max(axis=2) < 0.02).sum())

    assert stall_pixels(slow_first_map()) > 2000
    # The legend swatch carries the colour too; bars add thousands of pixels on top of it.
    assert stall_pixels(slow_first_as_completed()) < 400
