"""A traced executor behaves like the one it wraps: what CPython's own suite checks, in brief."""

from __future__ import annotations

import concurrent.futures as cf
import gc
import weakref

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
