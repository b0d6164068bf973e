"""Every strategy on real thread and process pools, against the ideal schedule."""

from __future__ import annotations

import concurrent.futures as cf
import functools
import gc
import itertools
import statistics
import time
import weakref

import pytest
from helpers import UNIT
from helpers.taskfns import io_timeout_on_two
from helpers.timing import PARALLEL, bare_speedup, quiet, tolerance, yardstick
from helpers.tracefiles import assert_same_but_rounded

from loiter.execute.executors import START_METHODS
from loiter.execute.runner import Experiment, pool_broke, run_experiment, run_one
from loiter.model import tracefile
from loiter.model.names import PORTABLE
from loiter.model.options import Options
from loiter.model.scenarios import Scenario
from loiter.model.trace import CANCELLED, ERROR, OK, TIMED_OUT, UNDELIVERED, Trace
from loiter.record.traced import TracedExecutor
from loiter.workloads.faults import Faults
from loiter.workloads.loiter import spin, spin_rate

MIXED = Scenario("mixed", (3, 1, 2, 1, 0, 2))


def experiment(kind: str, strategy: str, workers: int = 2, unit: float = UNIT, **kwargs):
    return Experiment([MIXED], [strategy], kind, workers, unit, **kwargs)


# Options that change each strategy's schedule, so the comparison is not trivial.
SHAPING = {
    "map": Options(chunksize=2, consumer_delay=0.02),
    "as_completed": Options(consumer_delay=0.02),
    "wait": Options(consumer_delay=0.02),
    "callbacks": Options(consumer_delay=0.02),
    "bounded": Options(buffersize=2, consumer_delay=0.02),
    "sequential": Options(consumer_delay=0.02),
}


@pytest.mark.parametrize("strategy", PORTABLE)
def test_every_strategy_follows_its_ideal_schedule(executor_kind: str, strategy: str) -> None:
    def measure(unit: float):
        exp = experiment(executor_kind, strategy, unit=unit, options=SHAPING[strategy])
        return run_one(MIXED, strategy, exp)

    def judge(run) -> None:
        assert [t.outcome for t in run.tasks] == [OK] * len(MIXED.args)
        assert [t.result for t in run.tasks] == [n * 10 for n in MIXED.args]
        for task in run.tasks:
            assert task.submitted <= task.started <= task.finished <= task.delivered
        yardstick(run).check(run)

    quiet(measure, judge, UNIT)


def test_chunks_share_a_worker_and_arrive_together() -> None:
    def measure(unit: float):
        return run_one(MIXED, "map", experiment("process", "map", unit=unit, options=CHUNKS))

    def judge(run) -> None:
        assert run.options.pop("start_method") in START_METHODS
        assert run.options == {"chunksize": 3}
        ys = yardstick(run)
        ys.check(run)
        first, second = run.tasks[:3], run.tasks[3:]
        for chunk in (first, second):
            assert len({t.worker for t in chunk}) == 1
            for a, b in itertools.pairwise(chunk):  # back to back
                assert a.finished <= b.started <= a.finished + ys.tolerance
        # #1 and #2 finished long before #0's chunk came back whole, then all three are delivered.
        assert max(t.delivered for t in first) - min(t.delivered for t in first) <= ys.tolerance

    quiet(measure, judge, UNIT)


CHUNKS = Options(chunksize=3)


def test_bounded_submissions_are_driven_by_the_consumer(executor_kind: str) -> None:
    def measure(unit: float):
        opts = Options(buffersize=1, consumer_delay=unit)
        return run_one(
            MIXED, "bounded", experiment(executor_kind, "bounded", unit=unit, options=opts)
        )

    def judge(run) -> None:
        ys = yardstick(run)
        ys.check(run)
        tasks = run.tasks
        assert tasks[0].submitted <= ys.tolerance
        assert tasks[1].submitted <= ys.tolerance  # the first next() submits #1
        for task in tasks[2:]:
            # Task k is submitted when the consumer, done with k-2, asks for k-1.
            done = tasks[task.index - 2].delivered + run.unit
            assert done <= task.submitted <= done + ys.tolerance
        for t in tasks:
            outstanding = [u for u in tasks if u.submitted <= t.submitted < u.delivered]
            assert len(outstanding) <= 2

    quiet(measure, judge, UNIT)


