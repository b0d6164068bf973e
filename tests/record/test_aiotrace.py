"""``loiter.traced_loop()``: asyncio tasks recorded with asyncio's meaning of delivered."""

from __future__ import annotations

import asyncio
import gc
import subprocess
import sys
import time
import weakref
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest
from helpers.commands import cli
from helpers.timing import quiet, tolerance

import loiter
from loiter.model.trace import Run
from loiter.model.tracefile import load

UNIT = 0.1
SECONDS = (3, 1, 2)  # in units: the slowest first


async def nap(seconds: float) -> float:
    await asyncio.sleep(seconds)
    return seconds


def recorded(body: Callable[[float], Coroutine[Any, Any, Any]], unit: float) -> Run:
    """The run ``body(unit)`` made inside a traced_loop block, on a fresh loop."""

    async def main() -> Run:
        async with loiter.traced_loop() as rec:
            await body(unit)
        assert rec.trace is not None
        (run,) = rec.trace.runs
        return run

    return asyncio.run(main())


def late(run: Run, unit: float) -> dict[str, float]:
    """How late each nap ended after its start: the run's own noise."""
    return {f"task {t.index}": t.finished - t.started - t.result * unit for t in run.tasks}


def nap_units(unit: float) -> Callable[[int], Coroutine[Any, Any, float]]:
    async def units(n: int) -> float:
        await asyncio.sleep(n * unit)
        return n

    return units


def record_naps(strategy: str) -> Callable[[float], Run]:
    async def gather(unit: float) -> None:
        assert await asyncio.gather(*map(nap_units(unit), SECONDS)) == list(SECONDS)

    async def as_completed(unit: float) -> None:
        got = [await c for c in asyncio.as_completed(list(map(nap_units(unit), SECONDS)))]
        assert got == sorted(SECONDS)

    body = {"gather": gather, "as_completed": as_completed}[strategy]
    return lambda unit: recorded(body, unit)


def judged(strategy: str, unit: float) -> Callable[[Run], None]:
    def judge(run: Run) -> None:
        _, allowed = tolerance(late(run, unit), unit)
        assert [t.arg for t in run.tasks] == ["nap_units.<locals>.units"] * 3
        assert all(t.outcome == "ok" and t.worker == "loop" for t in run.tasks)
        assert (run.executor, run.strategy, run.workers) == ("asyncio", "traced", 3)
        assert [t.result for t in run.tasks] == list(SECONDS)
        origin = min(t.submitted for t in run.tasks)
        finishes = sorted(run.tasks, key=lambda t: t.finished)
        assert [t.result for t in finishes] == [1, 2, 3]
        for task in run.tasks:
            assert task.finished - origin == pytest.approx(task.result * unit, abs=allowed)
        if strategy == "gather":  # all at once, when the slowest is done
            assert len({t.delivered for t in run.tasks}) == 1
            for task in run.tasks:
                assert task.delivered - origin == pytest.approx(3 * unit, abs=allowed)
            assert len(run.caller_blocked) == 1
            (wait,) = run.caller_blocked
            assert wait.index == 0 and wait.got == run.tasks[0].delivered
        else:  # each as it finished
            for task in run.tasks:
                assert task.delivered - task.finished == pytest.approx(0, abs=allowed)
            assert [w.index for w in run.caller_blocked] == [1, 2, 0]

    return judge


@pytest.mark.parametrize("strategy", ["gather", "as_completed"])
def test_finishes_in_their_order_and_deliveries_as_the_strategy_hands_them_over(
    strategy: str,
) -> None:
    quiet(record_naps(strategy), judged(strategy, UNIT), UNIT)


def test_gather_delivers_at_its_return_not_at_each_finish() -> None:
    def judge(run: Run) -> None:
        _, allowed = tolerance(late(run, UNIT), UNIT)
        slow, fast, _ = run.tasks
        assert fast.finished < slow.finished - UNIT  # the fast one waited, done, for the slow
        assert fast.delivered == slow.delivered >= slow.finished
        assert fast.delivered - fast.finished == pytest.approx(2 * UNIT, abs=allowed)

    quiet(record_naps("gather"), judge, UNIT)


async def failing() -> None:
    await asyncio.sleep(0)
    raise ValueError("no")


def test_a_task_that_raises_is_an_error_and_a_cancelled_one_is_cancelled() -> None:
    async def body(unit: float) -> None:
        with pytest.raises(ValueError):
            await asyncio.create_task(failing())
        running = asyncio.create_task(nap(10))
        await asyncio.sleep(0)
        running.cancel()
        never = asyncio.create_task(nap(10))
        never.cancel()
        await asyncio.gather(running, never, return_exceptions=True)

    error, running, never = recorded(body, UNIT).tasks
    assert (error.outcome, error.error, error.delivered is not None) == (
        "error",
        "ValueError: no",
        True,
    )
    assert (running.outcome, running.started is not None) == ("cancelled", True)
    assert (never.outcome, never.started) == ("cancelled", None)


def test_a_taskgroup_delivers_at_the_end_of_its_block_and_a_failure_cancels_the_rest() -> None:
    async def body(unit: float) -> None:
        async with asyncio.TaskGroup() as group:
            kept = [group.create_task(nap(3 * unit)), group.create_task(nap(unit))]
        with pytest.raises(ExceptionGroup):
            async with asyncio.TaskGroup() as group:
                kept += [group.create_task(nap(10)), group.create_task(failing())]
        assert [t.result() for t in kept[:2]] == [3 * unit, unit]

    def judge(run: Run) -> None:
        slow, fast, cancelled, failed = run.tasks
        woke = {
            "slow": slow.finished - slow.started - 3 * UNIT,
            "fast": fast.finished - fast.started - UNIT,
        }
        _, allowed = tolerance(woke, UNIT)
        assert [t.outcome for t in run.tasks] == ["ok", "ok", "cancelled", "error"]
        assert fast.delivered == slow.delivered >= slow.finished
        assert fast.delivered - fast.finished == pytest.approx(2 * UNIT, abs=allowed)
        assert failed.delivered is not None and cancelled.delivered is None

    judge(recorded(body, UNIT))


