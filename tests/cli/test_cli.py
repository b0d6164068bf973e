"""The command line as a user meets it: real processes, exit codes, files, one-line errors."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from helpers.commands import cli
from helpers.timing import quiet, yardstick

from loiter.model import tracefile


@pytest.fixture(scope="module")
def default_run(tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path]:
    """The main job on its defaults (book + slow-first, map vs as_completed), short unit."""
    cwd = tmp_path_factory.mktemp("run")
    return cli("--workers", "3", "--unit", "0.05", cwd=cwd), cwd


def test_default_run_writes_chart_and_trace_into_plots(default_run) -> None:
    result, cwd = default_run
    assert result.returncode == 0, result.stderr
    png = cwd / "plots" / "loiter-thread-3w.png"
    trace_file = png.with_suffix(".json")
    assert png.read_bytes().startswith(b"\x89PNG")
    assert str(Path("plots") / "loiter-thread-3w.png") in result.stdout
    assert str(Path("plots") / "loiter-thread-3w.json") in result.stdout
    trace = tracefile.load(trace_file)
    assert [(r.scenario, r.strategy) for r in trace] == [
        ("book", "map"),
        ("book", "as_completed"),
        ("slow-first", "map"),
        ("slow-first", "as_completed"),
    ]


def test_default_run_stalls_only_where_map_holds_results(tmp_path) -> None:
    """slow-first under map stalls; as_completed and the book's map (already in completion
    order) do not: each run's stalls are its ideal ones, within its own noise."""

    def measure(unit: float):
        result = cli("--workers", "3", "--unit", str(unit), "-q", cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        return tracefile.load(tmp_path / "plots" / "loiter-thread-3w.json")

    def judge(trace) -> None:
        for run in trace:
            yardstick(run).check_stalls(run)
        stall = {(r.scenario, r.strategy): r.summary().total_stall for r in trace}
        assert stall[("slow-first", "map")] > 4 * trace.runs[0].unit

    quiet(measure, judge, 0.05)


def test_default_run_prints_summary_and_task_tables(default_run) -> None:
    result, _ = default_run
    out = result.stdout
    assert "slow-first / map" in out and "book / as_completed" in out
    for header in ("makespan", "1st result", "stall", "stalled", "submit", "deliver", "worker"):
        assert header in out
    assert result.stderr == ""


def test_plot_rerenders_a_saved_trace(default_run, tmp_path) -> None:
    _, cwd = default_run
    out = tmp_path / "again.svg"
    result = cli("plot", str(cwd / "plots" / "loiter-thread-3w.json"), "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(out)
    assert out.read_text().lstrip().startswith("<?xml")


def test_quiet_process_run_with_custom_durations(tmp_path) -> None:
    result = cli(
        "--executor",
        "process",
        "--durations",
        "3,1,2",
        "--strategy",
        "map",
        "--unit",
        "0.05",
        "--format",
        "svg",
        "--quiet",
        "--out",
        str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines == [
        str(tmp_path / "loiter-process-3w.json"),
        str(tmp_path / "loiter-process-3w.svg"),
    ]
    run = tracefile.load(lines[0]).runs[0]
    assert run.executor == "process" and run.scenario == "custom"
    assert [t.arg for t in run.tasks] == [3, 1, 2]
    assert all(
        t.worker is not None
        and t.worker.startswith(("ForkProcess", "SpawnProcess", "ForkServerProcess"))
        for t in run.tasks
    )


def test_trace_option_and_shuffled_seed(tmp_path) -> None:
    target = tmp_path / "deep" / "mine.json"
    result = cli(
        "--scenario",
        "shuffled",
        "--seed",
        "3",
        "--strategy",
        "as_completed",
        "--unit",
        "0.02",
        "-q",
        "--out",
        str(tmp_path),
        "--trace",
        str(target),
    )
    assert result.returncode == 0, result.stderr
    trace = tracefile.load(target)
    assert sorted(t.arg for t in trace.runs[0].tasks) == [0, 1, 2, 3, 4]


def test_help_shows_examples_and_commands() -> None:
    result = cli("--help")
    assert result.returncode == 0
    assert "Examples:" in result.stdout and "--workers" in result.stdout
    assert "plot" in result.stdout


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--workers", "0"], "--workers"),
        (["--workers", "-1"], "--workers"),
        (["--workers", "many"], "--workers"),
        (["--workers", "100000"], "--workers"),
        (["--unit", "0"], "--unit"),
        (["--unit", "-1"], "--unit"),
        (["--unit", "nan"], "--unit"),
        (["--unit", "inf"], "--unit"),
        (["--unit", "fast"], "--unit"),
        (["--durations", ""], "--durations"),
        (["--durations", "1,-2"], "--durations"),
        (["--durations", "1,x"], "--durations"),
        (["--durations", "nan"], "--durations"),
        (["--executor", "gpu"], "--executor"),
        (["--strategy", "map,telepathy"], "--strategy"),
        (["--strategy", ","], "--strategy"),
        (["--scenario", "nope"], "--scenario"),
        (["--format", "bmp"], "--format"),
        (["--durations", "1,2", "--scenario", "book"], "--durations or --scenario"),
        (["--frobnicate"], "--frobnicate"),
        (["plot"], "TRACE_FILE"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: list[str], needle: str) -> None:
    result = cli(*args)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("loiter-viz: error:") and needle in lines[0]
    assert "Traceback" not in result.stderr


def test_unreadable_or_corrupt_trace_is_one_line_and_exit_1(tmp_path) -> None:
    corrupt = tmp_path / "bad.json"
    corrupt.write_text('{"format": "loiter-trace", "version": 1, "runs": [{"tasks": 3}]}')
    for path in (tmp_path / "missing.json", corrupt):
        result = cli("plot", str(path))
        assert result.returncode == 1
        assert len(result.stderr.splitlines()) == 1
        assert str(path) in result.stderr and "Traceback" not in result.stderr


def test_output_folder_problems_fail_before_running(tmp_path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = cli("--out", str(blocker), "--unit", "0.02")
    assert result.returncode == 1
    assert "exists and is not a folder" in result.stderr
    assert len(result.stderr.splitlines()) == 1
    if os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        result = cli("--out", str(locked), "--unit", "0.02")
        assert result.returncode == 1 and "cannot write" in result.stderr
