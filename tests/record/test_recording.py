"""The recorder against the ideal schedule, for thread and process pools."""

from __future__ import annotations

import concurrent.futures as cf
import itertools
import time
from functools import partial

import pytest
from helpers import UNIT
from helpers.taskfns import clock_now, fail_on_two
from helpers.timing import quiet, tolerance, yardstick

from loiter.execute.executors import make_executor, warm_up
from loiter.execute.runner import Experiment, run_one
from loiter.model.scenarios import Scenario
from loiter.model.trace import CANCELLED, ERROR, OK, UNDELIVERED
from loiter.record.traced import TracedExecutor, as_completed

SLOW_FIRST = Scenario("slow-first", (4, 3, 2, 1, 0))


def measured(kind: str, strategy: str, scenario: Scenario = SLOW_FIRST, unit: float = UNIT):
    return run_one(scenario, strategy, Experiment([scenario], [strategy], kind, 3, unit))


def judged(kind: str, strategy: str, judge) -> None:
    """Measure slow-first until a run is quiet enough to judge (see tests/timing.py)."""
    quiet(lambda unit: measured(kind, strategy, unit=unit), judge, UNIT)


@pytest.mark.parametrize("strategy", ["map", "as_completed"])
def test_timestamps_match_the_ideal_schedule(executor_kind: str, strategy: str) -> None:
    def judge(run) -> None:
        for task in run.tasks:
            assert task.submitted <= task.started <= task.finished <= task.delivered
        # Each start, finish (its sleep's overshoot) and delivery is judged where it
        # happened, so together they are the textbook schedule step by step.
        yardstick(run).check(run)

    judged(executor_kind, strategy, judge)


def test_map_delivers_in_input_order_and_stalls(executor_kind: str) -> None:
    def judge(run) -> None:
        delivered = [t.delivered for t in run.tasks]
        assert delivered == sorted(delivered)
        stalls = run.stalls()
        assert stalls[0].seconds == 0  # the slow one is not held: a wait for itself is no stall
        # #2 (2 units) finished at 2 and waited for #0 (4 units) until 4: the ideal's stalls.
        yardstick(run).check_stalls(run)
        assert stalls[2].seconds > 1.5 * run.unit
        assert all(s.blocked_on == 0 for s in stalls[1:])
        assert run.summary().stalled_tasks == 4

    judged(executor_kind, "map", judge)


def test_as_completed_delivers_in_finish_order_without_stall(executor_kind: str) -> None:
    def judge(run) -> None:
        ys = yardstick(run)
        ys.check(run)  # delivered as they arrive: two within noise of each other, in any order
        ys.check_stalls(run)  # no stall beyond noise
        for a in run.tasks:
            for b in run.tasks:
                if b.finished > a.finished + ys.tolerance:
                    assert a.delivered < b.delivered, (a, b)

    judged(executor_kind, "as_completed", judge)


def test_caller_blocked_intervals_name_the_awaited_task() -> None:
    def judge(run) -> None:
        ys = yardstick(run)
        first, ideal = run.caller_blocked[0], ys.ideal_run(run).caller_blocked[0]
        assert first.index == ideal.index == 0
        assert abs((first.got - first.ask) - (ideal.got - ideal.ask)) <= ys.tolerance
        assert [b.index for b in run.caller_blocked] == [0, 1, 2, 3, 4]

    judged("thread", "map", judge)


def test_workers_are_named_by_thread_and_by_process(executor_kind: str) -> None:
    run = measured(executor_kind, "map")
    names = {t.worker for t in run.tasks}
    assert len(names) == 3
    prefix = "ThreadPoolExecutor" if executor_kind == "thread" else "Process"
    assert all(prefix in name for name in names)


def test_map_raises_at_the_failing_index_and_later_tasks_are_lost(executor_kind: str) -> None:
    """map(fail_on_two, [0, 1, 2, 3, 4, 5, 6]) with one worker: #2 raises."""
    with make_executor(executor_kind, 1) as pool:
        warm_up(pool, 1)
        traced = TracedExecutor(pool)
        got = []
        with pytest.raises(ValueError, match="bad input 2"):
            for value in traced.map(partial(fail_on_two, unit=UNIT), range(7)):
                got.append(value)
    run = traced.freeze()
    assert got == [0, 10]
    outcomes = [t.outcome for t in run.tasks]
    assert outcomes[:3] == [OK, OK, ERROR]
    assert run.tasks[2].error == "ValueError: bad input 2"
    assert run.tasks[2].finished is not None and run.tasks[2].delivered is not None
    # What had started finished unseen; what had not was cancelled (CPython's semantics).
    assert set(outcomes[3:]) <= {UNDELIVERED, CANCELLED}
    assert outcomes[-1] == CANCELLED
    for task in run.tasks[3:]:
        assert task.delivered is None
        assert (task.finished is None) == (task.outcome == CANCELLED)


