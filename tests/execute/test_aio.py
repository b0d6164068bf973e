"""``--executor asyncio``: the futures lesson on one event loop, a semaphore of N as the pool."""

from __future__ import annotations

import itertools
import signal
import subprocess
import sys
import time

import pytest
from helpers import UNIT
from helpers.fixtures import sigint_default

from loiter.analyze.schedule import ideal_for
from loiter.cli import main
from loiter.execute.runner import Experiment, run_one
from loiter.model import tracefile
from loiter.model.options import Options
from loiter.model.scenarios import Scenario
from loiter.model.trace import CANCELLED, ERROR, OK, TIMED_OUT, UNDELIVERED
from loiter.workloads.faults import Faults

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
        preexec_fn=sigint_default,
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
