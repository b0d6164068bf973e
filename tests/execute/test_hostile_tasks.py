"""User functions that misbehave: every failure is recorded and shown, never obeyed, and
nothing hangs: not a task that exits, interrupts or never returns, nor a result too big to keep.

Also what ``loiter.run`` refuses before running: the arguments that made traces load rejects.
"""

from __future__ import annotations

import concurrent.futures as cf
import math
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest
from helpers import hostile_taskfns as h
from helpers.commands import in_session
from helpers.tracefiles import assert_same_but_rounded

import loiter
from loiter.execute.abandon import ABANDONED, GRACE, LINGER
from loiter.execute.executors import make_executor
from loiter.execute.runner import RunStopped
from loiter.execute.strategies import STRATEGIES
from loiter.model import tracefile
from loiter.model.trace import CANCELLED, ERROR, OK, TIMED_OUT, UNDELIVERED
from loiter.record.traced import TracedExecutor

pytestmark = pytest.mark.timeout(60)  # a hang is a failure, not a stuck CI job

TESTS = Path(__file__).parents[1]  # where ``helpers`` is, for the CLI's worker processes


def run(kind: str, strategy: str, fn, args):
    pool = make_executor(kind, 2)
    traced = TracedExecutor(pool)
    raised = None
    try:
        STRATEGIES[strategy](traced, fn, args)
    except Exception as exc:
        raised = exc
    pool.shutdown()
    return traced.freeze(), raised


@pytest.mark.parametrize("strategy", ["map", "as_completed"])
def test_import_error_in_the_task_is_recorded(executor_kind, strategy) -> None:
    run_, raised = run(executor_kind, strategy, h.imports_missing, [1, 2])
    first = run_.tasks[0]
    assert first.outcome == ERROR
    assert first.error == "ModuleNotFoundError: No module named 'loiter_no_such_module'"
    assert first.started is not None and first.finished is not None
    if strategy == "map":  # map raises at the failing index, as the stdlib's does
        assert isinstance(raised, ModuleNotFoundError)
        assert run_.tasks[1].outcome in (CANCELLED, UNDELIVERED)
    else:
        assert raised is None and run_.tasks[1].outcome == ERROR


def test_unpicklable_function_argument_and_result_on_processes() -> None:
    lam, _ = run("process", "as_completed", lambda x: x, [1])
    # The exception type and verb differ between Python versions; the subject does not.
    assert lam.tasks[0].outcome == ERROR and "local object" in lam.tasks[0].error
    assert "<lambda>" in lam.tasks[0].error
    assert lam.tasks[0].started is None  # it never reached a worker
    arg, _ = run("process", "as_completed", h.one, [threading.Lock(), 2])
    assert [t.outcome for t in arg.tasks] == [ERROR, OK]
    assert arg.tasks[0].error == "TypeError: cannot pickle '_thread.lock' object"
    res, _ = run("process", "as_completed", h.returns_lock, [1])
    assert res.tasks[0].outcome == ERROR
    assert res.tasks[0].error == "TypeError: cannot pickle '_thread.lock' object"


@pytest.mark.parametrize("strategy", ["map", "as_completed"])
def test_exception_that_cannot_be_pickled_back_does_not_break_the_pool(strategy) -> None:
    run_, raised = run("process", strategy, h.raises_picky, [1, 2, 3])
    first = run_.tasks[0]
    assert first.outcome == ERROR
    assert first.error == (
        "UnpicklableError: PickyError: 1/x (the exception could not be pickled back)"
    )
    assert first.started is not None and first.worker.startswith(("Fork", "Spawn"))
    assert not isinstance(raised, cf.BrokenExecutor)
    if strategy == "as_completed":  # the pool survived: every task ran and reported its own error
        assert [t.error.split(":")[1] for t in run_.tasks] == [" PickyError"] * 3
        assert all("/x" in t.error for t in run_.tasks)


def test_exception_that_cannot_be_pickled_stays_itself_on_threads() -> None:
    run_, raised = run("thread", "map", h.raises_picky, [1])
    assert isinstance(raised, h.PickyError) and run_.tasks[0].error == "PickyError: 1/x"


# What a task raises that is no ordinary error, or whose text is hostile; ``{n}``: its argument.
ESCAPES = {
    "exits_4": "SystemExit: 4",
    "exits_with_message": "SystemExit: the task wants out",
    "presses_ctrl_c": "KeyboardInterrupt",
    "raises_generator_exit": "GeneratorExit: closed",
    "raises_base_exception": "Escape: escape {n}",
    "raises_bad_str": "BadStr: <unprintable>",
    "raises_with_bad_repr": "ValueError: <unprintable>",
}
# Results that cannot be kept as they are, and how the trace describes them.
RESULTS = {
    "returns_bad_repr": "<BadRepr>",
    "huge_int": "<int of 5001 digits>",
    "huge_nested": [[[["<list>"]]]],  # four levels deep, then described
}


