"""``--executor asyncio``: the futures lesson on one event loop, a semaphore of N as the pool."""

from __future__ import annotations

import itertools
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import UNIT
from helpers.commands import cli as run_cli
from helpers.fixtures import blocked_loop, signals_default
from helpers.timing import quiet, yardstick
from helpers.tracefiles import RESOLUTION

from loiter.analyze.schedule import ideal_for
from loiter.cli import main
from loiter.execute.aio import AS_COMPLETED_FORM
from loiter.execute.runner import Experiment, run_experiment, run_one
from loiter.model import tracefile
from loiter.model.options import Options
from loiter.model.scenarios import Scenario, preset
from loiter.model.trace import CANCELLED, ERROR, OK, TIMED_OUT, UNDELIVERED, Trace
from loiter.render.html.report import payload
from loiter.render.styles import LIGHT
from loiter.workloads.faults import Faults
from loiter.workloads.flags.aiodownload import AsyncFlagTask
from loiter.workloads.flags.countries import POP20_CC
from loiter.workloads.flags.download import tally
from loiter.workloads.flags.images import flag_gif
from loiter.workloads.flags.server import Behaviour, serving

TOLERANCE = 0.03  # seconds; a wrong schedule is off by a whole unit (0.05 s) or more
MIXED = Scenario("mixed", (3, 1, 2, 1, 0, 2))
ON_THE_LOOP = ("gather", "as_completed", "wait", "taskgroup", "sequential")


def loop_run(strategy: str, workers: int = 2, scenario: Scenario = MIXED, **kwargs):
    exp = Experiment([scenario], [strategy], "asyncio", workers, UNIT, **kwargs)
    return run_one(scenario, strategy, exp)


@pytest.mark.parametrize("strategy", ON_THE_LOOP)
def test_every_strategy_on_the_loop_follows_its_ideal_schedule(strategy: str) -> None:
    run = loop_run(strategy, options=Options(consumer_delay=0.02))
    assert run.executor == ("caller" if strategy == "sequential" else "asyncio")
    assert [t.outcome for t in run.tasks] == [OK] * len(MIXED.args)
    assert [t.result for t in run.tasks] == [n * 10 for n in MIXED.args]
    ideal = ideal_for(run)
    assert ideal is not None
    for task, want in zip(run.tasks, ideal, strict=True):
        assert task.submitted <= task.started <= task.finished <= task.delivered
        assert task.started == pytest.approx(want.started, abs=TOLERANCE), task.index
        assert task.finished == pytest.approx(want.finished, abs=TOLERANCE), task.index
        assert task.delivered == pytest.approx(want.delivered, abs=TOLERANCE), task.index
    assert run.loop_blocked == []  # loiter awaits asyncio.sleep: the loop stays free


def test_gather_hands_over_everything_at_once_and_as_completed_as_they_finish() -> None:
    gathered, completed = loop_run("gather"), loop_run("as_completed")
    assert len({t.delivered for t in gathered.tasks}) == 1
    last = max(t.finished for t in gathered.tasks)
    assert last <= gathered.tasks[0].delivered < last + 0.005  # the moment the last one ends
    assert gathered.summary().stalled_tasks == len(MIXED.args) - 1
    by_delivery = sorted(completed.tasks, key=lambda t: t.delivered)
    assert [t.index for t in by_delivery] == [
        t.index for t in sorted(completed.tasks, key=lambda t: t.finished)
    ]
    assert completed.summary().total_stall < 0.005


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_the_semaphore_is_a_fifo_pool_of_slots(workers: int) -> None:
    run = loop_run("as_completed", workers=workers)
    assert {t.worker for t in run.tasks} == {f"s{i + 1}" for i in range(workers)}
    starts = [t.started for t in run.tasks]
    assert starts == sorted(starts)  # first in, first out
    for t in run.tasks:  # never more than N at once
        assert sum(u.started <= t.started < u.finished for u in run.tasks) <= workers
    for slot in {t.worker for t in run.tasks}:  # a slot runs one task at a time
        mine = sorted((t for t in run.tasks if t.worker == slot), key=lambda t: t.started)
        for a, b in itertools.pairwise(mine):
            assert b.started >= a.finished


def test_no_limit_starts_everything_at_once() -> None:
    run = loop_run("gather", workers=0)
    assert max(t.started for t in run.tasks) < 0.01
    assert run.options["limit"] == "unlimited"
    assert run.workers == len(MIXED.args)  # as many ran at once


