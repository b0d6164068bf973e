"""The download task through real pools against the local server: files, outcomes, timing."""

from __future__ import annotations

import io
import pickle
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from helpers.timing import quiet, yardstick
from PIL import Image
from rich.console import Console

from loiter.execute.runner import Experiment, run_experiment
from loiter.model.scenarios import Scenario
from loiter.render.terminal.progress import RunProgress
from loiter.workloads.flags.countries import POP20_CC
from loiter.workloads.flags.download import HTTPStatusError, NotFound, flag_task, tally
from loiter.workloads.flags.images import flag_gif
from loiter.workloads.flags.server import Behaviour, serving

# Latencies are drawn from (LATENCY, k * LATENCY): a wrong schedule is off by one or more.
LATENCY = 0.1  # far above the ~20 ms a worker spends building its HTTP client


def test_download_saves_the_served_gif_and_returns_status_and_bytes(tmp_path: Path) -> None:
    with serving(Behaviour(delay=(0.0, 0.0))) as server:
        task = flag_task(server.base_url, tmp_path)
        results = {cc: task(cc) for cc in ("CN", "br")}
    for cc, result in results.items():
        body = (tmp_path / f"{cc.lower()}.gif").read_bytes()
        assert body == flag_gif(cc)
        assert Image.open(io.BytesIO(body)).format == "GIF"
        assert result == {"status": 200, "bytes": len(body)}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["br.gif", "cn.gif"]


def test_http_errors_raise_picklable_exceptions_and_save_nothing(tmp_path: Path) -> None:
    with serving(Behaviour(delay=(0.0, 0.0), error_rate=1.0)) as server:
        task = flag_task(server.base_url, tmp_path)
        with pytest.raises(NotFound) as not_found:
            task("XX")
        with pytest.raises(HTTPStatusError) as failed:
            task("CN")
    assert str(not_found.value) == "404 Not Found"
    assert str(failed.value) == "503 Service Unavailable"
    assert not isinstance(failed.value, NotFound)
    for exc in (not_found.value, failed.value):
        copy = pickle.loads(pickle.dumps(exc))
        assert (type(copy), str(copy)) == (type(exc), str(exc))
    assert list(tmp_path.iterdir()) == []


def test_a_worker_reuses_one_connection(tmp_path: Path) -> None:
    with serving(Behaviour(delay=(0.0, 0.0))) as server, ThreadPoolExecutor(1) as pool:
        task = flag_task(server.base_url, tmp_path)
        list(pool.map(task, POP20_CC[:5]))
    assert len(server.served) == 5
    assert len({s.thread for s in server.served}) == 1  # one handler thread = one connection


@pytest.mark.parametrize(
    "url", ["http://example.com/flags", "http://10.0.0.1:8001/flags", "http://flupy.org/data"]
)
def test_only_loopback_servers_are_accepted(url: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="loopback"):
        flag_task(url, tmp_path)


def test_proxy_settings_cannot_send_requests_elsewhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(var, "http://203.0.113.9:3128")
    with serving(Behaviour(delay=(0.0, 0.0))) as server, ThreadPoolExecutor(1) as pool:
        # A fresh thread, so a fresh client reads the environment now.
        result = pool.submit(flag_task(server.base_url, tmp_path), "JP").result()
    assert result["status"] == 200
    assert [s.client for s in server.served] == ["127.0.0.1"]


def test_a_slow_server_times_out(tmp_path: Path) -> None:
    with serving(Behaviour(delay=(0.5, 0.5))) as server, ThreadPoolExecutor(1) as pool:
        future = pool.submit(flag_task(server.base_url, tmp_path, timeout=0.1), "CN")
        assert isinstance(future.exception(timeout=2), httpx.TimeoutException)


def run_flags(
    behaviour: Behaviour,
    countries: tuple[str, ...],
    strategies: tuple[str, ...],
    dest: Path,
    executor: str = "thread",
    workers: int = 10,
    **hooks,
):
    with serving(behaviour) as server:
        fn = flag_task(server.base_url, dest)
        exp = Experiment(
            [Scenario("flags", countries)], strategies, executor, workers, workload="flags", fn=fn
        )
        return run_experiment(exp, **hooks), server.served


def judged(run, behaviour: Behaviour, latency: float):
    """The run's yardstick: a download's planned latency is its nominal duration, except
    for a worker's first one, which also builds its HTTP client (set-up, not noise)."""
    first = {}
    for task in sorted(run.tasks, key=lambda t: t.started, reverse=True):
        first[task.worker] = task.index
    nominal = [t.ran if first[t.worker] == t.index else behaviour.plan(t.arg)[0] for t in run.tasks]
    return yardstick(run, nominal=nominal, effect=latency)


