"""User functions that misbehave: every failure is recorded and shown, and nothing hangs."""

from __future__ import annotations

import concurrent.futures as cf
import threading

import pytest
from helpers import hostile_taskfns as h

from loiter.execute.executors import make_executor
from loiter.execute.strategies import STRATEGIES
from loiter.model.trace import CANCELLED, ERROR, OK, UNDELIVERED
from loiter.record.traced import TracedExecutor

pytestmark = pytest.mark.timeout(30)  # a hang is a failure, not a stuck CI job


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