def test_gather_passes_on_the_first_failure_and_the_others_run_on_unseen() -> None:
    run = loop_run("gather", faults=Faults(fail_at=(1,)))
    failed = run.tasks[1]
    assert failed.outcome == ERROR and failed.delivered is not None
    assert run.error == "TaskFailed: task with argument 1 failed on purpose"
    others = [t for t in run.tasks if t.index != 1]
    assert {t.outcome for t in others} == {UNDELIVERED}
    assert all(t.finished is not None for t in others)  # they ran to the end, unseen
    assert failed.delivered < max(t.finished for t in others)


def test_gather_with_return_exceptions_delivers_the_failure_as_a_value() -> None:
    run = loop_run("gather", faults=Faults(fail_at=(1,)), options=Options(return_exceptions=True))
    assert run.error is None
    assert [t.outcome for t in run.tasks] == [OK, ERROR, OK, OK, OK, OK]
    assert len({t.delivered for t in run.tasks}) == 1


def test_a_failing_task_in_a_taskgroup_cancels_its_siblings() -> None:
    scenario = Scenario("group", (4, 1, 4, 4))
    run = loop_run("taskgroup", workers=4, scenario=scenario, faults=Faults(fail_at=(1,)))
    assert run.error is not None and run.error.startswith("ExceptionGroup")
    assert run.tasks[1].outcome == ERROR
    for t in (run.tasks[0], run.tasks[2], run.tasks[3]):
        assert t.outcome == CANCELLED
        assert t.finished == pytest.approx(run.tasks[1].finished, abs=TOLERANCE)  # cut short


def test_timeout_gives_up_on_what_has_not_come() -> None:
    run = loop_run(
        "as_completed", scenario=Scenario("late", (6, 1, 1)), options=Options(timeout=0.15)
    )
    assert run.error == "TimeoutError: the caller stopped waiting"
    assert run.tasks[0].outcome == TIMED_OUT
    assert run.tasks[0].finished == pytest.approx(6 * UNIT, abs=TOLERANCE)  # ran on, unseen
    assert [t.outcome for t in run.tasks[1:]] == [OK, OK]


def test_a_blocking_task_freezes_the_loop_and_the_lag_shows_it() -> None:
    """spin never awaits: while it burns the CPU no other task, and no caller, can run."""
    run = loop_run("as_completed", workers=3, scenario=Scenario("cpu", (2, 1, 2)), workload="spin")
    busy = (min(t.started for t in run.tasks), max(t.finished for t in run.tasks))
    assert run.loop_blocked, "the loop's measured lag saw nothing"
    covered = sum(b - a for a, b in run.loop_blocked)
    assert covered > 0.8 * (busy[1] - busy[0])
    starts = sorted(t.started for t in run.tasks)
    for a, b in itertools.pairwise(sorted(run.tasks, key=lambda t: t.started)):
        assert b.started >= a.finished - 0.001  # one after another: the slots did not help
    # The caller could take no result while the loop was blocked: all come at the end.
    assert min(t.delivered for t in run.tasks) >= busy[1] - 0.002
    assert starts[0] < 0.01


def test_a_plain_function_runs_in_a_thread_and_a_coroutine_function_is_awaited() -> None:
    plain = loop_run("gather", workers=3, scenario=Scenario("x", (0.1, 0.1)), workload="time:sleep")
    assert plain.loop_blocked == []
    assert [t.outcome for t in plain.tasks] == [OK, OK]
    assert max(t.finished for t in plain.tasks) < 0.1 + TOLERANCE  # side by side, in threads
    awaited = loop_run("gather", scenario=Scenario("x", (0.1, 0.1)), workload="asyncio:sleep")
    assert [t.outcome for t in awaited.tasks] == [OK, OK]


def cli(argv: list[str], capsys) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    out, err = capsys.readouterr()
    return exit_.value.code, out, err


