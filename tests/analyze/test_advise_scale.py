"""advise on big and user-made traces: fast, with alternatives a user could adopt, and readable.

The GIL check equals its pairwise definition (kept here only, as the slow
reference); 100,000 tasks take seconds. Worker counts stay adoptable, a
consumer delay the options lack is read from the trace, and the table names
every strategy a row stands for.
"""

from __future__ import annotations

import io
import random
import time

import pytest
from helpers.fixtures import many_tasks, slow_first_map
from rich.console import Console

from loiter.analyze.advise import (
    MAX_OFFERED_WORKERS,
    advise_run,
    concurrency,
    consumer_delay,
    gil_bound,
    worker_options,
)
from loiter.model.trace import Blocked, Run, Task
from loiter.render.terminal.advice import advice_table


def pairwise_concurrency(run: Run) -> list[tuple[float, float]]:
    """The old definition: every task's overlap with every running task, pair by pair."""
    spans = [(t.started, t.finished) for t in run.tasks if t.ran and t.ran > 0]
    points = []
    for t in run.tasks:
        if not t.ran or t.ran <= 0 or not isinstance(t.arg, (int, float)) or t.arg <= 0:
            continue
        overlap = sum(max(0.0, min(t.finished, b) - max(t.started, a)) for a, b in spans)
        points.append((overlap / t.ran, t.ran / t.arg))
    return points


def pairwise_gil_bound(run: Run) -> bool:
    points = pairwise_concurrency(run)
    if len(points) < 2:
        return False
    (c_lo, r_lo), (c_hi, r_hi) = min(points), max(points)
    if c_hi < 1.3 * c_lo:
        return False
    return r_hi / r_lo > 1 + 0.5 * (c_hi / c_lo - 1)


def random_run(seed: int, n: int) -> Run:
    """Tasks at random times, some overlapping, some alone, some shared ends, some not run."""
    rng = random.Random(seed)
    tasks = []
    for i in range(n):
        start = rng.choice([0.0, 1.0, rng.uniform(0, 5)])
        length = rng.choice([0.0, 0.5, rng.uniform(0.01, 3)])
        ran = rng.random() > 0.1
        arg = rng.choice([1, 2, 3, 0.5, 0, "x"])
        end = start + length if ran else None
        tasks.append(Task(i, arg, 0.0, start if ran else None, end, end, "T", "ok"))
    return Run("random", "map", "thread", 4, 1.0, tasks)


@pytest.mark.parametrize("seed", range(60))
def test_concurrency_equals_the_pairwise_definition(seed: int) -> None:
    run = random_run(seed, n=1 + seed % 25)
    fast, slow = concurrency(run), pairwise_concurrency(run)
    assert len(fast) == len(slow)
    for (c, r), (c_ref, r_ref) in zip(fast, slow):
        assert c == pytest.approx(c_ref, rel=1e-9, abs=1e-9) and r == r_ref
    assert gil_bound(run) == pairwise_gil_bound(run)


def test_gil_bound_still_tells_crowded_cpu_work_from_sleep() -> None:
    """Two tasks side by side took twice their time each (one core), then one ran alone."""
    shared = [Task(0, 1, 0.0, 0.0, 2.0, 2.0, "a", "ok"), Task(1, 1, 0.0, 0.0, 2.0, 2.0, "b", "ok")]
    cpu = Run("gil", "map", "thread", 2, 1.0, [*shared, Task(2, 1, 0.0, 2.0, 3.0, 3.0, "a", "ok")])
    assert gil_bound(cpu) and pairwise_gil_bound(cpu)
    asleep = [Task(i, 1, 0.0, 0.0, 1.0, 1.0, "ab"[i], "ok") for i in range(2)]
    io_run = Run(
        "io", "map", "thread", 2, 1.0, [*asleep, Task(2, 1, 0.0, 1.0, 2.0, 2.0, "a", "ok")]
    )
    assert not gil_bound(io_run) and not pairwise_gil_bound(io_run)


def test_gil_bound_of_100_000_tasks_takes_seconds_not_hours() -> None:
    run = many_tasks(100_000, workers=8)
    began = time.perf_counter()
    gil_bound(run)
    took = time.perf_counter() - began
    assert took < 10.0, f"{took:.1f} s"  # pairwise: ~45 min