def judge_escapes(trace, name: str) -> None:
    """Every task that ran failed with its own description, and map raised the first one.

    When the first failure reaches map's caller, map cancels what has not
    started yet: whether the second task was still queued then is a race
    (both fail at once), so its outcome follows from whether it started.
    """
    for run_ in trace:
        first, second = run_.tasks
        if run_.strategy == "map" and second.started is None:
            assert (second.outcome, second.finished, second.error) == (CANCELLED, None, None)
            ran = [first]
        else:
            assert second.outcome == (UNDELIVERED if run_.strategy == "map" else ERROR)
            ran = [first, second]
        assert first.outcome == ERROR
        for task in ran:
            assert task.error == ESCAPES[name].format(n=task.arg), task
            assert task.started is not None and task.finished is not None  # it ran, and ended
        if run_.strategy == "map":
            assert run_.error == run_.tasks[0].error
        else:
            assert run_.error is None


@pytest.mark.parametrize("name", ESCAPES)
def test_a_task_that_exits_or_interrupts_is_recorded_never_obeyed(executor_kind, name) -> None:
    trace = loiter.run(
        [1, 2],
        fn=getattr(h, name),
        executor=executor_kind,
        workers=2,
        strategies=["map", "as_completed"],
    )
    judge_escapes(trace, name)
    assert_same_but_rounded(tracefile.loads(tracefile.dumps(trace)), trace)


@pytest.mark.parametrize("name", [n for n in ESCAPES if n != "presses_ctrl_c"])
def test_in_the_callers_own_thread_too(name) -> None:
    """The sequential strategy runs tasks in the caller, and stops at the first that fails."""
    (run_,) = loiter.run([1, 2], fn=getattr(h, name), strategies=["sequential"]).runs
    assert [t.error for t in run_.tasks] == [ESCAPES[name].format(n=1)] == [run_.error]
    assert run_.tasks[0].worker == "caller"


def test_a_keyboard_interrupt_in_the_callers_own_thread_is_ctrl_c() -> None:
    """Only there can a signal raise one: the user's Ctrl-C still stops the run (and keeps it)."""
    with pytest.raises(RunStopped) as stopped:
        loiter.run([1, 2], fn=h.presses_ctrl_c, strategies=["sequential"])
    (partial,) = stopped.value.trace.runs
    assert partial.error == "interrupted"


@pytest.mark.parametrize("name", RESULTS)
def test_a_result_that_cannot_be_kept_as_is_is_described(executor_kind, name) -> None:
    trace = loiter.run([1, 2], fn=getattr(h, name), executor=executor_kind, workers=2)
    for run_ in trace:
        if executor_kind == "process" and name == "huge_nested":  # it cannot travel back
            assert [t.outcome for t in run_.tasks if t.outcome != UNDELIVERED] == [ERROR] * (
                2 if run_.strategy == "as_completed" else 1
            )
            assert run_.tasks[0].error.startswith("RecursionError: maximum recursion depth")
            continue
        assert [(t.outcome, t.result) for t in run_.tasks] == [(OK, RESULTS[name])] * 2
    assert_same_but_rounded(tracefile.loads(tracefile.dumps(trace)), trace)


def hostile_cli(tmp_path: Path, *args: str) -> subprocess.Popen:
    """The CLI as a terminal starts it, the hostile task functions importable by its workers."""
    path = os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])
    return in_session(*args, "--format", "html", "--out", str(tmp_path), env={"PYTHONPATH": path})


def workload(name: str) -> list[str]:
    return ["--workload", f"helpers.hostile_taskfns:{name}"]


def left_behind(tmp_path: Path) -> list[int]:
    """Live processes whose command line names this test's folder (the CLI's forked workers)."""
    mark = str(tmp_path).encode()
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if (
                proc.name.isdigit()
                and mark in (proc / "cmdline").read_bytes()
                and (proc / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
            ):
                found.append(int(proc.name))
        except OSError:
            continue
    return found


@pytest.mark.parametrize("name", [*ESCAPES, *RESULTS])
def test_the_cli_records_every_misbehaving_task_and_exits_0(executor_kind, name, tmp_path) -> None:
    if executor_kind == "process" and name == "huge_nested":
        pytest.skip("cannot be pickled back: the library test checks its error")
    proc = hostile_cli(tmp_path, *workload(name), "--args", "1,2", "-e", executor_kind, "-q")
    _, err = proc.communicate(timeout=60)
    assert (proc.returncode, err) == (0, ""), err
    trace = tracefile.load(tmp_path / f"loiter-{executor_kind}-3w.json")
    assert [r.strategy for r in trace] == ["map", "as_completed"]
    if name in ESCAPES:
        judge_escapes(trace, name)
    else:
        assert all(t.result == RESULTS[name] for r in trace for t in r.tasks)


TIMEOUT = 1.0


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory) -> dict[str, float]:
    """Seconds a CLI run of quick tasks takes, per executor: the reference a hang is judged by."""
    took = {}
    for kind in ("thread", "process"):
        folder = tmp_path_factory.mktemp(f"quick-{kind}")
        args = [*workload("one"), "--args", "1,2,3", "-e", kind, "-w", "2", "-s", "map", "-q"]
        begun = time.monotonic()
        proc = hostile_cli(folder, *args, "--timeout", str(TIMEOUT))
        proc.communicate(timeout=60)
        took[kind] = time.monotonic() - begun
        assert proc.returncode == 0
    return took


