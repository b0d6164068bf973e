"""The same recording on a real Dask LocalCluster: worker processes on loopback, one cluster."""

from __future__ import annotations

from dataclasses import replace
from functools import partial

import pytest
from helpers.taskfns import die_on_two, nap
from helpers.timing import quiet, yardstick

from loiter.execute.dask import DaskPool, available, client_for, local_cluster
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
WORKERS = 3


@pytest.fixture(scope="module")
def scheduler():
    # A killed worker fails its task at once instead of being retried elsewhere.
    import dask

    no_retries = dask.config.set({"distributed.scheduler.allowed-failures": 0})
    with no_retries, local_cluster(WORKERS) as address:
        yield address


def worker_addresses(address: str) -> set[str]:
    with client_for(address) as client:
        return set(client.scheduler_info()["workers"])


def slow_first_run(scheduler: str, strategies: list[str], unit: float = UNIT) -> list:
    exp = Experiment([preset("slow-first")], strategies, "dask", WORKERS, unit, scheduler=scheduler)
    return run_experiment(exp).runs


@pytest.fixture(scope="module")
def slow_first(scheduler: str):
    """One run per strategy, for what does not depend on timing (timing tests measure anew)."""
    return {run.strategy: run for run in slow_first_run(scheduler, STRATEGIES)}


STRATEGIES = ["map", "as_completed", "dask_native"]


def test_map_on_a_cluster_holds_results_behind_the_slow_first_task(scheduler: str) -> None:
    def judge(run) -> None:
        assert [t.outcome for t in run.tasks] == [OK] * 5
        assert [t.result for t in run.tasks] == [40, 30, 20, 10, 0]
        # The scheduler, not a FIFO queue, hands tasks to freed workers: deliveries are judged.
        ys = yardstick(run, pool=False)
        ys.check(run)
        ys.check_stalls(run)  # loiter(3) and loiter(2) finish early, wait for loiter(4)
        first = run.tasks[0]
        for task in run.tasks[1:3]:
            assert abs(task.delivered - first.delivered) <= ys.tolerance
            assert first.finished - task.finished > run.unit - ys.tolerance
        assert run.stalls()[1].blocked_on == 0

    quiet(lambda unit: slow_first_run(scheduler, ["map"], unit)[0], judge, UNIT)


@pytest.mark.parametrize("strategy", ["as_completed", "dask_native"])
def test_as_completed_on_a_cluster_delivers_as_tasks_finish(scheduler: str, strategy: str) -> None:
    def judge(run) -> None:
        assert [t.outcome for t in run.tasks] == [OK] * 5
        for task in run.tasks:
            assert task.submitted <= task.started <= task.finished <= task.delivered
        # distributed's own as_completed follows the same rule as the standard library's
        run = replace(run, strategy="as_completed")
        ys = yardstick(run, pool=False)
        ys.check(run)  # each result delivered as it arrives, none held behind a slower one
        ys.check_stalls(run)  # so no stall, and loiter(2) is the first result, not loiter(4)

    quiet(lambda unit: slow_first_run(scheduler, [strategy], unit)[0], judge, UNIT)


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
            # One host, one clock: the true offset is 0, within the estimate's own error bar.
            assert abs(entry["offset"]) <= entry["uncertainty"] + 1e-6
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


def _intrude(path: str) -> None:
    with open(path, "w") as fh:
        fh.write("ran as you")


def test_no_other_client_can_run_code_on_our_cluster(scheduler: str, tmp_path) -> None:
    """Any local user reaches loopback: without this cluster's keys, no connection, no code."""
    from distributed import Client
    from distributed.security import Security

    marker = tmp_path / "intruded"
    attempts = {
        "plain": (scheduler, None),
        "tcp": (scheduler.replace("tls://", "tcp://"), None),
        "other keys": (scheduler, Security.temporary()),
    }
    for name, (address, security) in attempts.items():
        with (
            pytest.raises(Exception),  # noqa: B017 - distributed raises several kinds
            Client(address, security=security, timeout="3s") as client,
        ):
            client.run_on_scheduler(_intrude, str(marker))
        assert not marker.exists(), name
    with client_for(scheduler) as client:  # the keys do work: the failures above are the keys
        client.run_on_scheduler(_intrude, str(marker))
    assert marker.exists()


def _http_port(dask_scheduler=None, dask_worker=None) -> int:
    server = dask_scheduler or dask_worker
    return server.http_server.port


def test_nothing_answers_http_on_our_cluster(scheduler: str) -> None:
    """No dashboard, metrics or proxy: the scheduler's and workers' HTTP servers have no routes."""
    import urllib.error
    import urllib.request

    with client_for(scheduler) as client:
        workers = list(client.run(_http_port).values())  # a test above may have killed one
        ports = [client.run_on_scheduler(_http_port), *workers]
    assert workers
    assert 8787 not in ports
    for port in ports:
        for route in ("/status", "/health", "/metrics", "/info/main/workers.html", "/proxy/1/a/b"):
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(f"http://127.0.0.1:{port}{route}", timeout=5)
            assert refused.value.code == 404, (port, route)
