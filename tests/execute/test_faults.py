"""Faults during a live run: Ctrl-C, a killed worker, a crash between write and rename.

Each test runs the real CLI in its own process group, as a terminal does, and
checks exit codes, timing, the partial trace on disk and that no worker
process is left behind.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers.commands import in_session

from loiter.model import tracefile
from loiter.model.trace import CANCELLED, UNDELIVERED

pytestmark = pytest.mark.timeout(60)

UNIT = "0.05"
LONG = "40,40,40,40,40,40"  # 2 s each: 3 running, 3 queued when the fault hits


def start(tmp_path: Path, executor: str) -> subprocess.Popen:
    """The CLI in a new session, so a signal to its group reaches the workers as Ctrl-C does."""
    args = ["--executor", executor, "--strategy", "map", "--durations", LONG, "--unit", UNIT]
    return in_session(*args, "--out", str(tmp_path))


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def workers(pid: int) -> list[int]:
    """Pool worker processes: the forked children that share the parent's command line."""
    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    return [c for c in children(pid) if _cmdline(c) == cmdline]


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def alive(pid: int) -> bool:
    """Running, not a zombie waiting for a reaper (the container's init may not reap)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def wait_for_run(proc: subprocess.Popen, executor: str) -> list[int]:
    """Block until the tasks are sleeping in the pool; return the worker pids (if any)."""
    assert proc.stdout is not None
    header = proc.stdout.readline()
    assert "run(s)" in header, header
    time.sleep(0.6)  # warm-up done, the first three 2 s tasks are running
    if executor != "process":
        return []
    deadline = time.monotonic() + 10  # a loaded machine starts processes slowly: wait for them
    while len(pids := workers(proc.pid)) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(pids) == 3
    return pids


@pytest.mark.parametrize("executor", ["thread", "process"])
def test_ctrl_c_exits_130_fast_and_saves_the_partial_trace(tmp_path, executor) -> None:
    proc = start(tmp_path, executor)
    pids = wait_for_run(proc, executor)
    os.killpg(proc.pid, signal.SIGINT)
    sent = time.monotonic()
    _, err = proc.communicate(timeout=10)
    took = time.monotonic() - sent
    assert proc.returncode == 130, err
    assert took < 1.0, f"exit took {took:.2f}s after Ctrl-C"
    lines = err.splitlines()
    assert len(lines) == 1 and "interrupted" in lines[0] and "partial trace saved" in lines[0]
    assert "Traceback" not in err
    path = tmp_path / f"loiter-{executor}-3w.json"
    assert path.name in lines[0]
    (run,) = tracefile.load(path).runs
    assert run.error == "interrupted"
    running, queued = run.tasks[:3], run.tasks[3:]
    for task in running:  # woken from their sleep long before the 2 s were up
        assert task.outcome == UNDELIVERED and "Interrupted" in (task.error or ""), task
        assert task.finished - task.started < 1.5
    # A process pool pre-loads calls into its call queue (how many depends on
    # when its manager thread ran); those cannot be cancelled, so they start and
    # are woken at once. A thread pool cancels every queued task.
    for task in queued:
        assert task.outcome in (CANCELLED, UNDELIVERED), task
        assert task.started is None or task.finished - task.started < 0.5
    if executor == "thread":
        assert [t.outcome for t in queued] == [CANCELLED] * 3
    outcomes = [t.outcome for t in queued]
    assert outcomes == sorted(outcomes, key=lambda o: o == CANCELLED)  # pre-loaded ones first
    assert not any(alive(pid) for pid in pids)
    assert not list(tmp_path.glob(".*.tmp"))


def test_ctrl_c_to_the_parent_alone_still_stops_the_workers(tmp_path) -> None:
    """kill -INT <pid> reaches only the parent: it must wake and end its workers itself."""
    proc = start(tmp_path, "process")
    pids = wait_for_run(proc, "process")
    os.kill(proc.pid, signal.SIGINT)
    sent = time.monotonic()
    proc.communicate(timeout=10)
    assert proc.returncode == 130
    assert time.monotonic() - sent < 1.0
    assert not any(alive(pid) for pid in pids)


def test_killed_worker_is_recorded_and_exits_1(tmp_path) -> None:
    proc = start(tmp_path, "process")
    pids = wait_for_run(proc, "process")
    os.kill(pids[0], signal.SIGKILL)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 1, err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert "broke the pool" in lines[0] and "BrokenProcessPool" in lines[0]
    assert "the trace and chart show what was lost" in lines[0]
    assert (tmp_path / "loiter-process-3w.png").stat().st_size > 0
    (run,) = tracefile.load(tmp_path / "loiter-process-3w.json").runs
    assert run.error and run.error.startswith("BrokenProcessPool")
    assert any("BrokenProcessPool" in (t.error or "") for t in run.tasks)
    assert not any(alive(pid) for pid in pids)


CRASH_ON_RENAME = """
import os, signal, sys
from loiter.model import tracefile
from loiter.model.trace import Trace

def die(src, dst):
    os.kill(os.getpid(), signal.SIGKILL)

os.replace = die
tracefile.save(Trace(), sys.argv[1])
"""


def test_crash_between_write_and_rename_keeps_the_old_file(tmp_path) -> None:
    target = tmp_path / "trace.json"
    target.write_bytes(b"old contents")
    result = subprocess.run(
        [sys.executable, "-c", CRASH_ON_RENAME, str(target)], capture_output=True, timeout=30
    )
    assert result.returncode == -signal.SIGKILL
    assert target.read_bytes() == b"old contents"
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "trace.json"]
    # The complete temp file may remain, but only under a hidden name, never the target's.
    assert all(name.startswith(".trace.json.") and name.endswith(".tmp") for name in leftovers)
    assert leftovers, "the crash happened after the temp write, so the temp file exists"
