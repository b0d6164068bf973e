"""However loiter-viz is stopped, what ran is saved first, and the exit code says which signal."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers.fixtures import signals_default

from loiter.cli import main
from loiter.model import tracefile

LONG = ["--durations", "40,40", "--unit", "0.25", "--strategy", "map"]


def start(
    argv: list[str], cwd: Path, preexec: Callable[[], None] = signals_default
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "loiter", *argv],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=preexec,
    )


def wait_until_running(proc: subprocess.Popen[str]) -> list[int]:
    """Until the run has begun (its first line is printed just before); the worker pids."""
    assert proc.stdout is not None
    assert proc.stdout.readline().startswith("loiter-viz: 1 run(s)")
    time.sleep(1.0)  # the pool is made and warmed up, the clock has started
    return _children(proc.pid)


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead but not yet reaped by its (dead) parent's reaper.
    with open(f"/proc/{pid}/stat") as fh:
        return fh.read().split(")")[-1].split()[0] != "Z"


@pytest.mark.slow
@pytest.mark.parametrize("executor", ["thread", "process"])
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_signal_during_a_run_saves_the_partial_trace(tmp_path, executor, sig) -> None:
    proc = start([*LONG, "--executor", executor], tmp_path)
    workers = wait_until_running(proc)
    if executor == "process":
        assert len(workers) >= 3
    began = time.monotonic()
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=10)
    assert time.monotonic() - began < 3, "stopping took longer than the grace period"
    assert proc.returncode == 128 + sig, err
    assert "Traceback" not in err
    path = tmp_path / "plots" / f"loiter-{executor}-3w.json"
    reason = "interrupted" if sig == signal.SIGINT else f"stopped by {signal.Signals(sig).name}"
    assert err.strip().splitlines() == [
        f"loiter-viz: error: {reason}; partial trace saved to {path.relative_to(tmp_path)}"
    ]
    (run,) = tracefile.load(path).runs
    assert run.error is not None and run.error.startswith(("interrupted", "stopped by"))
    assert [t.delivered for t in run.tasks] == [None, None]  # 10 s tasks, stopped early
    assert all(t.submitted is not None for t in run.tasks)
    deadline = time.monotonic() + 3
    while any(alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [w for w in workers if alive(w)], "a worker outlived loiter-viz"


def nohup() -> None:
    """``Popen(preexec_fn=...)``: SIGHUP ignored, as ``nohup`` starts a command."""
    signals_default()
    signal.signal(signal.SIGHUP, signal.SIG_IGN)


def test_under_nohup_a_hangup_is_ignored_as_asked(tmp_path) -> None:
    """SIGHUP inherited as ignored stays ignored (the run ends normally); SIGTERM still stops."""
    argv = ["--durations", "6,6", "--unit", "0.25", "--strategy", "map", "--quiet"]
    for sig, code in ((signal.SIGHUP, 0), (signal.SIGTERM, 128 + signal.SIGTERM)):
        proc = start(argv, tmp_path, nohup)
        time.sleep(1.0)  # running: 1.5 s of tasks
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=20)
        assert proc.returncode == code, err
        (run,) = tracefile.load(tmp_path / "plots" / "loiter-thread-3w.json").runs
        delivered = [t.delivered is not None for t in run.tasks]
        assert delivered == ([True, True] if sig == signal.SIGHUP else [False, False])


@pytest.mark.slow
def test_ctrl_c_during_a_sweep_keeps_the_runs_already_done(tmp_path) -> None:
    argv = ["sweep", "--workers", "1-40", "-e", "thread", "-s", "map", "-d", "1", "--unit", "0.2"]
    proc = start([*argv, "-q"], tmp_path)
    time.sleep(3)  # 40 runs of a 0.2 s task each: a few are done, many are to come
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=10)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "RunStopped" not in err
    runs = tracefile.load(tmp_path / "plots" / "sweep-loiter-1-40w.json").runs
    assert 1 <= len(runs) < 40
    assert [r.workers for r in runs] == list(range(1, len(runs) + 1))
    assert all(r.error is None for r in runs[:-1])  # whole runs; the last may be partial
    assert runs[-1].error in (None, "interrupted")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
@pytest.mark.parametrize("where", ["tables", "chart"])
def test_a_signal_after_the_runs_still_leaves_the_trace(
    tmp_path, monkeypatch, capsys, signum, where
) -> None:
    """The runs are over and the tables (or the chart) are being made: the trace is on disk."""
    from loiter.cli.errors import Terminated

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt if signum == signal.SIGINT else Terminated(signum)

    if where == "tables":
        monkeypatch.setattr("loiter.render.terminal.tables.Summaries.__init__", interrupted)
    else:
        monkeypatch.setattr("loiter.cli.outputs.save_chart", interrupted)
    trace = tmp_path / "t.json"
    argv = ["--durations", "0,1", "--unit", "0.01", "--trace", str(trace), "--out", str(tmp_path)]
    with pytest.raises(SystemExit) as exit_:
        main(argv if where == "tables" else [*argv, "-q"])
    err = capsys.readouterr().err
    assert exit_.value.code == 128 + signum, err
    assert err.strip().splitlines()[-1].endswith(f"; trace saved to {trace}")
    assert len(tracefile.load(trace).runs) == 2
    assert not (tmp_path / "loiter-thread-3w.png").exists() or where == "tables"


def test_main_gives_back_the_signal_handlers_it_set(tmp_path, capsys) -> None:
    before = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGHUP)}
    with pytest.raises(SystemExit):
        main(["--durations", "0", "--unit", "0.01", "-q", "--out", str(tmp_path)])
    assert {s: signal.getsignal(s) for s in before} == before
