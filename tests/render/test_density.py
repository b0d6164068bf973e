"""Density lanes and the verdict's layout, checked through the drawn artists.

Tasks narrower than a pixel are drawn per pixel column (each worker's busy share, mean
queued/held counts); a verdict longer than its panel wraps inside it.
"""

from __future__ import annotations

import random
import re
from dataclasses import replace

import numpy as np
import pytest
from helpers.artists import collection, lines, patches, texts
from helpers.fixtures import many_tasks
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from loiter.model.trace import Blocked, Run, Task, Trace
from loiter.render.gantt import figure_for, plot_gantt
from loiter.render.gantt.density import Grid, coverage
from loiter.render.styles import LIGHT
from loiter.render.words import held_phrases

BIG = 100_000
IDLE_TASKS = 10  # the idle worker's only tasks, right at the start


def busy_and_idle(n: int = BIG) -> Run:
    """w1 runs task after task for 10 s, back to back; w2 runs ten of them, then idles.

    Each task is delivered as it finishes (as_completed), so nothing is held.
    """
    span = 10.0
    tick = span / (n - IDLE_TASKS)
    tasks = [task(i, i * tick, tick, "busy") for i in range(n - IDLE_TASKS)]
    tasks += [task(n - IDLE_TASKS + i, i * tick, tick, "idle") for i in range(IDLE_TASKS)]
    return Run("busy-idle", "as_completed", "thread", 2, 0.001, tasks)


def task(index: int, start: float, ran: float, worker: str) -> Task:
    return Task(index, 0, 0.0, start, start + ran, start + ran, worker, "ok")


def share(patch, row: float) -> tuple[np.ndarray, np.ndarray]:
    """A lane's drawn height per column as a share of the lane (0: idle, 1: busy), and its
    column edges."""
    values, edges, baseline = patch.get_data()
    assert baseline == pytest.approx(row + LIGHT.bar / 2)
    return (baseline - values) / LIGHT.bar, edges


@pytest.fixture(scope="module")
def dense_axes():
    run = busy_and_idle()
    return run, plot_gantt(run)


def test_a_busy_worker_fills_its_lane_and_an_idle_one_stays_empty(dense_axes) -> None:
    _, ax = dense_axes
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[1:3] == ["w1", "w2"]  # w1 is the busy one: it started first
    busy, idle = patches(ax, "busy")
    full, edges = share(busy, 1.0)
    # Every whole column of the busy worker's 10 s is busy throughout (the last is cut at 10 s).
    assert edges[0] == 0 and edges[-1] == pytest.approx(10.0, abs=np.diff(edges)[0])
    assert np.allclose(full[:-1], 1.0, atol=1e-6)
    assert np.sum(full * np.diff(edges)) == pytest.approx(10.0)  # all of its busy time
    empty, idle_edges = share(idle, 2.0)
    width = float(np.diff(edges)[0])
    # Ten tasks, 1 ms in all, at the start: part of the first column, then nothing drawn.
    assert len(empty) == 1 and idle_edges[-1] == pytest.approx(width)
    assert empty[0] == pytest.approx(IDLE_TASKS * 10.0 / (BIG - IDLE_TASKS) / width)
    assert empty[0] < 0.2
    assert collection(ax, "running") is None  # no bar per task


def test_density_draws_each_pixel_column_once_not_each_task(dense_axes) -> None:
    _, ax = dense_axes
    (busy, _) = patches(ax, "busy")
    _, edges = share(busy, 1.0)
    FigureCanvasAgg(ax.figure).draw()  # layout: the plotting area's width in pixels
    lo, hi = ax.get_xlim()
    # A column per pixel or a little narrower, never wider (a wide column would be blocky).
    assert (hi - lo) / ax.bbox.width / 1.5 < np.diff(edges)[0] <= (hi - lo) / ax.bbox.width
    (ticks,) = lines(ax, "delivered")
    assert len(ticks.get_xdata()) <= len(edges)  # a tick per column with deliveries


def test_the_legend_says_columns_are_aggregated_only_when_they_are() -> None:
    dense = [t.get_text() for t in figure_for(busy_and_idle(20_000)).legends[0].get_texts()]
    assert any("aggregated" in label and "pixel column" in label for label in dense)
    normal = [t.get_text() for t in figure_for(many_tasks(200)).legends[0].get_texts()]
    assert not any("aggregated" in label for label in normal)


def test_a_run_with_tasks_wider_than_a_pixel_keeps_its_bars() -> None:
    run = many_tasks(200, workers=4)  # 0.01-0.1 s tasks on a 3 s axis: several pixels each
    ax = plot_gantt(run)
    assert len(collection(ax, "running").get_paths()) == 200
    assert patches(ax, "busy") == []
    (ticks,) = lines(ax, "delivered")
    assert len(ticks.get_xdata()) == 200
    ten = plot_gantt(many_tasks(10))
    assert len(collection(ten, "running").get_paths()) == 10 and patches(ten, "busy") == []