def test_the_command_line_runs_asyncio_with_its_own_strategies(tmp_path, capsys) -> None:
    argv = ["-e", "asyncio", "--scenario", "slow-first", "--unit", "0.02", "-q"]
    code, _, err = cli([*argv, "--out", str(tmp_path)], capsys)
    assert code == 0, err
    trace = tracefile.load(tmp_path / "loiter-asyncio-3w.json")
    assert [r.strategy for r in trace] == ["gather", "as_completed"]
    assert {r.executor for r in trace} == {"asyncio"}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["-e", "asyncio", "-s", "map"], "--strategy map runs on --executor thread"),
        (["-e", "thread", "-s", "gather"], "--strategy gather runs on --executor asyncio"),
        (["-e", "process", "-w", "0"], "0 (no limit) is only for --executor asyncio"),
        (["-e", "asyncio", "--chunksize", "4"], "--chunksize is for --strategy map"),
        (["-e", "asyncio", "-s", "dask_native"], "--strategy dask_native need --executor dask"),
        (["-e", "asyncio", "--crash-at", "1"], "--crash-at"),
        (["-e", "asyncio", "--workload", "json:nope"], "--workload"),
        (["-e", "asyncio", "--workload", "flags", "--durations", "1,2"], "--durations"),
        (
            ["-e", "asyncio", "-s", "as_completed", "--return-exceptions"],
            "is for --strategy gather",
        ),
    ],
)
def test_what_asyncio_does_not_have_is_refused(tmp_path, capsys, argv, message) -> None:
    code, _, err = cli([*argv, "--out", str(tmp_path / "o")], capsys)
    assert code == 2
    assert message in err and len(err.splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test_the_chart_marks_the_blocked_loop(tmp_path) -> None:
    from loiter.render.gantt import build

    run = loop_run("gather", workers=2, scenario=Scenario("cpu", (2, 2)), workload="spin")
    fig, (panel,) = build(run)
    spans = [c for c in panel.ax.collections if c.get_gid() == "loop-blocked"]
    assert len(spans) == 1 and len(spans[0].get_paths()) == len(run.loop_blocked)
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "event loop blocked (its measured lag)" in labels
    verdict = [t.get_text() for t in panel.ax.texts if t.get_gid() == "verdict"]
    assert "the event loop was blocked" in verdict[0]


@pytest.mark.slow
def test_ctrl_c_on_the_loop_saves_what_ran(tmp_path) -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "loiter",
            "-e",
            "asyncio",
            "-d",
            "40,40",
            "-u",
            "0.25",
            "-s",
            "gather",
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=signals_default,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().startswith("loiter-viz: 1 run(s)")
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=10)
    assert proc.returncode == 130, err
    (run,) = tracefile.load(tmp_path / "plots" / "loiter-asyncio-3w.json").runs
    assert run.error == "interrupted"
    assert all(t.started is not None and t.delivered is None for t in run.tasks)


def test_as_completed_uses_the_form_this_python_has_and_says_which() -> None:
    """3.13 made as_completed an async iterator of the tasks themselves; the run records it."""
    want = (
        "async for task in asyncio.as_completed(tasks)"
        if sys.version_info >= (3, 13)
        else "for next_done in asyncio.as_completed(tasks)"
    )
    assert want == AS_COMPLETED_FORM
    run = loop_run("as_completed", faults=Faults(fail_at=(3,)))
    assert run.options["as_completed"] == want
    assert "as_completed" not in loop_run("gather").options
    # either form: each result (the failure too) as its task finishes, nothing left behind
    assert run.error is None
    assert [t.outcome for t in run.tasks] == [OK, OK, OK, ERROR, OK, OK]
    by_delivery = sorted(run.tasks, key=lambda t: t.delivered)
    assert by_delivery == sorted(run.tasks, key=lambda t: t.finished)
    assert all(t.delivered - t.finished < TOLERANCE for t in run.tasks)


# -- the chapter's asyncio flags download against the embedded server

LATENCY = 0.1  # a wrong schedule is off by one latency or more


def async_flags(behaviour: Behaviour, countries, strategies, dest: Path, workers: int = 3):
    with serving(behaviour) as server:
        fn = AsyncFlagTask(server.base_url, dest)
        exp = Experiment(
            [Scenario("flags", tuple(countries))], strategies, "asyncio", workers,
            workload="flags", fn=fn,
        )  # fmt: skip
        return run_experiment(exp), server.served


def test_async_flags_follow_the_ideal_schedule_of_their_slots(tmp_path: Path) -> None:
    """gather: every flag at the last download's end; as_completed: each as it lands. A slot's
    first download also opens its connection (set-up, not noise), as a worker's does."""
    countries = POP20_CC[:8]

    def measure(latency: float):
        behaviour = Behaviour(delay=(latency, 3 * latency), seed=1)
        trace, _ = async_flags(behaviour, countries, ("gather", "as_completed"), tmp_path)
        return behaviour, latency, trace

    def judge(measured) -> None:
        behaviour, latency, trace = measured
        for run in trace:
            first = {}
            for task in sorted(run.tasks, key=lambda t: t.started, reverse=True):
                first[task.worker] = task.index
            nominal = [
                t.ran if first[t.worker] == t.index else behaviour.plan(t.arg)[0] for t in run.tasks
            ]
            ys = yardstick(run, nominal=nominal, effect=latency)
            ys.check(run)
            ys.check_stalls(run)
        gathered, completed = trace.runs
        assert len({t.delivered for t in gathered.tasks}) == 1
        assert gathered.summary().stalled_tasks == len(countries) - 1
        assert completed.summary().total_stall < latency / 2

    quiet(measure, judge, LATENCY)


