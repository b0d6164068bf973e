"""``loiter-viz trace``: real programs (tests/record/programs), run as Python runs them, traced."""

from __future__ import annotations

import concurrent.futures as cf
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers.fixtures import signals_default

import loiter
from loiter.analyze.schedule import ideal_schedule
from loiter.model.tracefile import load

PROGRAMS = Path(__file__).parent / "programs"
UNIT = 0.2
TOLERANCE = 0.06  # seconds: a loaded 2-core machine wakes threads late
ENV = {**os.environ, "MPLBACKEND": "Agg", "NO_COLOR": "1"}


def python(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The program as plain Python runs it: the reference for stdout, stderr and exit code."""
    return subprocess.run(
        [sys.executable, *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=ENV,
        timeout=120,
    )


def traced(out: Path, *args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return python("-m", "loiter", "trace", "--out", out, *args, cwd=cwd)


def assert_like_ideal(run: loiter.Run, seconds: list[float], workers: int, how: str) -> None:
    """Finish and delivery times as the ideal schedule has them, from the run's first submit."""
    ideal = ideal_schedule(seconds, workers, how, executor=run.executor)
    origin = min(t.submitted for t in run.tasks)
    for task, expected in zip(sorted(run.tasks, key=lambda t: t.index), ideal):
        assert task.outcome == "ok"
        assert task.finished - origin == pytest.approx(expected.finished, abs=TOLERANCE)
        assert task.delivered - origin == pytest.approx(expected.delivered, abs=TOLERANCE)


def test_map_as_completed_and_wait_are_recorded_per_call_site(tmp_path: Path) -> None:
    script = PROGRAMS / "slow_first.py"
    plain, result = python(script, UNIT), traced(tmp_path, script, UNIT)
    assert result.returncode == plain.returncode == 0
    assert (
        result.stdout
        == plain.stdout
        == ("map [30, 10, 20]\nas_completed [10, 20, 30]\nwait [10, 20, 30]\n")
    )
    trace = load(tmp_path / "trace-slow_first.json")
    assert [(r.scenario, r.strategy) for r in trace.runs] == [
        ("slow_first.py:20", "map"),
        ("slow_first.py:21", "submit"),
        ("slow_first.py:23", "submit"),
    ]
    mapped, completed, waited = trace.runs
    assert mapped.options["call_site"] == {
        "file": str(script),
        "line": 20,
        "function": "main",
        "how": "map",
    }
    assert mapped.options["created_at"]["line"] == 19
    assert (mapped.executor, mapped.workers, mapped.workload) == ("thread", 3, "nap")
    seconds = [3 * UNIT, 1 * UNIT, 2 * UNIT]
    assert_like_ideal(mapped, seconds, 3, "map")
    assert_like_ideal(completed, seconds, 3, "as_completed")
    assert_like_ideal(waited, seconds, 3, "wait")
    # map held #1 and #2 behind #0: 2 + 1 units of ordering stall; the others none.
    assert mapped.summary().total_stall == pytest.approx(3 * UNIT, abs=2 * TOLERANCE)
    assert completed.summary().total_stall < TOLERANCE
    assert waited.summary().total_stall < TOLERANCE
    assert waited.summary().caller_blocked == pytest.approx(3 * UNIT, abs=TOLERANCE)
    # The ranked table: most stall first, with the advice; then the files written.
    rows = [line for line in result.stderr.splitlines() if "slow_first.py:" in line]
    assert rows[0].split()[1:3] == ["slow_first.py:20", "map"]
    assert "as_completed" in rows[0]
    assert result.stderr.splitlines()[-2:] == [
        str(tmp_path / "trace-slow_first.json"),
        str(tmp_path / "trace-slow_first.png"),
    ]
    assert (tmp_path / "trace-slow_first.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.slow
@pytest.mark.parametrize("method", ["spawn", "forkserver", "fork"])
def test_a_process_pool_runs_functions_of_the_scripts_main(tmp_path: Path, method: str) -> None:
    script = PROGRAMS / "spawn_pool.py"
    result = traced(tmp_path, "--no-chart", script, UNIT, method)
    assert (result.returncode, result.stdout) == (0, "[20, 10, 10]\n"), result.stderr
    assert not (tmp_path / "trace-spawn_pool.png").exists()
    warm_up, mapped = load(tmp_path / "trace-spawn_pool.json").runs
    assert (warm_up.strategy, mapped.strategy, mapped.executor) == ("submit", "map", "process")
    assert len(warm_up.tasks) == 2 and not {t.worker for t in mapped.tasks} & {"caller", None}
    assert_like_ideal(mapped, [2 * UNIT, UNIT, UNIT], 2, "map")


def test_a_library_pool_tqdm_thread_map_is_found_at_the_programs_line(tmp_path: Path) -> None:
    pytest.importorskip("tqdm")
    script = PROGRAMS / "tqdm_map.py"
    plain, result = python(script, UNIT), traced(tmp_path, "--no-chart", script, UNIT)
    assert result.stdout == plain.stdout == "[30, 10, 20]\n"
    (run,) = load(tmp_path / "trace-tqdm_map.json").runs
    assert (run.scenario, run.strategy, run.workers) == ("tqdm_map.py:14", "map", 3)
    assert "tqdm" in run.options["created_at"]["file"]  # the pool is the library's
    assert_like_ideal(run, [3 * UNIT, UNIT, 2 * UNIT], 3, "map")


def test_asyncio_to_thread_goes_through_the_default_executor(tmp_path: Path) -> None:
    script = PROGRAMS / "to_thread.py"
    plain, result = python(script, UNIT), traced(tmp_path, "--no-chart", script, UNIT)
    assert result.stdout == plain.stdout == "[20, 10]\n"
    run, loop = load(tmp_path / "trace-to_thread.json").runs
    assert (loop.executor, len(loop.tasks)) == ("asyncio", 2)  # gather's two coroutines
    assert (run.executor, run.strategy, len(run.tasks)) == ("thread", "submit", 2)
    assert run.scenario == "to_thread.py:17"  # asyncio.run(main()): the program's line
    assert_like_ideal(run, [2 * UNIT, UNIT], 2, "as_completed")


def test_sys_exit_keeps_its_code_and_the_trace(tmp_path: Path) -> None:
    script = PROGRAMS / "exits.py"
    plain, result = python(script, "exit"), traced(tmp_path, "--quiet", script, "exit")
    assert result.returncode == plain.returncode == 3
    assert result.stdout == plain.stdout
    assert result.stderr.splitlines() == [
        str(tmp_path / "trace-exits.json"),
        str(tmp_path / "trace-exits.png"),
    ]
    (run,) = load(tmp_path / "trace-exits.json").runs
    assert [t.outcome for t in run.tasks] == ["ok", "ok"]


def test_an_uncaught_exception_prints_the_programs_traceback_and_exits_1(tmp_path: Path) -> None:
    script = PROGRAMS / "exits.py"
    plain, result = python(script, "raise"), traced(tmp_path, "--quiet", script, "raise")
    assert result.returncode == plain.returncode == 1
    assert result.stdout == plain.stdout
    assert plain.stderr.startswith("Traceback (most recent call last):\n")
    assert result.stderr.startswith(plain.stderr)  # as Python shows it: no frame of ours
    assert len(load(tmp_path / "trace-exits.json").runs) == 1


def test_a_terminated_fork_worker_dies_of_the_signal_as_its_pool_expects(tmp_path: Path) -> None:
    """Our SIGTERM handler is inherited by fork: in the child it must not turn into an exception."""
    script = PROGRAMS / "terminates_child.py"
    plain, result = python(script), traced(tmp_path, "--quiet", "--no-chart", script)
    assert result.returncode == plain.returncode == 0, result.stderr
    assert result.stdout == plain.stdout == "broken pool\nchild exit code -15\n"
    assert "Terminated" not in result.stderr


def test_a_package_runs_as_python_dash_m(tmp_path: Path) -> None:
    plain = python("-m", "tracedpkg", "a", "--b", cwd=PROGRAMS)
    result = traced(tmp_path, "--no-chart", "-m", "tracedpkg", "a", "--b", cwd=PROGRAMS)
    assert result.returncode == plain.returncode == 0
    assert result.stdout == plain.stdout == "__main__ tracedpkg.__main__ ['a', '--b'] [1, 2]\n"
    (run,) = load(tmp_path / "trace-tracedpkg.json").runs
    assert run.scenario == "__main__.py:5"


def stopped_while_hanging(command: list[str], sig: int) -> subprocess.Popen[str]:
    """exits.py hang, run by ``command``, sent ``sig`` once it waits on its pool; it has ended."""
    with subprocess.Popen(
        [*command, str(PROGRAMS / "exits.py"), "hang"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
        preexec_fn=signals_default,
    ) as proc:
        assert proc.stdout is not None
        assert proc.stdout.readline() == "[0.05, 0.0]\n"
        assert proc.stdout.readline() == "waiting\n"
        time.sleep(0.3)
        proc.send_signal(sig)
        proc.communicate(timeout=60)
    return proc


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_stopped_program_ends_as_under_python_and_still_leaves_its_trace(
    tmp_path: Path, sig: int
) -> None:
    """Ctrl-C is a KeyboardInterrupt, after which Python dies of SIGINT; SIGTERM and SIGHUP
    kill the program outright (none of its clean-up runs). As under plain Python, once
    the trace is saved."""
    plain = stopped_while_hanging([sys.executable], sig)
    command = [sys.executable, "-m", "loiter", "trace", "--quiet", "--out", str(tmp_path)]
    traced = stopped_while_hanging([*command, "--no-chart"], sig)
    assert traced.returncode == plain.returncode == -sig
    _, stopped = load(tmp_path / "trace-exits.json").runs
    assert [t.outcome for t in stopped.tasks] == ["undelivered", "undelivered"]
    assert stopped.tasks[0].finished is None  # still running: its timings never came back
    assert stopped.tasks[1].finished is not None  # done, held behind #0 when it stopped


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.py"], "missing.py: no such script"),
        (["."], "is a folder"),
        (["-m", "no_such_module_here"], "-m no_such_module_here: no such module"),
        ([], "give a script"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_nothing_written(
    tmp_path: Path, args: list[str], message: str
) -> None:
    result = traced(tmp_path / "out", *args, cwd=tmp_path)
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1 and message in result.stderr
    assert not (tmp_path / "out").exists()


def test_a_dozen_panels_at_most_the_rest_in_the_trace(tmp_path: Path) -> None:
    script = tmp_path / "many.py"
    script.write_text(
        "from concurrent.futures import ThreadPoolExecutor\n"
        "with ThreadPoolExecutor(2) as pool:\n"
        "    for _ in range(14):\n"
        "        list(pool.map(abs, [1, 2]))\n"
        "        list(pool.map(abs, [3]))\n"
    )
    result = traced(tmp_path, script, cwd=tmp_path)
    assert result.returncode == 0
    assert len(load(tmp_path / "trace-many.json").runs) == 28  # two call sites x 14 calls
    assert "the chart shows the 12 runs that held results longest; 16 more are in the trace" in (
        " ".join(result.stderr.split())
    )


def nap(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def test_loiter_trace_records_the_block_and_restores_every_patch() -> None:
    classes = (cf.ThreadPoolExecutor, cf.ProcessPoolExecutor, cf.Executor)
    before = [dict(vars(cls)) for cls in classes]
    as_completed, wait = cf.as_completed, cf.wait
    with loiter.trace() as t, cf.ThreadPoolExecutor(2) as pool:
        assert list(pool.map(nap, [2 * UNIT, 0.0])) == [2 * UNIT, 0.0]
        futures = [pool.submit(nap, d) for d in (UNIT, 0.0)]
        assert [f.result() for f in cf.as_completed(futures)] == [0.0, UNIT]
    assert [dict(vars(cls)) for cls in classes] == before
    assert (cf.as_completed, cf.wait) == (as_completed, wait)
    mapped, submitted = t.trace.runs
    assert mapped.scenario.startswith("test_tracecmd.py:")
    assert submitted.options["call_site"]["function"] in (  # 3.12 inlines comprehensions
        "<listcomp>",
        "test_loiter_trace_records_the_block_and_restores_every_patch",
    )
    assert mapped.summary().total_stall == pytest.approx(2 * UNIT, abs=TOLERANCE)
    assert submitted.summary().caller_blocked > 0  # the standard as_completed was recorded
    json.dumps([r.options for r in t.trace.runs])  # the trace file can hold them
