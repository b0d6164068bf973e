"""The Gantt chart, checked through its artists: segments, extents, colours, words."""

from __future__ import annotations

import io
import itertools

import numpy as np
import pytest
from helpers.artists import collection, lines, spans, texts
from helpers.fixtures import (
    failing_map,
    many_tasks,
    sample_trace,
    slow_first_as_completed,
    slow_first_map,
)
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgba

from loiter.analyze.schedule import ideal_schedule
from loiter.model.trace import Blocked, Run, Task, Trace
from loiter.render.gantt import figure_for, plot_gantt, render
from loiter.render.styles import DARK, LIGHT, PROJECTOR, STYLES


def slow_consumer() -> Run:
    """as_completed with a caller busy 1 s per result: #1 is held, but as backlog, not stall."""
    tasks = [
        Task(0, 1, 0.0, 0.0, 1.0, 1.0, "T_0", "ok", 10),
        Task(1, 1, 0.0, 0.0, 1.0, 2.0, "T_1", "ok", 10),
    ]
    blocked = [Blocked(0.0, 1.0, 0), Blocked(2.0, 2.0, 1)]
    return Run("custom", "as_completed", "thread", 2, 1.0, tasks, blocked)


def test_running_bars_match_the_trace_and_are_coloured_by_worker() -> None:
    ax = plot_gantt(slow_first_map())
    running = collection(ax, "running")
    assert spans(running) == [(0, 0, 4), (1, 0, 3), (2, 0, 2), (3, 2, 3), (4, 3, 3)]
    colours = running.get_facecolors()
    # Tasks 2 and 3 ran on the same worker: same colour; 0, 1, 2 on different ones.
    assert np.allclose(colours[2], colours[3])
    assert not np.allclose(colours[0], colours[1]) and not np.allclose(colours[1], colours[2])
    assert np.allclose(colours[0], to_rgba(LIGHT.workers[0]))


def test_queued_bars_run_from_submit_to_start() -> None:
    ax = plot_gantt(slow_first_map())
    assert spans(collection(ax, "queued")) == [(i, 0, s) for i, s in enumerate([0, 0, 0, 2, 3])]


def test_stall_segments_cover_exactly_the_ordering_stall() -> None:
    ax = plot_gantt(slow_first_map())
    stall = collection(ax, "stall")
    assert spans(stall) == [(1, 3, 4), (2, 2, 4), (3, 3, 4), (4, 3, 4)]
    assert np.allclose(stall.get_facecolor()[0], to_rgba(LIGHT.stall))
    # Every held span is drawn (under the stall); #0 was delivered as it finished.
    assert spans(collection(ax, "held")) == [(1, 3, 4), (2, 2, 4), (3, 3, 4), (4, 3, 4)]


def test_backlog_is_held_without_stall() -> None:
    ax = plot_gantt(slow_consumer())
    assert spans(collection(ax, "held")) == [(1, 1, 2)]
    assert np.allclose(collection(ax, "held").get_facecolor()[0], to_rgba(LIGHT.backlog))
    assert collection(ax, "stall") is None
    assert texts(ax, "verdict") == ["as_completed: held 1.0s while the caller was busy"]


def test_as_completed_draws_no_stall_and_a_marker_per_delivery() -> None:
    ax = plot_gantt(slow_first_as_completed())
    assert collection(ax, "stall") is None
    (markers,) = lines(ax, "delivered")
    assert sorted(markers.get_xdata()) == [2.0, 3.0, 3.0, 3.0, 4.0]
    assert texts(ax, "note") == []


def test_caller_lane_shows_each_wait_in_alternating_shades_and_names_the_task() -> None:
    ax = plot_gantt(slow_first_as_completed())
    caller = collection(ax, "caller")
    assert spans(caller) == [(5.25, 0, 2), (5.25, 2, 3), (5.25, 3, 4)]
    shades = caller.get_facecolors()
    assert not np.allclose(shades[0], shades[1]) and np.allclose(shades[0], shades[2])
    labels = sorted(
        (t.get_position(), t.get_text()) for t in ax.texts if t.get_gid() == "caller-label"
    )
    assert [xy for xy, _ in labels] == [(1.0, 5.25), (2.5, 5.25), (3.5, 5.25)]
    assert [text.split()[-1] for _, text in labels] == ["#2", "#1", "#0"]
    assert labels[0][1] == "waiting for #2"  # the long form where the wait is wide
    assert ax.get_yticklabels()[-1].get_text() == "caller"