def test_queued_and_held_rows_show_the_mean_count_per_column() -> None:
    """A map of sub-pixel tasks: everything submitted at 0, delivered in input order at the
    end, so the held count per column rises as results pile up."""
    n = 20_000
    tick = 1e-4
    tasks = [Task(i, 0, 0.0, i * tick, (i + 1) * tick, n * tick, "w", "ok") for i in range(n)]
    run = Run("pile", "as_completed", "thread", 1, 0.001, tasks)
    ax = plot_gantt(run)
    (held,) = patches(ax, "held")
    values, edges, baseline = held.get_data()
    mean = (baseline - values) / LIGHT.bar * n  # the row's scale is the peak, n - 1 held
    middle = (edges[:-1] + edges[1:]) / 2
    # At time t, the tasks finished so far are held: t / tick of them.
    assert np.allclose(mean[1:-1], middle[1:-1] / tick, rtol=0.01, atol=2)
    (queued,) = patches(ax, "queued")
    values, edges, baseline = queued.get_data()
    waiting = (baseline - values) / LIGHT.bar * n
    assert np.allclose(
        waiting[1:-1], n - (edges[:-1] + edges[1:])[1:-1] / 2 / tick, rtol=0.01, atol=2
    )


def test_the_caller_lane_shows_its_share_of_waiting_and_submitting_per_column() -> None:
    """A bounded loop of sub-pixel tasks: in each 10 µs step the caller submits for 2 µs,
    then waits 5 µs for a result (and is busy with it the rest). Per column that is 50%
    blocked, with 20% submitting stacked on top: one patch each, not a bar per span."""
    n, step = 50_000, 1e-5
    tasks = [
        Task(i, 0, i * step, i * step + 2e-6, (i + 1) * step - 1e-6, (i + 1) * step, "w", "ok")
        for i in range(n)
    ]
    blocked = [Blocked(i * step + 2e-6, i * step + 7e-6, i) for i in range(n)]
    submitting = [(i * step, i * step + 2e-6) for i in range(n)]
    run = Run("steps", "bounded", "thread", 1, 0.001, tasks, blocked, caller_submitting=submitting)
    ax = plot_gantt(run)
    assert collection(ax, "caller") is None and collection(ax, "caller-submitting") is None
    (waiting,) = patches(ax, "caller")
    (busy_submitting,) = patches(ax, "caller-submitting")
    row = len(ax.get_yticks()) - 1.0  # the caller's lane is the last row
    waited, edges = share(waiting, row)
    inner = slice(1, -1)  # the first and last columns are cut by the run's ends
    assert np.allclose(waited[inner], 0.5, atol=0.01)
    values, sub_edges, floor = busy_submitting.get_data()
    assert np.allclose(sub_edges, edges)
    assert np.allclose(floor, waiting.get_data()[0])  # stacked on the waiting share
    assert np.allclose(((floor - values) / LIGHT.bar)[inner], 0.2, atol=0.01)


def test_coverage_matches_a_brute_force_overlap_per_column() -> None:
    rng = np.random.default_rng(3)
    grid = Grid(0.25, 40)
    for _ in range(30):
        n = int(rng.integers(1, 60))
        starts = rng.uniform(-1, 11, n)
        stops = starts + rng.exponential(0.5, n) * rng.integers(0, 2, n)
        groups = rng.integers(0, 3, n)
        got = coverage(starts, stops, grid, groups, 3)
        edges = grid.edges
        want = np.zeros((3, grid.count))
        for a, b, g in zip(starts, stops, groups):
            want[g] += np.clip(np.minimum(b, edges[1:]) - np.maximum(a, edges[:-1]), 0, None)
        assert np.allclose(got, want / grid.width)


def test_coverage_ignores_spans_that_never_happened() -> None:
    grid = Grid(1.0, 4)
    got = coverage(np.array([np.nan, 1.0, 2.5]), np.array([1.0, np.nan, 3.0]), grid)
    assert np.allclose(got, [[0, 0, 0.5, 0]])


# ---------------------------------------------------------------- the verdict