def test_async_flags_share_one_client_and_count_each_outcome(tmp_path: Path) -> None:
    behaviour = Behaviour(delay=(0.02, 0.05), error_rate=0.3, seed=7)
    countries = ("XX", *POP20_CC[:9])
    broken = {cc for cc in countries if behaviour.plan(cc)[1]} - {"XX"}
    assert broken, "seed 7 breaks some real country"
    trace, served = async_flags(behaviour, countries, ("gather", "as_completed"), tmp_path)
    gathered, completed = trace.runs
    # gather: the first exception reaches the caller; the other downloads went on unseen
    assert gathered.error in ("NotFound: 404 Not Found", "HTTPStatusError: 503 Service Unavailable")
    assert sum(t.delivered is not None for t in gathered.tasks) == 1
    assert all(t.finished is not None for t in gathered.tasks)
    # as_completed: every download delivered with its own outcome, counted as the book does
    outcome = {t.arg: (t.outcome, t.error, t.result) for t in completed.tasks}
    assert outcome["XX"] == (ERROR, "NotFound: 404 Not Found", None)
    for cc in countries[1:]:
        if cc in broken:
            assert outcome[cc] == (ERROR, "HTTPStatusError: 503 Service Unavailable", None)
        else:
            assert outcome[cc] == (OK, None, {"status": 200, "bytes": len(flag_gif(cc))})
            assert (tmp_path / f"{cc.lower()}.gif").read_bytes() == flag_gif(cc)
    good = len(countries) - 1 - len(broken)
    assert tally(completed) == {"ok": good, "not found": 1, "error": len(broken)}
    assert len(served) == 2 * len(countries)
    # One AsyncClient per run, its connections reused: at most a connection per slot
    # (the server answers each connection on a thread of its own), never one per download.
    half = len(countries)
    for requests in (served[:half], served[half:]):
        assert 1 <= len({s.thread for s in requests}) <= 3
    assert {s.client for s in served} == {"127.0.0.1"}