def test_sequential_runs_in_the_caller_one_at_a_time() -> None:
    run = run_one(MIXED, "sequential", experiment("process", "sequential"))
    assert run.executor == "caller" and run.workers == 1
    assert {t.worker for t in run.tasks} == {"caller"}
    for a, b in itertools.pairwise(run.tasks):
        assert b.started >= a.delivered
    assert run.caller_blocked == []


def test_callbacks_deliver_without_the_caller_waiting_for_each() -> None:
    def judge(run) -> None:
        assert run.caller_blocked == []
        assert run.summary().total_stall == 0
        ys = yardstick(run)
        ys.check(run)
        for t in run.tasks:
            assert t.delivered - t.finished <= ys.tolerance  # on the worker thread, right away

    quiet(
        lambda unit: run_one(MIXED, "callbacks", experiment("thread", "callbacks", unit=unit)),
        judge,
        UNIT,
    )


def test_slow_consumer_makes_backlog_not_stall() -> None:
    scenario = Scenario("even", (1, 1, 1, 1))

    def measure(unit: float):
        opts = Options(consumer_delay=2 * unit)
        return run_one(
            scenario, "map", Experiment([scenario], ["map"], "thread", 4, unit, options=opts)
        )

    def judge(run) -> None:
        ys = yardstick(run)
        ys.check(run)  # so each result is held while the consumer works on the ones before
        ys.check_stalls(run)  # and none of that is stall
        assert run.summary().total_held > (2 + 4 + 6) * run.unit - 4 * ys.tolerance

    quiet(measure, judge, UNIT)


@pytest.mark.parametrize(
    ("strategy", "delivered"),
    [
        ("map", [OK, ERROR]),
        ("bounded", [OK, ERROR]),
        ("as_completed", [OK, ERROR, OK, OK, OK, OK]),
        ("wait", [OK, ERROR, OK, OK, OK, OK]),
        ("callbacks", [OK, ERROR, OK, OK, OK, OK]),
        ("sequential", [OK, ERROR]),
    ],
)
def test_a_failing_task(executor_kind: str, strategy: str, delivered: list[str]) -> None:
    exp = experiment(executor_kind, strategy, faults=Faults(fail_at=(1,)))
    run = run_one(MIXED, strategy, exp)
    outcomes = [t.outcome for t in run.tasks]
    assert outcomes[: len(delivered)] == delivered
    failed = run.tasks[1]
    assert failed.error == "TaskFailed: task with argument 1 failed on purpose"
    assert failed.finished is not None and failed.delivered is not None
    assert [t.arg for t in run.tasks] == list(MIXED.args)[: len(run.tasks)]  # not (arg, fault)
    if run.executor == "process":  # not the sequential baseline, which ran in the caller
        assert run.options.pop("start_method") in START_METHODS
    assert run.options == {"fail_at": [1]}
    if len(delivered) == 2:  # map raised to the caller: the rest is lost
        assert run.error == failed.error
        assert set(outcomes[2:]) <= {UNDELIVERED, CANCELLED}
        assert all(t.delivered is None for t in run.tasks[2:])
    else:
        assert run.error is None
    summary = run.summary()
    assert summary.outcomes[ERROR] == 1


def test_error_rate_is_reproducible_from_the_seed() -> None:
    plan = Faults(error_rate=0.3, seed=7).plan(200)
    assert plan == Faults(error_rate=0.3, seed=7).plan(200)
    assert plan != Faults(error_rate=0.3, seed=8).plan(200)
    assert 40 <= plan.count("raise") <= 80
    assert Faults(fail_at=(2,), crash_at=(3,)).plan(4) == [None, None, "raise", "exit"]


