"""The strategy, workload and failure options from the command line, and ``predict``."""

from __future__ import annotations

import sys
import time

import pytest
from helpers.commands import cli
from helpers.fixtures import slow_first_map
from helpers.timing import quiet, yardstick

from loiter.analyze.fidelity import fidelity
from loiter.analyze.schedule import ideal_for
from loiter.model import tracefile
from loiter.model.trace import Trace
from loiter.workloads.functions import WorkloadError, check_importable


def test_predict_draws_without_running(tmp_path) -> None:
    began = time.monotonic()
    # 30 s units: a real run would take minutes; the prediction is instant.
    result = cli(
        "predict",
        "--scenario",
        "slow-first",
        "--strategy",
        "map,as_completed,bounded,sequential",
        "--buffersize",
        "1",
        "--unit",
        "30",
        "--out",
        str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - began < 30
    chart = tmp_path / "predict-thread-3w.png"
    assert chart.read_bytes().startswith(b"\x89PNG")
    trace = tracefile.load(chart.with_suffix(".json"))
    assert [r.strategy for r in trace] == ["map", "as_completed", "bounded", "sequential"]
    assert all(r.options["predicted"] for r in trace)
    by = {r.strategy: r for r in trace}
    assert [t.delivered for t in by["map"].tasks] == [120.0] * 5
    assert by["sequential"].summary().makespan == 300.0
    assert by["bounded"].options["buffersize"] == 1
    assert "slow-first / bounded" in result.stdout and "makespan" in result.stdout


def test_failing_task_is_in_the_trace_and_the_summary(tmp_path) -> None:
    result = cli(
        "--durations",
        "1,2,3,1",
        "--fail-at",
        "1",
        "--strategy",
        "map,as_completed",
        "--unit",
        "0.02",
        "--workers",
        "2",
        "--out",
        str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    assert "custom / map: the caller got TaskFailed: task with argument 2" in result.stdout
    assert "custom / as_completed: #1 raised TaskFailed: task with argument 2" in result.stdout
    trace = tracefile.load(tmp_path / "loiter-thread-2w.json")
    map_run, ac_run = trace.runs
    assert map_run.error.startswith("TaskFailed") and ac_run.error is None
    assert [t.outcome for t in ac_run.tasks] == ["ok", "error", "ok", "ok"]
    assert map_run.tasks[1].error == "TaskFailed: task with argument 2 failed on purpose"


def test_dead_worker_ends_with_one_clear_line_and_a_valid_trace(tmp_path) -> None:
    result = cli(
        "--executor",
        "process",
        "--durations",
        "1,2,4",
        "--crash-at",
        "1",
        "--strategy",
        "map",
        "--unit",
        "0.02",
        "--workers",
        "2",
        "-q",
        "--out",
        str(tmp_path),
    )
    assert result.returncode == 1
    (line,) = result.stderr.splitlines()
    assert "worker process died" in line and "BrokenProcessPool" in line
    assert "Traceback" not in result.stderr
    trace = tracefile.load(tmp_path / "loiter-process-2w.json")
    assert trace.runs[0].options == {"crash_at": [1], "start_method": "fork"}  # no thread yet
    assert (tmp_path / "loiter-process-2w.png").exists()


def test_users_own_function_with_args(tmp_path) -> None:
    (tmp_path / "mytasks.py").write_text(
        "import time\n\ndef shout(word):\n    time.sleep(0.01)\n    return word.upper()\n"
    )
    (tmp_path / "words.txt").write_text("spam\neggs\n\nham\n")
    result = cli(
        "--workload",
        "mytasks:shout",
        "--args",
        "@words.txt",
        "--executor",
        "process",
        "--strategy",
        "as_completed",
        "-q",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    (run,) = tracefile.load(tmp_path / "plots" / "loiter-process-3w.json").runs
    assert run.workload == "mytasks:shout"
    assert [(t.arg, t.result) for t in run.tasks] == [
        ("spam", "SPAM"),
        ("eggs", "EGGS"),
        ("ham", "HAM"),
    ]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--workload", "nosuchmodule:f", "--args", "1"], "cannot import module 'nosuchmodule'"),
        (["--workload", "json:nosuch", "--args", "1"], "has no attribute 'nosuch'"),
        (["--workload", "json"], "not one of loiter, spin or a module:function"),
        (["--workload", "json:__doc__", "--args", "1"], "is not callable"),
        (["--args", "1,2"], "--args is for a module:function workload"),
        (["--workload", "json:dumps", "--args", "1", "-d", "1"], "either --args or"),
        (["--args", "@/nonexistent/file"], "--args"),
        (["--crash-at", "1"], "--crash-at needs --executor process"),
        (["-e", "process", "--crash-at", "1", "-s", "sequential"], "sequential"),
        (["--fail-at", "7"], "task 7 does not exist (indices 0 to 4)"),
        (["--fail-at", "x"], "--fail-at"),
        (["--error-rate", "1.5"], "--error-rate"),
        (["--chunksize", "0"], "--chunksize"),
        (["--buffersize", "0"], "--buffersize"),
        (["--consumer-delay", "-1"], "--consumer-delay"),
        (["--timeout", "0"], "--timeout"),
        (["predict", "--fail-at", "1"], "--fail-at"),
    ],
)
def test_bad_strategy_options_are_one_line_and_exit_2(args: list[str], needle: str) -> None:
    result = cli(*args)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("loiter-viz: error:") and needle in lines[0]


def _local_function() -> None:
    def inner(x):  # not picklable: worker processes could never get it
        return x

    return inner


def test_functions_worker_processes_cannot_import_are_refused(monkeypatch) -> None:
    with pytest.raises(WorkloadError, match="cannot be sent to worker processes"):
        check_importable(_local_function(), "fork")

    def in_main(x):
        return x

    in_main.__module__ = "__main__"
    in_main.__qualname__ = "in_main"
    monkeypatch.setattr(sys.modules["__main__"], "in_main", in_main, raising=False)
    check_importable(in_main, "fork")  # a forked worker has __main__ as the caller had it
    for method in ("spawn", "forkserver"):  # whatever the process-wide default is
        with pytest.raises(WorkloadError, match=rf"defined in __main__.*'{method}' cannot import"):
            check_importable(in_main, method)


def test_ideal_draws_ghosts_behind_the_measured_bars() -> None:
    from helpers.artists import collection, spans

    from loiter.analyze.schedule import ideal_for
    from loiter.render.gantt import figure_for

    run = slow_first_map()
    run.tasks[3].started, run.tasks[3].finished = 2.25, 3.25  # measured late
    fig = figure_for(run, ideal=ideal_for)
    ax = fig.axes[0]
    ghosts = collection(ax, "ideal")
    assert spans(ghosts) == [(0, 0, 4), (1, 0, 3), (2, 0, 2), (3, 2, 3), (4, 3, 3)]
    (delivered,) = [line for line in ax.lines if line.get_gid() == "ideal-delivered"]
    assert list(delivered.get_xdata()) == [4, 4, 4, 4, 4]
    assert "ideal schedule (no overhead)" in [t.get_text() for t in fig.legends[0].get_texts()]
    assert collection(figure_for(run).axes[0], "ideal") is None


def test_ideal_option_prints_fidelity(tmp_path) -> None:
    def measure(unit: float):
        args = ["--scenario", "slow-first", "--strategy", "map,as_completed", "--unit", str(unit)]
        return cli(*args, "--ideal", "--out", str(tmp_path))

    def judge(result) -> None:
        assert result.returncode == 0, result.stderr
        out = result.stdout
        assert "Measured vs ideal schedule" in out and "makespan ×ideal" in out
        table = out[out.index("Measured vs ideal") :]
        rows = [line for line in table.splitlines() if "slow-first" in line]
        runs = tracefile.load(tmp_path / "loiter-thread-3w.json").runs
        assert len(rows) == len(runs) == 2
        for row, run in zip(rows, runs):
            # The printed deviations are the run's own, from its ideal schedule...
            f = fidelity(run, ideal_for(run))
            cells = [c.strip() for c in row.strip("│ ").split("│")]
            want = [f.start_max, f.start_p95, f.deliver_max, f.deliver_p95, f.makespan_ratio]
            assert cells[:2] == [run.strategy, run.scenario]
            # (as printed: seconds to 3 decimals, the ratio to 2)
            assert [float(c) for c in cells[2:7]] == pytest.approx(want, abs=0.0051)
            # ...and the run followed that schedule, judged on its own noise (tests/timing.py).
            yardstick(run).check(run)
        assert (tmp_path / "loiter-thread-3w.png").read_bytes().startswith(b"\x89PNG")

    quiet(measure, judge, 0.05)


def test_plot_ideal_recomputes_the_schedule_from_the_saved_options(tmp_path) -> None:
    saved = tmp_path / "run.json"
    tracefile.save(Trace([slow_first_map()]), saved)
    result = cli("plot", str(saved), "--ideal", "-o", str(tmp_path / "run.svg"))
    assert result.returncode == 0, result.stderr
    assert "ideal schedule (no overhead)" in (tmp_path / "run.svg").read_text()
