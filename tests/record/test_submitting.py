"""The caller's whole story: when it was submitting, and the held time that falls in it.

``map`` submits everything before it yields (one span); a bounded loop submits
between deliveries (many spans); held time splits into ordering stall, held
while submitting, and backlog, and the three add up to the total.
"""

from __future__ import annotations

import concurrent.futures as cf
import itertools
import math

import pytest
from helpers.artists import collection, spans

import loiter
from loiter.model.trace import Blocked, Run, Task
from loiter.model.tracecheck import problem
from loiter.model.tracefile import dumps, loads
from loiter.record.traced import wait
from loiter.render.gantt.figure import figure_for


def mapped(n: int) -> Run:
    with loiter.traced(cf.ThreadPoolExecutor(3)) as ex:
        list(ex.map(abs, range(n)))
    assert ex.trace is not None
    return ex.trace.runs[0]


def bounded(n: int, ahead: int = 4) -> Run:
    with loiter.traced(cf.ThreadPoolExecutor(3)) as ex:
        pending: set[cf.Future[int]] = set()
        for i in range(n):
            if len(pending) >= ahead:
                done, pending = wait(pending, return_when=cf.FIRST_COMPLETED)
                for future in done:
                    future.result()
            pending.add(ex.submit(abs, i))
        for future in pending:
            future.result()
    assert ex.trace is not None
    return ex.trace.runs[0]


def test_map_submits_everything_in_one_span_before_the_first_delivery() -> None:
    run = mapped(300)
    ((start, end),) = run.caller_submitting
    submitted = [t.submitted for t in run.tasks]
    assert start <= min(submitted) and max(submitted) <= end
    assert end <= min(t.delivered for t in run.tasks)  # map yields only after submitting all


def test_a_bounded_loop_submits_between_deliveries() -> None:
    run = bounded(60)
    spans_ = run.caller_submitting
    assert len(spans_) > 10
    assert all(a <= b for a, b in spans_)
    assert all(b1 <= a2 for (_, b1), (a2, _) in itertools.pairwise(spans_))
    deliveries = sorted(t.delivered for t in run.tasks)
    # Between two submitting spans the caller took at least one result.
    for (_, end), (start, _) in itertools.pairwise(spans_):
        assert any(end <= d <= start for d in deliveries)
    every = [t.submitted for t in run.tasks]
    assert all(any(a <= s <= b for a, b in spans_) for s in every)


@pytest.mark.parametrize("make", [lambda: mapped(500), lambda: bounded(80)])
def test_held_time_splits_three_ways_that_add_up(make) -> None:  # type: ignore[no-untyped-def]
    s = make().summary()
    assert min(s.total_stall, s.held_submitting, s.backlog) >= 0
    assert math.isclose(s.total_stall + s.held_submitting + s.backlog, s.total_held, abs_tol=1e-9)


def hand_run(submitting: list[tuple[float, float]]) -> Run:
    """Two tasks: #0 finished at 1 and delivered at 5; the caller submitted 0-2, then waited
    for #1 from 3 to 4; #1 ran 0-4, delivered at 4."""
    tasks = [
        Task(0, 0, 0.0, 0.0, 1.0, 5.0, "T", "ok"),
        Task(1, 1, 0.5, 0.5, 4.0, 4.0, "T", "ok"),
    ]
    return Run(
        "s", "custom", "thread", 2, 1.0, tasks, [Blocked(3.0, 4.0, 1)], caller_submitting=submitting
    )


def test_the_split_on_known_numbers() -> None:
    s = hand_run([(0.0, 2.0)]).summary()
    # #0 held 1..5 (4 s): 1..2 submitting, 3..4 the caller waited for #1 (stall), the rest backlog.
    assert (s.total_held, s.held_submitting, s.total_stall) == (4.0, 1.0, 1.0)
    assert s.backlog == pytest.approx(2.0)
    assert s.caller_submitting == 2.0
    # Two spans inside the held interval, one overlapping its start.
    assert hand_run([(0.0, 1.5), (2.0, 2.5), (4.5, 6.0)]).summary().held_submitting == 1.5


def test_the_field_round_trips_and_old_files_load_without_it() -> None:
    run = hand_run([(0.0, 2.0)])
    back = loads(dumps(loiter.Trace([run]))).runs[0]
    assert back.caller_submitting == [(0.0, 2.0)]
    old = dumps(loiter.Trace([hand_run([])])).replace(b',\n   "caller_submitting": []', b"")
    assert b"caller_submitting" not in old
    assert loads(old).runs[0].caller_submitting == []


@pytest.mark.parametrize(
    "bad", [[(2.0, 1.0)], [(0.0, 1e300)], [(-1e300, 0.0)], [(0.0, 1.0), (3.0, 2.0)]]
)
def test_absurd_submitting_spans_are_named(bad: list[tuple[float, float]]) -> None:
    assert (problem(hand_run(bad)) or "").startswith("caller_submitting[")


@pytest.mark.parametrize("lanes", ["tasks", "workers"])
def test_the_chart_draws_the_caller_submitting_and_what_was_held_meanwhile(lanes: str) -> None:
    run = hand_run([(0.0, 2.0)])
    fig = figure_for(run, lanes=lanes)
    ax = fig.axes[0]
    ((_, x0, x1),) = spans(collection(ax, "caller-submitting"))
    assert (x0, x1) == (0.0, 2.0)
    held = collection(ax, "held-submitting")
    assert held is not None
    if lanes == "tasks":
        assert [(x0, x1) for _, x0, x1 in spans(held)] == [(1.0, 2.0)]
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert any("submitting" in label for label in labels)
    no_spans = figure_for(hand_run([]), lanes=lanes)
    assert collection(no_spans.axes[0], "caller-submitting") is None
    # Microseconds of submitting (a handful of tasks) are drawn but not explained.
    tiny = figure_for(hand_run([(0.0, 1e-5)]), lanes=lanes)
    assert not any("submitting" in t.get_text() for t in tiny.legends[0].get_texts())