@pytest.mark.parametrize("strategy", ["map", "as_completed"])
def test_after_the_timeout_a_task_that_never_returns_is_abandoned(
    executor_kind, strategy, tmp_path, quick_run
) -> None:
    args = [*workload("hangs"), "--args", "1,2,3", "-e", executor_kind, "-w", "2", "-s", strategy]
    begun = time.monotonic()
    proc = hostile_cli(tmp_path, *args, "--timeout", str(TIMEOUT), "-q")
    _, err = proc.communicate(timeout=60)
    took = time.monotonic() - begun
    assert proc.returncode == 0, err
    # The caller's timeout, the work's last chance, the workers' grace, and a second of noise.
    assert took - quick_run[executor_kind] < TIMEOUT + LINGER + GRACE + 1.0, took
    lines = err.splitlines()
    assert len(lines) == 1 and "abandoned" in lines[0] and "--timeout 1" in lines[0], err
    (run_,) = tracefile.load(tmp_path / f"loiter-{executor_kind}-2w.json").runs
    assert run_.error.startswith("TimeoutError")
    assert run_.tasks[0].outcome == TIMED_OUT  # the one the caller waited for in either strategy
    running = 2 if executor_kind == "thread" else 3  # a process pool pre-loads its call queue
    assert run_.options["abandoned"] in (2, running)  # 2 workers, 3 tasks
    if strategy == "map":  # the other running task: abandoned, not "a broken pool"
        assert run_.tasks[1].outcome == UNDELIVERED and run_.tasks[1].error == ABANDONED
    else:  # as_completed gave up on every task it had not had
        assert [t.outcome for t in run_.tasks] == [TIMED_OUT] * 3
    assert not left_behind(tmp_path)


def test_ctrl_c_ends_a_run_whose_tasks_never_return_and_saves_it(executor_kind, tmp_path) -> None:
    args = [*workload("hangs"), "--args", "1,2", "-e", executor_kind, "-s", "as_completed"]
    proc = hostile_cli(tmp_path, *args)
    assert proc.stdout is not None and "1 run(s)" in proc.stdout.readline()
    time.sleep(0.5)  # the tasks are in the pool
    os.killpg(proc.pid, signal.SIGINT)
    sent = time.monotonic()
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert time.monotonic() - sent < 2 * GRACE + 1.0
    assert "interrupted" in err and "partial trace saved" in err and len(err.splitlines()) == 1
    (run_,) = tracefile.load(tmp_path / f"loiter-{executor_kind}-3w.json").runs
    assert run_.error == "interrupted" and len(run_.tasks) == 2
    assert not left_behind(tmp_path)


def test_the_library_abandons_work_after_the_timeout_too(executor_kind) -> None:
    """A thread is left to end on its own (this one in 3 s); a process is ended."""
    fn = h.naps if executor_kind == "thread" else h.hangs
    begun = time.monotonic()
    (run_,) = loiter.run(
        [3, 3],
        fn=fn,
        executor=executor_kind,
        workers=2,
        strategies=["as_completed"],
        options=loiter.Options(timeout=0.5),
    ).runs
    took = time.monotonic() - begun
    assert took < 0.5 + LINGER + GRACE + 1.0, took  # a pool starts within the second of noise
    assert run_.options["abandoned"] == 2
    assert [t.outcome for t in run_.tasks] == [TIMED_OUT, TIMED_OUT]


NAN, INF = math.nan, math.inf

