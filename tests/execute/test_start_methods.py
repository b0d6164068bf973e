"""Process pools fork only where forking is safe, and every start method runs the lesson."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest
from helpers.taskfns import nap

from loiter.execute.executors import safe_start_method
from loiter.execute.runner import Experiment, run_experiment
from loiter.model import tracefile
from loiter.model.scenarios import Scenario
from loiter.model.trace import OK

FORK_WARNING = "use of fork() may lead to deadlocks"


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
@pytest.mark.parametrize("workload", ["loiter", "MOD:FN"])
def test_the_workloads_run_under_every_start_method(method: str, workload: str) -> None:
    fn = nap if workload == "MOD:FN" else None
    args = (0.2, 0.05) if fn else (2, 1)
    exp = Experiment(
        [Scenario("two", args)], ["map", "as_completed"], "process", 2, 0.1, fn=fn,
        start_method=method,
    )  # fmt: skip
    mapped, completed = run_experiment(exp).runs
    for run in (mapped, completed):
        assert run.options["start_method"] == method
        assert [t.outcome for t in run.tasks] == [OK, OK]
        assert len({t.worker for t in run.tasks}) == 2  # both started at once, on two workers
    assert [t.index for t in sorted(mapped.tasks, key=lambda t: t.delivered)] == [0, 1]
    assert [t.index for t in sorted(completed.tasks, key=lambda t: t.delivered)] == [1, 0]


def test_fork_only_while_the_caller_has_one_thread() -> None:
    code = "from loiter.execute.executors import safe_start_method as m; print(m())"
    alone = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert alone.stdout.strip() == "fork", alone.stderr
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        assert safe_start_method() == "forkserver"
        in_main = type(nap)(nap.__code__, {"__name__": "__main__"})  # only a forked worker has it
        assert in_main.__module__ == "__main__"
        assert safe_start_method(in_main) == "fork"
    finally:
        release.set()
        other.join()


@pytest.mark.slow
def test_a_process_flags_run_forks_no_thread(tmp_path) -> None:
    """The flag server's thread is alive when the pool starts: forkserver, and no warning."""
    argv = [
        "--workload",
        "flags",
        "--executor",
        "process",
        "--countries",
        "cn,us",
        "--delay",
        "0.02",
    ]
    done = subprocess.run(
        [sys.executable, "-m", "loiter", *argv, "--strategy", "map", "-q"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "MPLBACKEND": "Agg", "PYTHONWARNINGS": "always::DeprecationWarning"},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    (run,) = tracefile.load(tmp_path / "plots" / "flags-process-3w.json").runs
    assert run.options["start_method"] == "forkserver"
    assert [t.outcome for t in run.tasks] == [OK, OK]
    if sys.version_info >= (3, 12):  # the version that warns
        assert FORK_WARNING not in done.stderr
