"""CPython's own concurrent.futures tests are the oracle: watching must not change behaviour.

They ship with the 3.13 interpreter (``test.test_concurrent_futures``). (a) runs
them under ``loiter-viz trace -m test`` (which needs loiter's dependencies, so
only when this interpreter is 3.13: CI's 3.13 leg); (b) with every executor the
suite makes wrapped by ``loiter.traced`` (stdlib only, so any 3.13 will do).
"""

from __future__ import annotations

import glob
import os
import subprocess
import sys
from pathlib import Path

import pytest

from loiter.model.tracefile import load

SUITE = [
    f"test_concurrent_futures.{name}"
    for name in ("test_thread_pool", "test_as_completed", "test_wait", "test_process_pool")
]
ROOT = Path(__file__).parents[2]
ENV = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": str(ROOT)}


def python313() -> str | None:
    if sys.version_info[:2] == (3, 13):
        return sys.executable
    found = sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.13*/bin/python3")))
    return found[-1] if found else None


def suite_result(out: str) -> tuple[str, str]:
    """regrtest's 'Total tests' line and its verdict."""
    lines = out.splitlines()
    total = next(line for line in lines if line.startswith("Total tests:"))
    return total, lines[-1] if lines[-1].startswith("Result:") else ""


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_the_suite_passes_with_every_executor_wrapped_by_traced() -> None:
    interpreter = python313()
    if interpreter is None:
        pytest.skip("no Python 3.13 here: its test.test_concurrent_futures is the oracle")
    result = subprocess.run(
        [interpreter, str(Path(__file__).parent / "programs" / "stdlib_suite_traced.py"), *SUITE],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=880,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    total, verdict = suite_result(result.stdout)
    assert total.startswith("Total tests: run=131") and "failures" not in total, total
    assert verdict == "Result: SUCCESS"
    wrapped = int(result.stderr.split("loiter.traced wrapped ")[1].split()[0])
    assert wrapped > 100


@pytest.mark.slow
@pytest.mark.timeout(900)
@pytest.mark.skipif(
    sys.version_info[:2] != (3, 13),
    reason="loiter-viz trace -m test needs loiter's dependencies on 3.13 (CI's 3.13 leg)",
)
def test_the_suite_passes_under_loiter_viz_trace_and_its_executors_are_in_the_trace(
    tmp_path: Path,
) -> None:
    command = ["-m", "loiter", "trace", "--no-chart", "--quiet", "--out", str(tmp_path)]
    result = subprocess.run(
        [sys.executable, *command, "-m", "test", *SUITE],
        capture_output=True,
        text=True,
        env=ENV,
        cwd=tmp_path,
        timeout=880,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    total, verdict = suite_result(result.stdout)
    assert total.startswith("Total tests: run=131") and "failures" not in total, total
    assert verdict == "Result: SUCCESS"
    trace = load(tmp_path / "trace-test.json")
    files = {Path(run.options["call_site"]["file"]).name for run in trace.runs}
    assert {"executor.py", "test_as_completed.py", "test_wait.py", "test_process_pool.py"} <= files
    kinds = {run.executor for run in trace.runs}
    assert kinds == {"thread", "process"}
    assert sum(len(run.tasks) for run in trace.runs) > 500