def test_the_command_line_downloads_flags_on_the_loop(tmp_path: Path) -> None:
    result = run_cli(
        "--workload", "flags", "-e", "asyncio", "--workers", "2", "--countries", "cn,XX,us,br",
        "--delay", "0.02,0.04", "--error-rate", "0.5", "--seed", "3", "-s", "as_completed",
        "--downloads", "dl", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    (run,) = tracefile.load(tmp_path / "plots" / "flags-asyncio-2w.json").runs
    assert (run.executor, run.workload, run.workers) == ("asyncio", "flags", 2)
    assert run.options["delay"] == [0.02, 0.04] and run.options["error_rate"] == 0.5
    assert {t.worker for t in run.tasks} == {"s1", "s2"}
    behaviour = Behaviour((0.02, 0.04), 0.5, 3)
    for task in run.tasks:
        failed = task.arg == "XX" or behaviour.plan(task.arg)[1]
        assert (task.outcome == ERROR) == failed, task
        assert task.ran >= behaviour.plan(task.arg)[0]  # the server's --delay, awaited
    saved = sorted(p.name for p in (tmp_path / "dl").iterdir())
    assert saved == sorted(f"{t.arg.lower()}.gif" for t in run.tasks if t.outcome == OK)
    assert "4/4 finished" in result.stdout


# -- the blocked loop in the trace file and the report


def test_the_trace_file_keeps_the_blocked_loop(tmp_path: Path) -> None:
    run = loop_run("gather", workers=2, scenario=Scenario("cpu", (2, 2)), workload="spin")
    assert run.loop_blocked
    saved = tracefile.load(tracefile.save(Trace([run]), tmp_path / "t.json"))
    flat = [x for span in run.loop_blocked for x in span]
    assert [x for span in saved.runs[0].loop_blocked for x in span] == pytest.approx(
        flat, abs=RESOLUTION
    )


@pytest.mark.parametrize(
    ("spans", "message"),
    [
        ([[0.3, 0.1]], "runs[0].loop_blocked[0] to (0.1) is before its from (0.3)"),
        ([[0.0, 0.2], [0.5, 0.4]], "runs[0].loop_blocked[1] to (0.4) is before its from (0.5)"),
        ([[0.0, 1e8]], "runs[0].loop_blocked[0] to must be within ±1e+07 s, got 100000000.0"),
        ([[-1e9, 0.0]], "runs[0].loop_blocked[0] from must be within ±1e+07 s"),
        ([[0.0, float("inf")]], "loop_blocked[0]"),  # written 1e400: no infinity slips in
        ([[0.1]], "loop_blocked[0]"),
        ([["soon", 0.2]], "loop_blocked[0]"),
        ({"from": 0}, "loop_blocked"),
    ],
)
def test_a_blocked_loop_that_cannot_have_happened_rejects_the_file(
    tmp_path, capsys, spans, message
) -> None:
    data = json.loads(tracefile.dumps(Trace([blocked_loop()]), version=1))  # fields by name
    data["runs"][0]["loop_blocked"] = spans
    text = json.dumps(data).replace("Infinity", "1e400")
    with pytest.raises(tracefile.TraceError) as caught:
        tracefile.loads(text)
    assert message in str(caught.value) and "\n" not in str(caught.value)
    bad = tmp_path / "bad.json"
    bad.write_text(text)
    code, _, err = cli(["plot", str(bad), "-o", str(tmp_path / "x.png")], capsys)
    assert code == 1 and "loop_blocked" in err and len(err.splitlines()) == 1  # a bad file
    assert not (tmp_path / "x.png").exists()


def test_the_report_draws_the_blocked_loop_over_the_caller_lane() -> None:
    data = payload(Trace([blocked_loop()]), style=LIGHT, lanes="tasks", title=None)
    (run,) = data["runs"]
    # microsecond steps from the previous one: from 0 and 0.25 s, to 0.2 and 0.5 s
    assert run["loopBlocked"] == {"from": [0, 250_000], "to": [200_000, 300_000]}
    assert "event loop blocked (its measured lag)" in [e["label"] for e in data["legend"]]
    assert data["title"] == "spin on an asyncio event loop, 3 slots, unit 0.1s"
    assert "the event loop was blocked 450ms" in run["verdict"]
    pool = payload(Trace([loop_run("gather")]), style=LIGHT, lanes="tasks", title=None)
    assert pool["runs"][0]["loopBlocked"] == {"from": [], "to": []}
    assert "event loop blocked (its measured lag)" not in [e["label"] for e in pool["legend"]]


def test_from_python_asyncio_has_its_own_strategies_and_runs_inside_a_running_loop() -> None:
    import asyncio

    import loiter

    trace = loiter.run([2, 1], executor="asyncio", workers=2, unit=UNIT)
    assert [r.strategy for r in trace] == ["gather", "as_completed"]
    with pytest.raises(ValueError, match=r"strategy 'map' runs on executor .*, not asyncio"):
        loiter.run([1], strategies=["map"], executor="asyncio")
    (plain,) = loiter.run([0.1, 0.1], strategies=["gather"], executor="asyncio", fn=time.sleep)
    assert [t.outcome for t in plain.tasks] == [OK, OK]  # not awaited: run via to_thread
    assert max(t.finished for t in plain.tasks) < 0.1 + TOLERANCE  # side by side

    async def in_a_notebook():  # Jupyter's loop is running: the run gets a loop of its own
        return loiter.run([2, 1], strategies=["gather"], executor="asyncio", unit=UNIT)

    (run,) = asyncio.run(in_a_notebook()).runs
    assert [t.outcome for t in run.tasks] == [OK, OK]
    assert run.tasks[0].finished == pytest.approx(2 * UNIT, abs=TOLERANCE)


@pytest.mark.parametrize(
    ("scenario", "workers"),
    [(preset("slow-first", 0), 3), (Scenario("custom", (1, 3, 2, 1, 2)), 2)],
)
def test_slots_match_the_ideal_fifo_pool_judged_on_the_runs_own_noise(scenario, workers) -> None:
    """The issue's check: gather delivers everything at the last finish, as_completed at each."""

    def measure(unit: float):
        runs = []
        for strategy in ("gather", "as_completed"):
            exp = Experiment([scenario], [strategy], "asyncio", workers, unit)
            runs.append(run_one(scenario, strategy, exp))
        return runs

    def judge(runs) -> None:
        for run in runs:
            ys = yardstick(run)
            ys.check(run)
            ys.check_stalls(run)

    gathered, completed = quiet(measure, judge, 0.1)
    assert len({t.delivered for t in gathered.tasks}) == 1
    assert completed.summary().first_result < gathered.summary().first_result