@pytest.mark.parametrize(
    ("workers", "tasks", "expected"),
    [
        (3, 10_000, [1, 3, 4, 6, MAX_OFFERED_WORKERS]),
        (20, 10_000, [10, 20, 21, 40]),  # twice the measured pool is the most offered
        (3, 5, [1, 3, 4, 5]),  # one per task when that is few
        (1, 1_000_000, [1, 2, MAX_OFFERED_WORKERS]),
    ],
)
def test_worker_counts_offered_stay_adoptable(workers: int, tasks: int, expected) -> None:
    assert worker_options(workers, tasks) == expected


def test_cpu_bound_work_is_offered_at_most_the_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.cpu_count", lambda: 4)
    assert worker_options(2, 10_000, cpu_bound=True) == [1, 2, 3, 4]
    assert max(worker_options(8, 10_000, cpu_bound=True)) == 8  # the measured count stays


def test_advise_on_10_000_tasks_offers_no_pool_of_10_000() -> None:
    (advice,) = [advise_run(many_tasks(10_000, workers=3))]
    assert max(p.workers for p in advice.predictions) == MAX_OFFERED_WORKERS


def consuming_run(delay: float, n: int = 12) -> Run:
    """map on 2 workers with tasks of 0.1 s and a caller that works ``delay`` per result."""
    tasks, blocked, now = [], [], 0.0
    for i in range(n):
        start = (i // 2) * 0.1
        task = Task(i, 1, 0.0, start, start + 0.1, None, f"T_{i % 2}", "ok", 10)
        got = max(now, task.finished)
        blocked.append(Blocked(now, got, i))
        task.delivered = got
        now = got + delay  # the caller's own work on the result, then it asks again
        tasks.append(task)
    return Run("consumer", "map", "thread", 2, 0.1, tasks, blocked, workload="user:fn")


@pytest.mark.parametrize("delay", [0.02, 0.05, 0.3])
def test_a_consumer_delay_is_inferred_from_the_callers_gaps(delay: float) -> None:
    run = consuming_run(delay)
    inferred, note = consumer_delay(run)
    assert inferred == pytest.approx(delay)
    assert note is not None and f"{delay:.3f} s per result, inferred" in note
    advice = advise_run(run)
    assert advice.notes == [note]
    # The replay spends it: the measured setup predicted as it ran (last ask + delay).
    same = next(p for p in advice.predictions if (p.strategy, p.workers) == ("map", 2))
    assert same.makespan == pytest.approx(run.summary().makespan, abs=1e-6)


@pytest.mark.parametrize("delay", [0.0, 0.05])
def test_submitting_inside_a_gap_is_not_the_callers_work_on_a_result(delay: float) -> None:
    """bounded: after each result the caller submits one more (here 30 ms), then asks."""
    run = consuming_run(delay + 0.03)
    run.strategy = "bounded"
    run.caller_submitting = [(b.got, b.got + 0.03) for b in run.caller_blocked]
    assert consumer_delay(run)[0] == pytest.approx(delay)


def test_a_recorded_or_negligible_delay_is_not_inferred() -> None:
    run = consuming_run(0.05)
    run.options["consumer_delay"] = 0.0
    assert consumer_delay(run) == (0.0, None)
    assert consumer_delay(consuming_run(0.0)) == (0.0, None)
    assert advise_run(slow_first_map()).notes == []


def render(table: object) -> str:
    console = Console(file=io.StringIO(), width=100, color_system=None)
    console.print(table)
    return console.file.getvalue()


def test_advice_table_names_every_strategy_of_a_row_and_what_the_changes_compare() -> None:
    advice = advise_run(slow_first_map())
    out = render(advice_table(advice, limit=20))
    assert "+/- is the change against the run as measured" in " ".join(out.split())
    assert "makespan +/-" in out and "1st result +/-" in out
    cells = [line.split()[0] for line in out.splitlines() if line.strip()]
    # No "+3" standing for strategies left unnamed: each one is on a line of its own.
    assert not any(cell.startswith("+") for cell in cells)
    named = {line.split()[0] for line in out.splitlines() if line[:1] == " " and line.split()}
    assert {"map", "as_completed", "wait", "callbacks"} <= named