@pytest.mark.parametrize("strategy", ["map", "bounded", "as_completed", "wait", "callbacks"])
def test_timeout_marks_what_the_caller_gave_up_on(strategy: str) -> None:
    scenario = Scenario("late", (6, 1, 1))

    def measure(unit: float):
        opts = Options(timeout=3 * unit)
        exp = Experiment([scenario], [strategy], "thread", 2, unit, options=opts)
        return run_one(scenario, strategy, exp)

    def judge(run) -> None:
        assert run.error is not None and run.error.startswith("TimeoutError")
        slow = run.tasks[0]
        assert slow.outcome == TIMED_OUT
        ran = [t for t in run.tasks if t.ran is not None]
        _, allowed = tolerance(
            {f"#{t.index} ran over": t.ran - t.arg * run.unit for t in ran}, run.unit
        )
        assert 6 * run.unit <= slow.finished <= 6 * run.unit + allowed  # it ran on, unseen
        if strategy in ("map", "bounded"):  # waiting in order: the quick ones were never taken
            assert [t.outcome for t in run.tasks[1:]] == [UNDELIVERED, UNDELIVERED]
        else:
            assert run.tasks[1].outcome == OK and run.tasks[2].outcome == OK
        if strategy == "callbacks":  # the caller waits for callbacks, not for results
            return
        # The caller gave up at the timeout, not when the slow task ended.
        gave_up = max(b.got for b in run.caller_blocked)
        assert 3 * run.unit - 0.001 <= gave_up <= 3 * run.unit + allowed

    quiet(measure, judge, UNIT)


@pytest.mark.parametrize("strategy", ["map", "as_completed", "callbacks"])
def test_a_dying_worker_breaks_the_pool_and_the_trace_survives(strategy: str, tmp_path) -> None:
    scenario = Scenario("crash", (1, 2, 4, 4))  # #1 dies at 2 units, after #0 is done
    exp = Experiment([scenario], [strategy], "process", 2, UNIT, faults=Faults(crash_at=(1,)))
    trace = run_experiment(exp)
    (run,) = trace.runs
    assert pool_broke(run)
    assert "BrokenProcessPool" in run.error
    assert run.tasks[0].outcome == OK
    assert run.tasks[1].outcome in (ERROR, UNDELIVERED)
    assert "BrokenProcessPool" in (run.tasks[1].error or "")
    assert run.tasks[1].finished is None  # it never got to its last line
    path = tmp_path / "broken.json"
    tracefile.save(trace, path)
    assert_same_but_rounded(tracefile.load(path), trace)


CPU_BOUND = Scenario("cpu", (3, 3))
TRIES = 5  # at a speedup: load elsewhere can only hide it, never fake it


def spin_run(kind: str, workers: int):
    exp = Experiment([CPU_BOUND], ["as_completed"], kind, workers, UNIT, workload="spin")
    return run_experiment(exp).runs[0]


def test_spin_on_threads_takes_turns_on_the_gil() -> None:
    rate = spin_rate()
    alone = time.process_time()
    spin(3, UNIT, rate)  # one task's CPU time, measured here, as the reference
    alone = time.process_time() - alone
    cpu = time.process_time()
    run = spin_run("thread", 2)
    cpu = time.process_time() - cpu
    a, b = run.tasks
    # On the clock both ran at once, for about the whole time (spin's rate was calibrated
    # whenever this process first spun, so its units are only roughly seconds)...
    assert min(a.finished, b.finished) - max(a.started, b.started) > 0.5 * min(a.ran, b.ran)
    # ...yet the process never used more than one core: they took turns (and did burn it).
    makespan = run.summary().makespan
    assert 1.5 * alone < cpu < 1.15 * makespan + 0.05


