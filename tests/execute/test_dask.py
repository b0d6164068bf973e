"""The same recording on a real Dask LocalCluster: worker processes on loopback, one cluster."""

from __future__ import annotations

from functools import partial

import pytest
from helpers.taskfns import die_on_two, nap

from loiter.execute.dask import DaskPool, available, local_cluster
from loiter.execute.runner import Experiment, run_experiment
from loiter.model import tracefile
from loiter.model.names import CLOCK
from loiter.model.scenarios import Scenario, preset
from loiter.model.trace import ERROR, OK
from loiter.record.traced import TracedExecutor, as_completed

# Checked without importing distributed: importing it patches how exceptions
# pickle in this process, which other tests must not see (conftest runs these last).
pytestmark = pytest.mark.skipif(not available(), reason="the dask extra is not installed")

UNIT = 0.2  # cluster round trips cost a few ms (tens under load); stalls here are whole units
TOLERANCE = 0.06
WORKERS = 3


@pytest.fixture(scope="module")
def scheduler():
    # A killed worker fails its task at once instead of being retried elsewhere.
    import dask

    no_retries = dask.config.set({"distributed.scheduler.allowed-failures": 0})
    with no_retries, local_cluster(WORKERS) as address:
        yield address


def worker_addresses(address: str) -> set[str]:
    import distributed

    with distributed.Client(address) as client:
        return set(client.scheduler_info()["workers"])


@pytest.fixture(scope="module")
def slow_first(scheduler: str):
    exp = Experiment(
        [preset("slow-first")],
        ["map", "as_completed", "dask_native"],
        "dask",
        WORKERS,
        UNIT,
        scheduler=scheduler,
    )
    return {run.strategy: run for run in run_experiment(exp).runs}


def test_map_on_a_cluster_holds_results_behind_the_slow_first_task(slow_first) -> None:
    run = slow_first["map"]
    first = run.tasks[0]
    assert [t.outcome for t in run.tasks] == [OK] * 5
    assert [t.result for t in run.tasks] == [40, 30, 20, 10, 0]
    for task in run.tasks[1:3]:  # loiter(3) and loiter(2) finish early, wait for loiter(4)
        assert task.delivered == pytest.approx(first.delivered, abs=TOLERANCE)
        assert first.finished - task.finished > UNIT - TOLERANCE
    stalls = run.stalls()
    assert stalls[1].seconds == pytest.approx(UNIT, abs=TOLERANCE)
    assert stalls[2].seconds == pytest.approx(2 * UNIT, abs=TOLERANCE)
    assert stalls[1].blocked_on == 0


@pytest.mark.parametrize("strategy", ["as_completed", "dask_native"])
def test_as_completed_on_a_cluster_delivers_as_tasks_finish(slow_first, strategy: str) -> None:
    run = slow_first[strategy]
    assert [t.outcome for t in run.tasks] == [OK] * 5
    for task in run.tasks:
        assert task.submitted <= task.started <= task.finished <= task.delivered
        assert task.delivered - task.finished < TOLERANCE
        assert task.finished - task.started == pytest.approx(task.arg * UNIT, abs=TOLERANCE)
    assert run.summary().total_stall < TOLERANCE
    # loiter(2) is the first result, two units in, not the four of the slow first task.
    assert run.summary().first_result == pytest.approx(2 * UNIT, abs=TOLERANCE)


def test_worker_lanes_are_the_real_dask_workers(slow_first, scheduler: str) -> None:
    real = worker_addresses(scheduler)
    assert len(real) == WORKERS
    for run in slow_first.values():
        workers = {t.worker for t in run.tasks}
        assert workers <= real
        assert len(workers) == WORKERS  # three long tasks at once: every worker busy


def test_clock_offsets_are_estimated_and_small_on_one_host(slow_first, scheduler: str) -> None:
    real = worker_addresses(scheduler)
    for run in slow_first.values():
        clock = run.options[CLOCK]
        assert set(clock) == real
        for entry in clock.values():
            assert abs(entry["offset"]) < 0.005
            assert 0 < entry["uncertainty"] < 0.05


def test_traced_executor_wraps_the_client_executor(scheduler: str) -> None:
    with TracedExecutor(DaskPool(WORKERS, scheduler), executor="dask") as ex:
        mapped = list(ex.map(nap, [0.2, 0.05]))
        futures = [ex.submit(nap, s) for s in (0.15, 0.05)]
        completed = [f.result() for f in as_completed(futures)]
    assert mapped == [2.0, 0.5]
    assert completed == [0.5, 1.5]
    (run,) = ex.trace.runs
    assert run.executor == "dask"
    map_second = run.tasks[1]
    assert map_second.delivered - map_second.finished > 0.1  # held behind the 0.2 s task
    assert {t.worker for t in run.tasks} <= set(run.options[CLOCK])


def test_a_killed_worker_is_an_error_and_the_trace_is_saved(scheduler: str, tmp_path) -> None:
    exp = Experiment(
        [Scenario("custom", (3, 2, 1))],
        ["as_completed"],
        "dask",
        WORKERS,
        0.05,
        fn=partial(die_on_two, unit=0.05),
        scheduler=scheduler,
    )
    path = tracefile.save(run_experiment(exp), tmp_path / "killed.json")
    (run,) = tracefile.load(path).runs
    outcomes = {t.arg: t.outcome for t in run.tasks}
    assert outcomes == {3: OK, 2: ERROR, 1: OK}
    killed = run.tasks[1]
    assert "KilledWorker" in killed.error
    assert killed.delivered is not None and killed.started is None