def test_chunked_map_fails_a_whole_chunk_and_keeps_the_timings_of_what_ran() -> None:
    """Process map with chunksize=3 over [1, 0, 1, 0, 2, 1]: the second chunk raises at #4."""
    units = [1, 0, 1, 0, 2, 1]

    def measure(unit: float):
        with cf.ProcessPoolExecutor(1) as pool:
            warm_up(pool, 1)
            traced = TracedExecutor(pool)
            got = []
            with pytest.raises(ValueError, match="bad input 2"):
                for value in traced.map(partial(fail_on_two, unit=unit), units, chunksize=3):
                    got.append(value)
        return unit, got, traced.freeze()

    def judge(measured) -> None:
        unit, got, run = measured
        assert got == [10, 0, 10]
        tasks = run.tasks
        assert [t.outcome for t in tasks] == [OK, OK, OK, ERROR, UNDELIVERED, UNDELIVERED]
        assert [t.result for t in tasks[:3]] == [10, 0, 10]
        ran = tasks[:5]
        late = {f"#{t.index} ran over": t.ran - n * unit for t, n in zip(ran, units)}
        assert min(late.values()) >= -0.001, late
        _, allowed = tolerance(late, unit)
        # One worker runs the chunks back to back: each call starts when the previous one finished.
        for before, after in itertools.pairwise(ran):
            assert before.finished <= after.started < before.finished + allowed
        # The chunk's exception reaches the caller at its first task, #3;
        # #4 raised it unseen; #5 never ran.
        assert tasks[3].delivered is not None and tasks[3].error == "ValueError: bad input 2"
        assert tasks[4].delivered is None and tasks[4].error == "ValueError: bad input 2"
        assert tasks[5].started is None and tasks[5].delivered is None
        assert all(t.worker == tasks[0].worker for t in ran)

    quiet(measure, judge, UNIT)


def test_chunked_map_files_every_task_and_one_ask_per_result_when_left_early() -> None:
    """Process map over 10 calls in chunks of 4, the caller leaving after 6 results.

    A chunk is filed once, at freeze: each task still gets its own timings,
    and each result the caller had its own wait, in order, ending when it had it.
    """
    with cf.ProcessPoolExecutor(2) as pool:
        warm_up(pool, 2)
        traced = TracedExecutor(pool)
        results = traced.map(abs, range(-9, 1), chunksize=4)
        got = [next(results) for _ in range(6)]
        # What a live view reads before the freeze: each task's timings, from its chunk.
        live = [traced.recording.future_timing(i)[0] for i in range(6)]
        results.close()
    run = traced.freeze()
    origin = traced.recording.origin
    assert [(t[0] - origin) / 1e9 for t in live] == [t.started for t in run.tasks[:6]]
    tasks = run.tasks
    assert got == [9, 8, 7, 6, 5, 4]
    assert [t.result for t in tasks[:6]] == got
    assert all(t.delivered is not None for t in tasks[:6])
    assert all(t.delivered is None for t in tasks[6:])
    # The second chunk (#4-#7) arrived whole: #6 and #7 ran, in one worker, back to back.
    for chunk in (tasks[0:4], tasks[4:8]):
        assert len({t.worker for t in chunk}) == 1
        for before, after in itertools.pairwise(chunk):
            assert before.started <= before.finished <= after.started
    waits = run.caller_blocked
    assert [w.index for w in waits] == list(range(6))
    assert [w.ask for w in waits] == sorted(w.ask for w in waits)
    for wait, task in zip(waits, tasks):
        assert wait.ask <= wait.got == task.delivered
        assert task.finished <= task.delivered
    # Only a chunk's first task can keep the caller waiting: the others came with it.
    assert all(w.got == w.ask for w in waits if w.index % 4)


def test_as_completed_keeps_going_after_a_failure(executor_kind: str) -> None:
    with make_executor(executor_kind, 2) as pool:
        warm_up(pool, 2)
        traced = TracedExecutor(pool)
        futures = [traced.submit(fail_on_two, n, UNIT) for n in range(4)]
        results, errors = [], []
        for f in as_completed(futures):
            try:
                results.append(f.result())
            except ValueError as exc:
                errors.append(str(exc))
    run = traced.freeze()
    assert sorted(results) == [0, 10, 30]
    assert errors == ["bad input 2"]
    assert [t.outcome for t in run.tasks] == [OK, OK, ERROR, OK]
    assert run.tasks[2].started is not None


def test_results_and_arguments_are_unchanged() -> None:
    with TracedExecutor(cf.ThreadPoolExecutor(2)) as ex:
        assert list(ex.map(pow, [2, 3], [5, 2])) == [32, 9]
        assert ex.submit(divmod, 7, 2).result() == (3, 1)
        assert ex.submit(int, "ff", base=16).result() == 255
    run = ex.trace.runs[0]
    assert [t.arg for t in run.tasks] == [[2, 5], [3, 2], [7, 2], "ff"]
    assert [t.result for t in run.tasks] == [32, 9, [3, 1], 255]


def test_map_timeout_marks_the_awaited_task_timed_out() -> None:
    with TracedExecutor(cf.ThreadPoolExecutor(1)) as ex, pytest.raises(cf.TimeoutError):
        list(ex.map(time.sleep, [0.3, 0.0], timeout=0.05))
    tasks = ex.trace.runs[0].tasks
    assert tasks[0].outcome == "timed_out"
    assert tasks[0].finished is not None  # it ran to the end, unseen
    assert tasks[1].outcome == CANCELLED


def test_process_clock_is_comparable_with_the_caller() -> None:
    """perf_counter_ns is system-wide: a worker's reading falls between two of ours."""
    with cf.ProcessPoolExecutor(1) as pool:
        pool.submit(clock_now).result()  # start the worker first
        for _ in range(5):
            before = time.perf_counter_ns()
            inside = pool.submit(clock_now).result()
            after = time.perf_counter_ns()
            assert before < inside < after