def test_a_task_nobody_awaits_is_undelivered_and_a_direct_await_delivers_on_resuming() -> None:
    async def body(unit: float) -> None:
        left = asyncio.create_task(nap(unit))
        awaited = asyncio.create_task(nap(unit))
        await asyncio.sleep(3 * unit)  # both are done long before the caller awaits one
        assert left.done()
        await awaited

    left, awaited = recorded(body, UNIT).tasks
    assert (left.outcome, left.delivered) == ("undelivered", None)
    assert awaited.outcome == "ok"
    assert awaited.delivered - awaited.finished > 1.5 * UNIT


class Big:
    pass


def test_results_are_not_kept_alive() -> None:
    refs: list[weakref.ref[Big]] = []

    async def make() -> Big:
        big = Big()
        refs.append(weakref.ref(big))
        return big

    async def main() -> loiter.Trace | None:
        async with loiter.traced_loop() as rec:
            await asyncio.gather(make(), make())
            await asyncio.create_task(make())
        await asyncio.sleep(0)  # plain asyncio too holds the last one until the loop turns
        gc.collect()
        assert [r() for r in refs] == [None] * 3
        return rec.trace

    trace = asyncio.run(main())
    assert trace is not None
    assert [t.result for t in trace.runs[0].tasks] == ["<Big>"] * 3


def test_nested_blocks_and_an_existing_factory_are_chained() -> None:
    made: list[str] = []

    def factory(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> asyncio.Task[Any]:
        made.append(coro.__qualname__)
        return asyncio.Task(coro, loop=loop, **kwargs)

    async def main() -> tuple[Run, Run]:
        loop = asyncio.get_running_loop()
        loop.set_task_factory(factory)
        async with loiter.traced_loop(scenario="outer") as outer:
            await asyncio.create_task(nap(0))
            async with loiter.traced_loop(scenario="inner") as inner:
                assert await asyncio.gather(nap(0), nap(0)) == [0, 0]
        assert loop.get_task_factory() is factory
        assert asyncio.gather is asyncio.tasks.gather is not loiter.traced_loop
        assert outer.trace is not None and inner.trace is not None
        return outer.trace.runs[0], inner.trace.runs[0]

    outer, inner = asyncio.run(main())
    assert made.count("LoopRecorder._timed") == 3  # the program's factory made every task
    assert [t.scenario for t in (outer, inner)] == ["outer", "inner"]
    assert len(outer.tasks) == 3 and len(inner.tasks) == 2
    assert all(t.outcome == "ok" for t in inner.tasks)
    assert all(t.delivered is not None for t in inner.tasks)
    # under the program's own factory a direct await is not seen: delivered only via gather
    assert [t.delivered is not None for t in outer.tasks] == [False, True, True]


def test_the_standard_functions_are_restored() -> None:
    before = (asyncio.gather, asyncio.as_completed, asyncio.wait)
    group = dict(vars(asyncio.TaskGroup))

    async def main() -> None:
        async with loiter.traced_loop():
            assert asyncio.gather is not before[0]

    asyncio.run(main())
    assert (asyncio.gather, asyncio.as_completed, asyncio.wait) == before
    assert asyncio.tasks.gather is before[0]
    assert dict(vars(asyncio.TaskGroup)) == group


def test_loiter_viz_trace_records_a_programs_asyncio_tasks_and_keeps_its_exit_code(
    tmp_path: Path,
) -> None:
    script = Path(__file__).parent / "programs" / "aio_gather.py"
    plain = subprocess.run(
        [sys.executable, script, str(UNIT)], capture_output=True, text=True, timeout=120
    )
    result = cli("trace", "--no-chart", "--out", str(tmp_path), str(script), str(UNIT))
    assert result.returncode == plain.returncode == 4
    assert result.stdout == plain.stdout == "[30, 10, 20]\nfailed: no\n"
    (run,) = load(tmp_path / "trace-aio_gather.json").runs
    assert (run.executor, run.scenario, run.workers) == ("asyncio", "aio_gather.py:25", 3)
    assert [(t.arg, t.outcome) for t in run.tasks] == [("nap", "ok")] * 3 + [("fail", "error")]
    naps = run.tasks[:3]
    _, allowed = tolerance(
        {f"task {t.index}": t.finished - t.started - t.result / 10 * UNIT for t in naps}, UNIT
    )
    assert [t.index for t in sorted(naps, key=lambda t: t.finished)] == [1, 2, 0]
    assert {t.delivered for t in naps} == {naps[0].delivered}
    assert naps[0].delivered - naps[0].submitted == pytest.approx(3 * UNIT, abs=allowed)


def test_a_blocking_call_in_a_task_is_the_loops_measured_lag() -> None:
    async def body(unit: float) -> None:
        async def blocks() -> None:
            time.sleep(3 * unit)  # never awaits: every task and the caller wait

        await asyncio.gather(blocks(), nap(unit))
        assert len(asyncio.all_tasks()) == 1  # the watcher is no task of the program's

    run = recorded(body, UNIT)
    (span,) = run.loop_blocked
    blocker = run.tasks[0]
    _, allowed = tolerance({"blocker": blocker.finished - blocker.started - 3 * UNIT}, UNIT)
    assert span[1] == pytest.approx(blocker.finished, abs=allowed)
    assert span[1] - span[0] == pytest.approx(3 * UNIT, abs=allowed + 0.01)  # one 5 ms tick