def test_threads_take_the_max_latency_and_one_worker_the_sum(tmp_path: Path) -> None:
    """The chapter's result: sequential ~ sum of latencies, a thread pool ~ the slowest one."""
    countries = POP20_CC[:8]

    def measure(latency: float):
        behaviour = Behaviour(delay=(latency, 2 * latency), seed=1)
        runs = []
        for workers in (1, 8):
            trace, _ = run_flags(behaviour, countries, ("as_completed",), tmp_path, workers=workers)
            runs += trace.runs
        return behaviour, latency, runs

    def judge(measured) -> None:
        behaviour, latency, runs = measured
        for run in runs:  # one at a time, then all at once: the ideal schedule, step by step
            judged(run, behaviour, latency).check(run)
        latencies = [behaviour.plan(cc)[0] for cc in countries]
        alone, together = (run.summary().makespan for run in runs)
        assert alone >= sum(latencies) and together >= max(latencies)
        assert together < alone / 3  # sum(latencies) > 3 * max(latencies): far apart

    quiet(measure, judge, LATENCY)


def test_map_holds_fast_downloads_behind_a_slow_one(tmp_path: Path) -> None:
    countries = POP20_CC[:6]

    def measure(latency: float):
        behaviour = Behaviour(delay=(latency, 6 * latency), seed=2)
        slowest = max(countries, key=lambda cc: behaviour.plan(cc)[0])
        order = (slowest, *(cc for cc in countries if cc != slowest))
        trace, _ = run_flags(behaviour, order, ("map", "as_completed"), tmp_path)
        return behaviour, latency, trace

    def judge(measured) -> None:
        behaviour, latency, trace = measured
        by_strategy = {run.strategy: run for run in trace}
        mapped, completed = by_strategy["map"], by_strategy["as_completed"]
        ys = judged(mapped, behaviour, latency)
        ys.check(mapped)  # every download delivered with the slow first one
        ys.check_stalls(mapped)
        slow = behaviour.plan(mapped.tasks[0].arg)[0]
        clearly_faster = [t for t in mapped.tasks[1:] if behaviour.plan(t.arg)[0] < slow - latency]
        assert len(clearly_faster) >= 3
        for task in clearly_faster:  # held while the slow one downloads
            assert task.delivered - task.finished > ys.tolerance
        assert mapped.summary().total_stall > 0
        ys = judged(completed, behaviour, latency)
        ys.check(completed)  # each delivered as it finished
        ys.check_stalls(completed)

    quiet(measure, judge, LATENCY)


def test_errors_stop_map_but_not_as_completed(tmp_path: Path) -> None:
    behaviour = Behaviour(delay=(0.02, 0.05), error_rate=0.3, seed=7)
    countries = ("XX", *POP20_CC[:9])
    broken = {cc for cc in countries if behaviour.plan(cc)[1]}
    assert broken - {"XX"}, "seed 7 breaks some real country"
    trace, served = run_flags(behaviour, countries, ("map", "as_completed"), tmp_path)
    mapped, completed = trace.runs
    # map: the first result is an exception, the caller sees it and nothing after.
    assert mapped.error == "NotFound: 404 Not Found"
    assert [t.outcome for t in mapped.tasks] == ["error"] + ["undelivered"] * 9
    assert tally(mapped) == {"not found": 1, "undelivered": 9}
    # as_completed: every download is delivered, each with its own outcome.
    assert completed.error is None
    outcome = {t.arg: (t.outcome, t.error, t.result) for t in completed.tasks}
    assert outcome["XX"] == ("error", "NotFound: 404 Not Found", None)
    for cc in countries[1:]:
        if cc in broken:
            assert outcome[cc] == ("error", "HTTPStatusError: 503 Service Unavailable", None)
        else:
            size = len(flag_gif(cc))
            assert outcome[cc] == ("ok", None, {"status": 200, "bytes": size})
            assert (tmp_path / f"{cc.lower()}.gif").read_bytes() == flag_gif(cc)
    good = len(countries) - 1 - len(broken - {"XX"})
    assert tally(completed) == {"ok": good, "not found": 1, "error": len(broken - {"XX"})}
    assert len(served) == 2 * len(countries)


def test_process_pool_downloads_and_carries_errors_back(tmp_path: Path) -> None:
    behaviour = Behaviour(delay=(0.02, 0.02))
    trace, served = run_flags(
        behaviour, ("CN", "XX", "US"), ("as_completed",), tmp_path, "process", 2
    )
    (run,) = trace.runs
    assert [t.outcome for t in run.tasks] == ["ok", "error", "ok"]
    assert run.tasks[1].error == "NotFound: 404 Not Found"
    assert all("Process" in (t.worker or "") for t in run.tasks)  # ran in child processes
    assert {p.name for p in tmp_path.iterdir()} == {"cn.gif", "us.gif"}
    assert {s.client for s in served} == {"127.0.0.1"}


def test_progress_counts_finished_and_delivered(tmp_path: Path) -> None:
    out = io.StringIO()
    console = Console(file=out, width=120, force_terminal=False)
    behaviour = Behaviour(delay=(0.02, 0.05), seed=7)
    with RunProgress(console) as progress:
        run_flags(
            behaviour,
            ("XX", *POP20_CC[:4]),
            ("map", "as_completed"),
            tmp_path,
            on_run=progress.on_run,
            on_start=progress.on_start,
        )
    text = out.getvalue()
    assert "flags / map" in text and "flags / as_completed" in text
    # map: all five finished, one delivered (the 404 that stopped the caller).
    assert "5/5 finished · 1 delivered" in text
    assert "5/5 finished · 5 delivered" in text