BAD_ARGUMENTS = [
    ({"unit": 0}, ValueError, "unit must be finite, > 0"),
    ({"unit": -1}, ValueError, "unit must be finite"),
    ({"unit": NAN}, ValueError, "unit must be finite"),
    ({"unit": INF}, ValueError, "unit must be finite"),
    ({"unit": "0.5"}, TypeError, "unit must be a number"),
    ({"unit": True}, TypeError, "unit must be a number"),
    ({"workers": 0}, ValueError, "workers must be 1 to"),
    ({"workers": -3}, ValueError, "workers must be 1 to"),
    ({"workers": 10**6}, ValueError, "workers must be 1 to"),
    ({"workers": 2.5}, TypeError, "workers must be a whole number"),
    ({"durations": []}, ValueError, "durations must hold 1 to"),
    ({"durations": [1, -1]}, ValueError, "durations[1] must be finite, >= 0"),
    ({"durations": [NAN]}, ValueError, "durations[0] must be finite"),
    ({"durations": [INF]}, ValueError, "durations[0] must be finite"),
    ({"durations": [1e12]}, ValueError, "durations[0] must be finite"),
    ({"durations": ["slow"]}, TypeError, "durations[0] must be a number of units"),
    ({"durations": "312"}, TypeError, "durations must be a list"),
    ({"strategies": "map"}, TypeError, "strategies must be a non-empty list"),
    ({"strategies": []}, TypeError, "strategies must be a non-empty list"),
    ({"strategies": ["gather"]}, ValueError, "strategy 'gather' runs on executor asyncio"),
    ({"scenarios": []}, TypeError, "scenarios must be a non-empty list"),
    ({"seed": -1}, ValueError, "seed must be at least 0"),
    ({"seed": 0.5}, TypeError, "seed must be a whole number"),
    ({"fn": 42}, TypeError, "fn must be callable"),
    ({"workload": None}, TypeError, "workload must be a name"),
    ({"options": {"timeout": 1}}, TypeError, "options must be a loiter.Options"),
    ({"options": loiter.Options(timeout=0)}, ValueError, "options.timeout must be finite, > 0"),
    ({"options": loiter.Options(timeout=NAN)}, ValueError, "options.timeout must be finite"),
    ({"options": loiter.Options(timeout=-1)}, ValueError, "options.timeout must be finite"),
    ({"options": loiter.Options(chunksize=0)}, ValueError, "options.chunksize must be 1 to"),
    ({"options": loiter.Options(buffersize=-2)}, ValueError, "options.buffersize must be 1 to"),
    ({"options": loiter.Options(consumer_delay=-1)}, ValueError, "options.consumer_delay must"),
    ({"options": loiter.Options(consumer_delay=INF)}, ValueError, "options.consumer_delay must"),
    ({"faults": loiter.Faults(error_rate=1.5)}, ValueError, "faults.error_rate must be from 0"),
    ({"faults": loiter.Faults(error_rate=NAN)}, ValueError, "faults.error_rate must be from 0"),
    ({"faults": loiter.Faults(fail_at=(9,))}, ValueError, "faults.fail_at[0] (a task index)"),
    ({"faults": loiter.Faults(fail_at=(-1,))}, ValueError, "faults.fail_at[0] (a task index)"),
    ({"faults": loiter.Faults(crash_at=(1,))}, ValueError, "faults.crash_at needs executor"),
]


@pytest.mark.parametrize(("kwargs", "kind", "message"), BAD_ARGUMENTS)
def test_run_refuses_a_bad_argument_naming_it(kwargs, kind, message) -> None:
    with pytest.raises(kind) as refused:
        loiter.run(**kwargs)
    assert message in str(refused.value)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"unit": 1e-3},
        {"workers": 1},
        {"durations": [0, 0.5, 2]},
        {"durations": ["any", None], "fn": h.one},  # a function's arguments are its own
        {"options": loiter.Options(timeout=5, consumer_delay=0)},
        {"faults": loiter.Faults(fail_at=(0,), error_rate=0.0)},
    ],
)
def test_what_run_accepts_loads_back(kwargs, tmp_path) -> None:
    trace = loiter.run(**{"durations": [1, 0], "unit": 0.01, "strategies": ["map"], **kwargs})
    assert_same_but_rounded(tracefile.load(tracefile.save(trace, tmp_path / "t.json")), trace)


@pytest.mark.parametrize(
    ("value", "kept"),
    [
        (2**63 - 1, 2**63 - 1),
        (-(2**63), -(2**63)),
        (2**63, "<int of 19 digits>"),
        (10**19, "<int of 20 digits>"),
        (10**19 - 1, "<int of 19 digits>"),
        (-(10**4999), "<int of 5000 digits>"),
        (10**5000 - 1, "<int of 5000 digits>"),  # log10 rounds this one up to 5000.0
        ([1, [2, {"k": 10**30}]], [1, [2, {"k": "<int of 31 digits>"}]]),
    ],
    ids=[
        "int64-max",
        "int64-min",
        "2**63",
        "10**19",
        "10**19-1",
        "-10**4999",
        "10**5000-1",
        "nested",
    ],
)
def test_ints_beyond_64_bits_are_counted_not_converted(value, kept) -> None:
    (run_,) = loiter.run([value], fn=h.echo, strategies=["as_completed"]).runs
    assert run_.tasks[0].result == kept and run_.tasks[0].arg == kept
    assert tracefile.loads(tracefile.dumps(loiter.Trace([run_]))).runs[0].tasks[0].result == kept