def long_verdict() -> Run:
    """Every clause a verdict has: stalls, backlog, a blocked loop, an error, lost tasks."""
    tasks = [
        Task(0, 4, 0.0, 0.0, 4.0, 4.0, "T_0", "ok"),
        Task(1, 1, 0.0, 0.0, 1.0, 5.0, "T_1", "ok"),  # stalled 1..4 behind #0, then backlog
        Task(2, 1, 0.0, 1.0, 2.0, None, "T_1", "error", error="ValueError: boom"),
        Task(3, 1, 0.0, 2.0, 3.0, None, "T_1", "undelivered"),
        Task(4, 1, 0.0, None, None, None, None, "cancelled"),
    ]
    blocked = [Blocked(0.0, 4.0, 0), Blocked(5.0, 5.0, 1)]
    return Run(
        "everything-at-once",
        "map",
        "thread",
        2,
        1.0,
        tasks,
        blocked,
        error="ValueError: boom",
        loop_blocked=[(0.5, 0.7)],
    )


def _inside(fig, gid: str) -> list[str]:
    FigureCanvasAgg(fig).draw()
    renderer = fig.canvas.get_renderer()
    fig_box = fig.bbox
    shown = []
    for ax in fig.axes:
        header = [t for t in ax.texts if t.get_gid() in {"verdict", "timings"}] + [ax.title]
        boxes = [t.get_window_extent(renderer) for t in header if t.get_text()]
        for i, a in enumerate(boxes):  # verdict, timings and title never overlap
            assert not any(a.overlaps(b) for b in boxes[i + 1 :]), (a, boxes)
        for text in (t for t in ax.texts if t.get_gid() == gid):
            box = text.get_window_extent(renderer)
            assert box.x0 >= fig_box.x0 and box.x1 <= fig_box.x1, f"{text.get_text()!r} is cut"
            assert box.x1 <= ax.bbox.x1 + 1, f"{text.get_text()!r} runs past its panel"
            assert box.y1 <= fig_box.y1
            shown.append(text.get_text())
    return shown


@pytest.mark.parametrize("style", ["light", "projector"])
def test_a_long_verdict_wraps_inside_its_panel(style: str) -> None:
    run = long_verdict()
    short = replace(many_tasks(10, 2, "as_completed"), scenario=run.scenario)  # same panel row
    fig = figure_for(Trace([run, short]), style=style)
    (wrapped, short) = _inside(fig, "verdict")
    assert wrapped.count("\n") >= 1 and "\n" not in short
    # Wrapped between phrases, never inside a number or the parts' names.
    assert re.sub(r"\s+", " ", wrapped).startswith(
        "map: held 4.0s in all: 3.0s in ordering stalls (1 result) + 1.0s while the caller was busy"
    )
    # Panels' titles stay level although one verdict has more lines.
    assert fig.axes[0].title.get_window_extent().y0 == pytest.approx(
        fig.axes[1].title.get_window_extent().y0, abs=1
    )


def test_a_verdict_wraps_in_a_narrow_axes_of_the_users_figure() -> None:
    fig = Figure(figsize=(4, 3), layout="constrained")
    plot_gantt(long_verdict(), ax=fig.add_subplot())
    (verdict,) = _inside(fig, "verdict")
    assert verdict.count("\n") >= 3


def test_a_short_verdict_stays_one_line() -> None:
    assert texts(plot_gantt(many_tasks(10, 2, "as_completed")), "verdict") == [
        "as_completed: none held: each result delivered as it finished"
    ]


def test_held_parts_add_up_to_the_total_shown() -> None:
    """Any number of parts (a third, "while the caller was still submitting", is coming):
    the shown parts sum exactly to the shown total, itself the total rounded."""
    rng = random.Random(5)
    for _ in range(300):
        sizes = [rng.choice([0.3, 40.0]) for _ in range(rng.randint(2, 4))]
        values = [rng.uniform(0, size) for size in sizes]
        phrases = held_phrases([(f"part {i}", v) for i, v in enumerate(values)])
        assert phrases[0].startswith("held ") and phrases[0].endswith(" in all:")
        assert [p.split()[-1] for p in phrases[1:]] == [str(i) for i in range(len(values))]
        total, *parts = (re.search(r"([\d.]+)(m?s)", p).groups() for p in phrases)
        assert {unit for _, unit in parts} == {total[1]}  # one unit throughout
        assert sum(float(v) for v, _ in parts) == pytest.approx(float(total[0]), abs=1e-9)
        scale = 1000 if total[1] == "ms" else 1
        step = 1 if total[1] == "ms" else 0.1
        assert abs(float(total[0]) - sum(values) * scale) <= step / 2 + 1e-9, (phrases, values)


def test_one_part_of_held_time_is_named_without_a_total() -> None:
    assert held_phrases([("while the caller was busy", 1.04)]) == [
        "held 1.0s while the caller was busy"
    ]
    assert held_phrases([("in ordering stalls", 0.0504)]) == ["held 50ms in ordering stalls"]
    assert held_phrases([]) == []