def test_stalled_tasks_say_how_long_and_for_whom_and_a_line_marks_the_culprit() -> None:
    ax = plot_gantt(slow_first_map())
    assert texts(ax, "note") == [
        "waited 1.0s for #0",
        "waited 2.0s for #0",
        "waited 1.0s for #0",
        "waited 1.0s for #0",
    ]
    (culprit,) = lines(ax, "culprit")
    assert list(culprit.get_xdata()) == [4.0, 4.0]
    assert list(culprit.get_ydata()) == [0, 4]


def test_the_culprit_line_stands_where_the_culprit_arrived_despite_later_short_waits() -> None:
    """With a consumer delay the caller also waits briefly for later tasks; the line must
    still mark the moment the slow task released everyone (its delivery), not those blips."""
    from loiter.model.trace import Blocked, Run, Task

    tasks = [
        Task(0, 4, 0.0, 0.0, 2.0, 2.0, "w1", "ok"),
        Task(1, 3, 0.0, 0.0, 1.5, 2.5, "w2", "ok"),
        Task(2, 2, 0.0, 0.0, 1.0, 3.001, "w3", "ok"),
    ]
    waits = [Blocked(0.0, 2.0, 0), Blocked(2.5, 2.501, 1), Blocked(3.0, 3.001, 2)]
    run = Run("slow-first", "map", "thread", 3, 0.5, tasks, waits)
    assert [s.blocked_on for s in run.stalls()] == [None, 0, 0]
    (culprit,) = lines(plot_gantt(run), "culprit")
    assert list(culprit.get_xdata()) == [2.0, 2.0]


def test_failures_are_marked() -> None:
    ax = plot_gantt(failing_map())
    (errors,) = lines(ax, "error")
    assert list(errors.get_ydata()) == [1]
    assert list(errors.get_xdata()) == [2.0]
    (cancelled,) = lines(ax, "cancelled")
    assert list(cancelled.get_ydata()) == [3]
    assert spans(collection(ax, "undelivered")) == [(2, 4, 4)]
    assert texts(ax, "note") == ["raised ValueError", "never delivered", "cancelled, never ran"]
    assert texts(ax, "verdict") == [
        "map: raised ValueError to the caller; 1 error, 1 cancelled, 1 undelivered"
    ]


def test_panel_header_states_the_lesson_and_the_timings() -> None:
    ax = plot_gantt(slow_first_map())
    assert ax.get_title(loc="left") == "map · slow-first"
    assert texts(ax, "verdict") == ["map: held 5.0s in ordering stalls (4 results)"]
    assert texts(ax, "timings") == ["first result 4.0s · makespan 4.0s"]
    ax = plot_gantt(slow_first_as_completed())
    assert texts(ax, "verdict") == ["as_completed: none held: each result delivered as it finished"]
    assert texts(ax, "timings") == ["first result 2.0s · makespan 4.0s"]


def test_x_extents_are_the_trace_times() -> None:
    run = many_tasks(25, workers=3)
    ax = plot_gantt(run, lanes="tasks")
    rows = spans(collection(ax, "running"))
    assert [(r, a, b) for r, a, b in rows] == sorted(
        (t.index, t.started, t.finished) for t in run.tasks
    )
    (markers,) = lines(ax, "delivered")
    assert sorted(markers.get_xdata()) == sorted(t.delivered for t in run.tasks)
    assert ax.get_xlim()[0] == 0 and ax.get_xlim()[1] >= max(t.delivered for t in run.tasks)


def test_figure_has_one_panel_per_scenario_and_strategy_on_a_shared_axis() -> None:
    fig = figure_for(sample_trace())
    panels = [ax for ax in fig.axes if ax.get_visible() and ax.axison]
    assert len(panels) == 3  # slow-first x {map, as_completed} + custom x map
    assert len({ax.get_xlim() for ax in panels}) == 1
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels[0].startswith("queued") and "running on w1" in labels
    assert any("ordering stall" in label for label in labels)
    assert any(label.startswith("held") for label in labels)
    assert "thread pool, 3 workers" in fig._suptitle.get_text()