def test_spin_on_processes_runs_in_parallel() -> None:
    """Two workers finish two CPU-bound tasks faster than one, as a bare pool does.

    That needs two free cores: each try is judged against a bare process pool
    spinning alike right after (no loiter-viz involved); tries where even it
    shows no parallelism judge nothing. benchmarks/gil.py measures it at length.
    """
    task = functools.partial(spin, unit=UNIT, rate=spin_rate())
    seen = []
    for _ in range(TRIES):
        traced = statistics.median(
            spin_run("process", 1).summary().makespan / spin_run("process", 2).summary().makespan
            for _ in range(3)
        )
        bare = bare_speedup(task, CPU_BOUND.args)
        seen.append((traced, bare))
        if bare >= PARALLEL and traced > 1 + (bare - 1) / 2:
            return
    figures = "; ".join(f"traced {t:.2f}x, a bare pool {b:.2f}x" for t, b in seen)
    if all(b < PARALLEL for _, b in seen):
        pytest.skip(f"no two free cores now: {figures}")
    raise AssertionError(f"no parallel speedup where a bare pool had one: {figures}")


def test_predicted_trace_has_every_strategy() -> None:
    from loiter.analyze.predict import predict_trace

    trace = predict_trace(
        [MIXED], PORTABLE, executor="process", workers=2, unit=UNIT, options=Options()
    )
    assert isinstance(trace, Trace)
    assert [r.strategy for r in trace] == list(PORTABLE)
    seq = trace.runs[-1]
    assert seq.executor == "caller" and seq.summary().makespan == pytest.approx(9 * UNIT)


def test_map_keeps_its_submitter_alive_while_iterating(monkeypatch) -> None:
    """Python 3.14's map(buffersize=) holds its executor weakly: it must outlive map()."""
    held = []
    original = cf.Executor.map

    def spy(self, *args, **kwargs):
        held.append(weakref.ref(self))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(cf.Executor, "map", spy)
    with TracedExecutor(cf.ThreadPoolExecutor(1)) as ex:
        results = ex.map(abs, [-1, -2])
        gc.collect()
        assert held[0]() is not None  # else 3.14 would stop submitting after the buffer
        assert list(results) == [1, 2]


@pytest.mark.parametrize(("strategy", "lost"), [("map", True), ("as_completed", False)])
def test_a_task_raising_timeout_error_is_its_failure_not_the_callers_timeout(
    executor_kind: str, strategy: str, lost: bool
) -> None:
    scenario = Scenario("io", (0, 1, 2, 3))
    exp = Experiment([scenario], [strategy], executor_kind, 2, UNIT, fn=io_timeout_on_two)
    run = run_one(scenario, strategy, exp)
    task = run.tasks[2]
    assert task.outcome == ERROR and task.error == "TimeoutError: server did not answer"
    assert task.delivered is not None
    assert (run.error is not None) == lost
    assert run.tasks[3].outcome == (UNDELIVERED if lost else OK)


def test_the_command_line_offers_exactly_what_is_implemented() -> None:
    from loiter.execute.aio import ASYNC_STRATEGIES
    from loiter.execute.executors import make_executor
    from loiter.execute.strategies import STRATEGIES
    from loiter.model.names import EXECUTORS, POOLS, STRATEGY_TABLE

    on_pools = [s.name for s in STRATEGY_TABLE if set(s.executors) & set(POOLS)]
    on_loop = [s.name for s in STRATEGY_TABLE if "asyncio" in s.executors]
    assert list(STRATEGIES) == on_pools
    assert sorted(ASYNC_STRATEGIES) == sorted(on_loop)
    for kind in ("thread", "process"):
        with make_executor(kind, 1) as pool:
            assert pool.submit(abs, -2).result() == 2
    assert set(EXECUTORS) == {"thread", "process", "dask", "asyncio"}
