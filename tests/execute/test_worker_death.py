"""Worker processes die with the caller however it dies, and only then."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from helpers.fixtures import signals_default
from helpers.taskfns import nap

from loiter.execute.executors import make_executor, warm_up

TESTS = Path(__file__).parents[1]
GRACE = 2.0  # seconds a worker may outlive its caller


def descendants(pid: int) -> list[int]:
    """Children, grandchildren (a forkserver's workers), ...: read from /proc, before the kill."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            found += [int(child), *descendants(int(child))]
    return found


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"  # a zombie is dead, not yet reaped


def survivors(workers: list[int], since: float) -> list[int]:
    """The workers still alive ``GRACE`` seconds after ``since``."""
    while any(alive(w) for w in workers) and time.monotonic() < since + GRACE:
        time.sleep(0.02)
    return [w for w in workers if alive(w)]


def started(argv: list[str]) -> tuple[subprocess.Popen[str], list[int]]:
    proc = subprocess.Popen(
        [sys.executable, *argv],
        cwd=TESTS,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=signals_default,
    )
    assert proc.stdout is not None
    proc.stdout.readline()  # the run has begun
    time.sleep(0.7)  # the tasks are running
    return proc, descendants(proc.pid)


@pytest.mark.slow
@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM, signal.SIGHUP])
def test_no_worker_outlives_the_cli_whatever_signal_stops_it(tmp_path, sig) -> None:
    argv = ["-m", "loiter", "--executor", "process", "--durations", "40,40", "--unit", "0.5"]
    proc, workers = started([*argv, "-s", "map", "--out", str(tmp_path)])
    assert len(workers) == 3
    proc.send_signal(sig)
    proc.communicate(timeout=10)
    assert proc.returncode in (-sig, 128 + sig)
    assert survivors(workers, time.monotonic()) == []


@pytest.mark.slow
@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
@pytest.mark.parametrize("method", ["fork", "forkserver", "spawn"])
def test_no_worker_outlives_a_killed_caller_whatever_started_it(method) -> None:
    """SIGKILL: the caller cannot clean up; the workers see it (a spawned one by its watcher)."""
    proc, workers = started(["-m", "helpers.poolrun", method])
    assert len(workers) >= 3  # forkserver: the server too
    proc.kill()
    proc.wait(timeout=10)
    assert survivors(workers, time.monotonic()) == []


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:.*fork:DeprecationWarning")
def test_workers_forked_by_a_thread_outlive_that_thread() -> None:
    """The parent-death signal follows the forking *thread*: it must not end a living pool."""
    pool = make_executor("process", 2, start_method="fork")
    forker = threading.Thread(target=warm_up, args=(pool, 2))
    forker.start()
    forker.join()
    try:
        time.sleep(0.3)  # a worker the signal reached is gone by now
        assert list(pool.map(nap, [0.01, 0.01])) == [0.1, 0.1]
        assert pool.trace_options == {"start_method": "fork"}
    finally:
        pool.shutdown()