def test_worker_colours_are_shared_across_panels() -> None:
    fig = figure_for(sample_trace())
    a = collection(fig.axes[0], "running").get_facecolors()
    b = collection(fig.axes[1], "running").get_facecolors()
    assert np.allclose(a, b)


def _boxes(fig, gids: set[str]):
    FigureCanvasAgg(fig).draw()
    renderer = fig.canvas.get_renderer()
    out = []
    for ax in fig.axes:
        words = [t for t in ax.texts if t.get_gid() in gids] + list(ax.get_yticklabels())
        out.append((ax, [t.get_window_extent(renderer) for t in words if t.get_text()]))
    return out


@pytest.mark.parametrize("n", [3, 10, 30])
@pytest.mark.parametrize("style", ["light", "projector"])
def test_words_never_overlap_and_stay_inside_the_panel(n: int, style: str) -> None:
    # Seed 0 gives every size at least one stalled task under map.
    trace = Trace([many_tasks(n, workers=2), many_tasks(n, 2, "as_completed")])
    fig = figure_for(trace, style=style)
    checked = 0
    for ax, boxes in _boxes(fig, {"note", "caller-label", "verdict", "timings"}):
        for a, b in itertools.combinations(boxes, 2):
            assert not a.overlaps(b), (a, b)
        notes = [t for t in ax.texts if t.get_gid() == "note"]
        for text in notes:
            box = text.get_window_extent()
            assert box.x1 <= ax.bbox.x1 + 1, f"{text.get_text()!r} runs off the panel"
        checked += len(notes)
    assert checked >= 1  # map on random durations stalls somewhere


def test_worker_lanes_pack_tasks_into_one_row_per_worker() -> None:
    run = many_tasks(200, workers=4)
    ax = plot_gantt(run)  # auto: 200 tasks > 40
    running = spans(collection(ax, "running"))
    assert len(running) == 200
    assert {row for row, _, _ in running} == {1, 2, 3, 4}
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0].startswith("queued (peak ") and labels[1:5] == ["w1", "w2", "w3", "w4"]
    assert labels[-2].startswith("results held") and labels[-1] == "caller"
    # Lanes alternate two shades of the worker's colour, so neighbours stay distinct.
    colours = collection(ax, "running").get_facecolors()
    assert len({tuple(np.round(c, 3)) for c in colours}) == 8
    (ticks,) = lines(ax, "delivered")
    assert len(ticks.get_xdata()) == 200
    assert texts(ax, "note") == []


def test_worker_lanes_mark_errors_on_the_lane_that_ran_them() -> None:
    ax = plot_gantt(failing_map(), lanes="workers")
    (errors,) = lines(ax, "error")
    assert list(errors.get_xdata()) == [2.0] and list(errors.get_ydata()) == [2.0]  # w2
    assert lines(ax, "cancelled") == []  # it never ran, so it has no lane
    assert [t.get_text() for t in ax.get_yticklabels()][1:3] == ["w1", "w2"]


def test_auto_lanes_switch_above_forty_tasks() -> None:
    rows = plot_gantt(many_tasks(40)).get_yticklabels()
    assert len(rows) == 41 and rows[0].get_text().startswith("#0")
    assert plot_gantt(many_tasks(41)).get_yticklabels()[1].get_text() == "w1"


def test_many_task_rows_drop_per_task_words() -> None:
    ax = plot_gantt(many_tasks(500), lanes="tasks")
    assert len(spans(collection(ax, "running"))) == 500
    assert texts(ax, "note") == [] and lines(ax, "culprit") == []
    assert len(ax.get_yticks()) <= 12


def test_ideal_schedule_is_drawn_as_ghosts_behind_the_bars() -> None:
    run = slow_first_map()
    ideal = ideal_schedule([4, 3, 2, 1, 0], 3, "map")
    ax = plot_gantt(run, ideal=ideal)
    ghosts = collection(ax, "ideal")
    assert spans(ghosts) == sorted((t.index, t.started, t.finished) for t in ideal)
    assert ghosts.get_zorder() < collection(ax, "running").get_zorder()
    assert np.allclose(ghosts.get_facecolors(), 0)  # outlines only
    fig = figure_for(Trace([run]), ideal=lambda r: ideal)
    assert any("ideal" in t.get_text() for t in fig.legends[0].get_texts())


