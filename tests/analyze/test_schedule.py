"""The ideal schedule on hand-computed examples."""

from __future__ import annotations

import pytest
from helpers.fixtures import slow_first_map
from hypothesis import given
from hypothesis import strategies as st

from loiter.analyze.fidelity import fidelity
from loiter.analyze.schedule import ideal_for, ideal_run, ideal_schedule
from loiter.model.names import SIMULATED


def test_book_scenario_with_three_workers() -> None:
    tasks = ideal_schedule([0, 1, 2, 3, 4], 3, "map")
    assert [t.started for t in tasks] == [0, 0, 0, 0, 1]
    assert [t.finished for t in tasks] == [0, 1, 2, 3, 5]
    assert [t.delivered for t in tasks] == [0, 1, 2, 3, 5]


def test_slow_first_map_holds_results_behind_the_slowest() -> None:
    tasks = ideal_schedule([4, 3, 2, 1, 0], 3, "map")
    assert [t.started for t in tasks] == [0, 0, 0, 2, 3]
    assert [t.finished for t in tasks] == [4, 3, 2, 3, 3]
    assert [t.delivered for t in tasks] == [4, 4, 4, 4, 4]


def test_slow_first_as_completed_delivers_at_finish() -> None:
    tasks = ideal_schedule([4, 3, 2, 1, 0], 3, "as_completed")
    assert [t.delivered for t in tasks] == [4, 3, 2, 3, 3]


def test_consumer_delay_turns_held_time_into_backlog() -> None:
    tasks = ideal_schedule([1, 1], 2, "as_completed", consumer_delay=0.5)
    assert [t.delivered for t in tasks] == [1, 1.5]


def test_unknown_strategy_is_refused() -> None:
    with pytest.raises(ValueError, match="no ideal schedule"):
        ideal_schedule([1], 1, "telepathy")


def test_wait_takes_each_batch_in_input_order_then_works_on_it() -> None:
    # #1 and #2 finish together at 1: one wait() returns both; the caller takes #1, then #2.
    tasks = ideal_schedule([3, 1, 1], 3, "wait", consumer_delay=0.5)
    assert [t.delivered for t in tasks] == [3, 1, 1.5]
    assert [t.asked for t in tasks] == [2.0, 0.0, None]


def test_callbacks_on_threads_keep_the_worker_busy_with_the_consumer_work() -> None:
    tasks = ideal_schedule([1, 1, 1], 2, "callbacks", consumer_delay=0.5)
    assert [t.delivered for t in tasks] == [1, 1, 2.5]
    assert tasks[2].started == 1.5  # the worker was running #0's callback until 1.5
    assert all(t.asked is None for t in tasks)


def test_callbacks_on_processes_queue_on_the_manager_thread() -> None:
    tasks = ideal_schedule([1, 1, 1], 2, "callbacks", consumer_delay=0.5, executor="process")
    assert [t.started for t in tasks] == [0, 0, 1]
    assert [t.delivered for t in tasks] == [1, 1.5, 2]


def test_slow_callbacks_on_processes_leave_workers_without_tasks() -> None:
    """The manager thread tops up the workers' queue (2 + 1 tasks) only between callbacks."""
    tasks = ideal_schedule([1] * 5, 2, "callbacks", consumer_delay=1.0, executor="process")
    assert [t.delivered for t in tasks] == [1, 2, 3, 4, 5]
    # #3 waits for the first callback to end at 2, though a worker is free at 1.
    assert [t.started for t in tasks] == [0, 0, 1, 2, 2]
    assert [t.started for t in ideal_schedule([1] * 5, 2, "as_completed", 1.0)] == [0, 0, 1, 1, 2]


def test_chunks_run_back_to_back_and_arrive_together_on_process_pools() -> None:
    tasks = ideal_schedule([1, 2, 1, 1, 3], 2, "map", executor="process", chunksize=2)
    assert [t.started for t in tasks] == [0, 1, 0, 1, 2]
    assert [t.worker for t in tasks] == [0, 0, 1, 1, 1]
    assert [t.delivered for t in tasks] == [3, 3, 3, 3, 5]
    # CPython's thread pools ignore chunksize: so does the prediction.
    threads = ideal_schedule([1, 2, 1, 1, 3], 2, "map", chunksize=2)
    assert threads == ideal_schedule([1, 2, 1, 1, 3], 2, "map")


def test_bounded_submissions_follow_the_consumer() -> None:
    # buffersize 1: #0 up front; next() submits #1, waits #0 (3 s); next() submits #2 at 3.
    tasks = ideal_schedule([3, 1, 1], 3, "bounded", buffersize=1)
    assert [t.submitted for t in tasks] == [0, 0, 3]
    assert [t.started for t in tasks] == [0, 0, 3]
    assert [t.delivered for t in tasks] == [3, 3, 4]
    assert ideal_schedule([3, 1, 1], 3, "bounded", buffersize=3) == ideal_schedule(
        [3, 1, 1], 3, "map"
    )


def test_sequential_runs_one_after_another_in_the_caller() -> None:
    tasks = ideal_schedule([2, 1], 4, "sequential", consumer_delay=0.5)
    assert [(t.submitted, t.started, t.finished, t.delivered) for t in tasks] == [
        (0, 0, 2, 2),
        (2.5, 2.5, 3.5, 3.5),
    ]


