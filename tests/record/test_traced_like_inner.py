"""A traced executor behaves like the one it wraps: what CPython's own suite checks, in brief."""

from __future__ import annotations

import concurrent.futures as cf
import gc
import weakref
from collections.abc import Callable

import pytest

import loiter


class Big:
    """A result the caller drops: nothing of loiter's may keep it alive."""


def make_big(_: int) -> Big:
    return Big()


def test_attributes_read_through_to_the_wrapped_pool() -> None:
    with cf.ThreadPoolExecutor(3, thread_name_prefix="mine") as pool, loiter.traced(pool) as ex:
        assert ex._max_workers == 3 and ex._thread_name_prefix == "mine"
        ex.submit(abs, -1).result()
        assert ex._threads is pool._threads and len(ex._threads) == 1
        with pytest.raises(AttributeError):
            ex.no_such_attribute  # noqa: B018


def test_map_rejects_chunksize_0_on_a_process_pool_as_the_pool_does() -> None:
    with loiter.traced(cf.ProcessPoolExecutor(1)) as ex, pytest.raises(ValueError, match="chunk"):
        ex.map(abs, [1], chunksize=0)


@pytest.mark.parametrize("chunksize", [1, 2])
def test_map_keeps_no_result_the_caller_dropped(chunksize: int) -> None:
    with loiter.traced(cf.ThreadPoolExecutor(2)) as ex:
        for obj in ex.map(make_big, range(4), chunksize=chunksize):
            ref = weakref.ref(obj)
            del obj
            gc.collect()
            assert ref() is None


def test_the_record_keeps_no_argument_and_no_traceback() -> None:
    arg = Big()
    ref = weakref.ref(arg)

    def boom(_: Big) -> None:
        raise LookupError("mine")

    with loiter.traced(cf.ThreadPoolExecutor(1)) as ex:
        future = ex.submit(boom, arg)
        del arg
        with pytest.raises(LookupError):
            future.result()
        del future
        gc.collect()
        assert ref() is None  # the argument is described, not kept
    (task,) = ex.trace.runs[0].tasks
    assert (task.outcome, task.error, task.arg) == ("error", "LookupError: mine", "<Big>")


@pytest.mark.parametrize("pool", [cf.ThreadPoolExecutor, cf.ProcessPoolExecutor])
def test_a_submit_the_pool_refused_after_shutdown_is_no_task(
    pool: Callable[[int], cf.Executor],
) -> None:
    ex = loiter.traced(pool(1))
    assert ex.submit(abs, -1).result() == 1
    ex.inner.shutdown()
    for refused in (lambda: ex.submit(abs, -2), lambda: list(ex.map(abs, [-3, -4]))):
        with pytest.raises(RuntimeError, match="shutdown"):
            refused()
    run = ex.freeze()
    assert [(t.index, t.arg, t.outcome, t.result) for t in run.tasks] == [(0, -1, "ok", 1)]


def test_tasks_after_a_refused_submit_keep_their_waits() -> None:
    """A refusal in the middle renumbers the later tasks, and their waits with them."""
    inner = cf.ThreadPoolExecutor(1)
    ex = loiter.traced(inner)
    first = ex.submit(abs, -1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(inner, "submit", refuse)
        with pytest.raises(RuntimeError, match="full"):
            ex.submit(abs, -2)
    last = ex.submit(abs, -3)
    assert (first.result(), last.result()) == (1, 3)
    ex.shutdown()
    run = ex.trace.runs[0]
    assert [(t.index, t.arg) for t in run.tasks] == [(0, -1), (1, -3)]
    assert {b.index for b in run.caller_blocked} <= {0, 1}


def refuse(*args: object, **kwargs: object) -> cf.Future[object]:
    raise RuntimeError("full")


def describe_big(big: Big) -> str:
    return type(big).__name__


@pytest.mark.parametrize("pool", [cf.ThreadPoolExecutor, cf.ProcessPoolExecutor])
def test_free_reference_to_argument_and_result(pool: Callable[[int], cf.Executor]) -> None:
    """CPython's test_free_reference, on both pools: once the caller drops the future,
    nothing of loiter's keeps the argument or the result alive."""
    with loiter.traced(pool(1)) as ex:
        arg = Big()
        arg_ref = weakref.ref(arg)
        assert ex.submit(describe_big, arg).result() == "Big"
        del arg
        future = ex.submit(make_big, 0)
        result_ref = weakref.ref(future.result())
        del future
        gc.collect()
        assert arg_ref() is None and result_ref() is None