@pytest.mark.parametrize("name", list(STYLES))
def test_each_style_sets_its_colours_and_sizes(name: str) -> None:
    st = STYLES[name]
    fig = figure_for(slow_first_map(), style=name)
    ax = fig.axes[0]
    assert np.allclose(to_rgba(fig.get_facecolor()), to_rgba(st.background))
    assert np.allclose(collection(ax, "stall").get_facecolor()[0], to_rgba(st.stall))
    size = ax.get_yticklabels()[0].get_fontsize()
    assert size == pytest.approx(9 * st.scale)


def test_projector_is_bigger_and_dark_is_dark() -> None:
    assert PROJECTOR.scale > 1.4 and PROJECTOR.bar > LIGHT.bar
    assert sum(to_rgba(DARK.background)[:3]) < 0.5
    # The stall colour must differ from every worker colour in every style.
    for st in STYLES.values():
        assert st.stall not in st.workers and st.backlog not in st.workers


def test_plot_gantt_accepts_a_one_run_trace_and_rejects_several() -> None:
    assert plot_gantt(Trace([slow_first_map()])).get_title(loc="left") == "map · slow-first"
    with pytest.raises(ValueError, match="figure_for"):
        plot_gantt(sample_trace())
    with pytest.raises(ValueError, match="lanes"):
        plot_gantt(slow_first_map(), lanes="rows")
    with pytest.raises(ValueError, match="style"):
        plot_gantt(slow_first_map(), style="neon")


def test_draws_into_the_users_axes() -> None:
    from matplotlib.figure import Figure

    fig = Figure()
    left, right = fig.subplots(1, 2)
    assert plot_gantt(slow_first_map(), ax=right) is right
    assert collection(right, "stall") is not None and not left.collections


@pytest.mark.parametrize("fmt", ["png", "svg", "pdf"])
def test_renders_each_format(fmt: str) -> None:
    data = render(figure_for(sample_trace()), fmt)
    magic = {"png": b"\x89PNG", "svg": b"<?xml", "pdf": b"%PDF"}[fmt]
    assert data.startswith(magic)


def test_png_shows_stall_colour_only_when_there_is_a_stall() -> None:
    """A pixel check: the stall colour is on the map chart and absent from as_completed."""
    from matplotlib.image import imread

    target = np.array(to_rgba(LIGHT.stall)[:3])

    def stall_pixels(run) -> int:
        image = imread(io.BytesIO(render(figure_for(run), "png")))[:, :, :3]
        return int((np.abs(image - target).max(axis=2) < 0.02).sum())

    assert stall_pixels(slow_first_map()) > 2000
    # Two legend entries carry the colour too (stall swatch, error marker): a few hundred pixels;
    # stall bars add thousands on top of them.
    assert stall_pixels(slow_first_as_completed()) < 600


def test_dpi_scales_the_png() -> None:
    from PIL import Image

    small = Image.open(io.BytesIO(render(figure_for(slow_first_map()), "png", dpi=50)))
    big = Image.open(io.BytesIO(render(figure_for(slow_first_map()), "png", dpi=100)))
    assert big.size[0] == pytest.approx(2 * small.size[0], abs=2)


def test_fast_stalls_match_a_brute_force_scan_even_with_overlapping_waits() -> None:
    """The chart relies on run.stalls() scaling to 100k tasks; it must equal the plain scan,
    also for a caller whose waits overlap (several threads consuming)."""
    import random

    rng = random.Random(7)
    for _ in range(50):
        n = rng.randint(1, 12)
        tasks = []
        for i in range(n):
            finished = rng.uniform(0, 5)
            tasks.append(Task(i, i, 0.0, 0.0, finished, finished + rng.uniform(0, 2), "w", "ok"))
        blocked = []
        for _ in range(rng.randint(0, 15)):
            ask = rng.uniform(0, 6)
            blocked.append(Blocked(ask, ask + rng.uniform(0, 2), rng.randrange(n)))
        run = Run("r", "map", "thread", 2, 1.0, tasks, blocked)
        for task, stall in zip(tasks, run.stalls()):
            overlap = sum(
                max(0.0, min(b.got, task.delivered) - max(b.ask, task.finished))
                for b in blocked
                if b.index != task.index
            )
            assert stall.seconds == pytest.approx(overlap)