def test_ideal_run_draws_like_a_measured_one() -> None:
    ideal = ideal_schedule([4, 3, 2, 1, 0], 3, "map")
    run = ideal_run(
        ideal,
        args=(4, 3, 2, 1, 0),
        scenario="slow-first",
        strategy="map",
        executor="thread",
        workers=3,
        unit=1.0,
    )
    summary = run.summary()
    assert summary.total_stall == 5.0 and summary.stalled_tasks == 4  # as fixtures.slow_first_map
    assert run.options["predicted"] is True
    assert {t.worker for t in run.tasks} == {"worker 1", "worker 2", "worker 3"}


def test_fidelity_of_a_run_against_its_own_prediction() -> None:
    run = slow_first_map()
    ideal = ideal_for(run)
    assert [t.delivered for t in ideal] == [4, 4, 4, 4, 4]
    exact = fidelity(run, ideal)
    assert exact.start_max == 0 and exact.deliver_max == 0 and exact.makespan_ratio == 1
    run.tasks[4].started, run.tasks[4].delivered = 3.5, 4.25
    off = fidelity(run, ideal)
    assert off.start_max == 0.5 and off.deliver_max == 0.25
    assert off.start_p95 == 0.5  # nearest rank of 5 values is the largest
    assert off.makespan_ratio == pytest.approx(4.25 / 4)


# -- properties over random inputs --------------------------------------------

durations = st.lists(
    st.integers(0, 20).map(lambda n: n / 4), min_size=1, max_size=12
)  # quarter units: exact in binary, so ties are real ties
strategies_ = st.sampled_from(SIMULATED)


@st.composite
def schedules(draw):
    seconds = draw(durations)
    workers = draw(st.integers(1, 4))
    strategy = draw(strategies_)
    kwargs = {
        "executor": draw(st.sampled_from(["thread", "process"])),
        "chunksize": draw(st.integers(1, 3)),
        "buffersize": draw(st.integers(1, 4)),
    }
    delay = draw(st.sampled_from([0.0, 0.25, 1.0]))
    return seconds, workers, strategy, delay, kwargs


@given(schedules())
def test_timestamps_are_ordered_and_workers_never_overbooked(case) -> None:
    seconds, workers, strategy, delay, kwargs = case
    tasks = ideal_schedule(seconds, workers, strategy, delay, **kwargs)
    assert [t.index for t in tasks] == list(range(len(seconds)))
    for t, d in zip(tasks, seconds):
        assert t.submitted <= t.started <= t.finished <= t.delivered
        assert t.finished - t.started == pytest.approx(d)
    lanes = 1 if strategy == "sequential" else workers
    for t in tasks:  # at any start, at most `lanes` tasks are running
        running = [u for u in tasks if u.started <= t.started < u.finished]
        assert len(running) <= lanes
        same_lane = [u for u in running if u.worker == t.worker]
        assert len(same_lane) <= 1


@given(durations, st.integers(1, 4), st.sampled_from(["map", "bounded"]), st.integers(1, 4))
def test_map_and_bounded_deliver_in_input_order(seconds, workers, strategy, size) -> None:
    tasks = ideal_schedule(seconds, workers, strategy, 0.25, buffersize=size)
    delivered = [t.delivered for t in tasks]
    assert delivered == sorted(delivered)


@given(durations, st.integers(1, 4), st.sampled_from([0.0, 0.5]))
def test_as_completed_delivers_in_finish_order_without_stall(seconds, workers, delay) -> None:
    tasks = ideal_schedule(seconds, workers, "as_completed", delay)
    by_delivery = sorted(tasks, key=lambda t: (t.delivered, t.finished, t.index))
    assert [t.finished for t in by_delivery] == sorted(t.finished for t in tasks)
    if delay == 0:
        assert all(t.delivered == t.finished for t in tasks)
    run = ideal_run(
        tasks,
        args=seconds,
        scenario="x",
        strategy="as_completed",
        executor="thread",
        workers=workers,
        unit=1.0,
    )
    assert run.summary().total_stall == pytest.approx(0, abs=1e-9)


@given(durations, st.integers(1, 4), st.integers(1, 4), st.sampled_from([0.0, 0.5]))
def test_bounded_keeps_at_most_buffersize_plus_one_undelivered(
    seconds, workers, size, delay
) -> None:
    tasks = ideal_schedule(seconds, workers, "bounded", delay, buffersize=size)
    for t in tasks:
        # Just after this submission: submitted and not yet delivered.
        outstanding = [u for u in tasks if u.submitted <= t.submitted < u.delivered]
        assert len(outstanding) <= size + 1
    assert sum(t.submitted == 0 for t in tasks) >= min(size + 1, len(tasks))


@given(durations, st.integers(1, 4), st.sampled_from(SIMULATED))
def test_with_no_delay_nothing_is_delivered_before_it_finishes_or_later_than_needed(
    seconds, workers, strategy
) -> None:
    """Zero overhead: as_completed, wait and callbacks deliver the moment a task finishes."""
    tasks = ideal_schedule(seconds, workers, strategy)
    if strategy in ("as_completed", "wait", "callbacks", "sequential"):
        assert all(t.delivered == t.finished for t in tasks)
    makespan = max(t.delivered for t in tasks)
    assert makespan >= max(seconds) and makespan >= sum(seconds) / workers - 1e-9
