"""The public API as a user writes it: loiter.traced around any executor, loiter.run."""

from __future__ import annotations

import concurrent.futures as cf
import json
from concurrent.futures import as_completed

import pytest
from helpers import UNIT
from helpers.taskfns import fail_on_two, nap
from helpers.timing import quiet, tolerance
from helpers.tracefiles import assert_same_but_rounded
from matplotlib.figure import Figure

import loiter
from loiter.model.trace import ERROR, OK
from loiter.model.tracefile import load

POOLS = {"thread": cf.ThreadPoolExecutor, "process": cf.ProcessPoolExecutor}


def _tolerance(run, unit: float) -> float:
    """From how late the run's naps woke (a nap's argument is its seconds) and idle workers
    picked them up (here every task finds one, once the worker is up): see tests/timing.py."""
    late = {f"#{t.index} ran over": t.ran - t.arg for t in run.tasks}
    first = {}  # a worker's first task waits for the worker itself to start: no wake-up
    for t in sorted(run.tasks, key=lambda t: t.started, reverse=True):
        first[t.worker] = t.index
    late |= {
        f"#{t.index} picked up": t.started - t.submitted
        for t in run.tasks
        if first[t.worker] != t.index
    }
    assert min(late.values()) >= -0.001, late
    return tolerance(late, unit)[1]


def test_public_names_are_exported() -> None:
    for name in loiter.__all__:
        assert getattr(loiter, name) is not None
    assert {"traced", "run", "as_completed", "wait", "Trace"} <= set(loiter.__all__)


def test_the_issue_snippet_records_map_submit_and_plain_as_completed(
    executor_kind: str, tmp_path
) -> None:
    """map then submit + the standard library's as_completed; results unchanged."""

    def measure(unit: float):
        durations = [3 * unit, 1 * unit, 0.0]
        with loiter.traced(POOLS[executor_kind](3)) as ex:
            mapped = list(ex.map(nap, durations))
            fs = [ex.submit(nap, d) for d in (2 * unit, 0.0)]
            completed = [f.result() for f in as_completed(fs)]
        assert mapped == [d * 10 for d in durations]
        assert completed == [0.0, 2 * unit * 10]  # finish order, not submit order
        return unit, durations, ex

    def judge(measured) -> None:
        unit, durations, ex = measured
        run = ex.trace.runs[0]
        assert run.executor == executor_kind and run.workers == 3
        assert [t.outcome for t in run.tasks] == [OK] * 5
        assert [t.arg for t in run.tasks] == [*durations, 2 * unit, 0.0]
        allowed = _tolerance(run, unit)
        map_tasks, submit_tasks = run.tasks[:3], run.tasks[3:]
        # map hands results over in input order: #1 and #2 are held until #0 is delivered.
        # (Times relative to #0: a fresh process pool spends a while starting its workers.)
        first = map_tasks[0]
        assert first.held <= allowed
        for t in map_tasks[1:]:
            assert t.delivered >= first.delivered
            assert abs(t.held - (first.delivered - t.finished)) <= allowed
            assert t.held > unit
        # Delivery through future.result() after plain as_completed: right after finishing.
        for t in submit_tasks:
            assert t.submitted <= t.started <= t.finished <= t.delivered
            assert t.held <= allowed
        assert submit_tasks[1].delivered < submit_tasks[0].delivered

    *_, ex = quiet(measure, judge, UNIT)
    fig = ex.trace.plot()
    assert isinstance(fig, Figure) and fig.axes
    path = ex.trace.save(tmp_path / "run.json")
    assert json.loads(path.read_text())["format"] == "loiter-trace"
    assert_same_but_rounded(load(path), ex.trace)


def test_loiter_as_completed_also_records_the_callers_waits() -> None:
    def measure(unit: float):
        with loiter.traced(cf.ThreadPoolExecutor(2)) as ex:
            fs = [ex.submit(nap, d) for d in (2 * unit, unit)]
            for f in loiter.as_completed(fs):
                f.result()
        return unit, ex.trace.runs[0]

    def judge(measured) -> None:
        unit, run = measured
        assert [b.index for b in run.caller_blocked[:2]] == [1, 0]
        quick = run.tasks[1]  # the first wait ends when the quicker task arrives
        assert quick.finished <= run.caller_blocked[0].got <= quick.finished + _tolerance(run, unit)

    quiet(measure, judge, UNIT)


def test_exceptions_pass_through_and_are_recorded() -> None:
    with loiter.traced(cf.ThreadPoolExecutor(2)) as ex:
        future = ex.submit(fail_on_two, 2, UNIT)
        with pytest.raises(ValueError, match="bad input 2"):
            future.result()
    task = ex.trace.runs[0].tasks[0]
    assert task.outcome == ERROR and task.error == "ValueError: bad input 2"
    assert task.ran >= 2 * UNIT  # it slept its two units before raising (a late wake-up is noise)


def test_traced_meta_overrides_what_the_trace_says() -> None:
    with loiter.traced(cf.ThreadPoolExecutor(1), scenario="mine", workload="nap") as ex:
        ex.submit(nap, 0).result()
    run = ex.trace.runs[0]
    assert (run.scenario, run.workload, run.strategy) == ("mine", "nap", "traced")


def test_run_mirrors_the_cli() -> None:
    trace = loiter.run([2, 0, 1], strategies=["map", "as_completed"], workers=3, unit=UNIT)
    assert [r.strategy for r in trace] == ["map", "as_completed"]
    by_map, by_ac = trace.runs
    assert by_map.scenario == "custom" and by_map.unit == UNIT
    assert [t.result for t in by_map.tasks] == [20, 0, 10]
    assert by_map.summary().stalled_tasks == 2
    assert by_ac.summary().stalled_tasks == 0


def test_run_bounds_bounded_by_workers_as_the_cli_does() -> None:
    """No buffersize given: ``workers`` tasks ahead, never all of them (that is map).

    Each ``next()`` submits one more, then waits for the oldest (CPython 3.14's
    order): task i + 3 is submitted once the caller has task i.
    """
    (run,) = loiter.run([0] * 40, strategies=["bounded"], workers=2, unit=UNIT).runs
    assert run.options["buffersize"] == 2
    tasks = sorted(run.tasks, key=lambda t: t.index)
    for earlier, later in zip(tasks, tasks[3:]):
        assert later.submitted >= earlier.delivered


def test_run_presets_by_name() -> None:
    trace = loiter.run(scenarios=["book"], strategies=["map"], unit=0.01)
    assert [t.arg for t in trace.runs[0].tasks] == [0, 1, 2, 3, 4]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"strategies": ["mapp"]}, "strategy 'mapp' is not one of map"),
        ({"executor": "gpu"}, "executor 'gpu' is not one of thread"),
        ({"scenarios": ["nope"]}, "scenario 'nope' is not one of book"),
    ],
)
def test_run_rejects_unknown_names(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        loiter.run(**kwargs)


def test_public_names_resolve_lazily_and_match_all() -> None:
    import subprocess
    import sys

    code = (
        "import sys, loiter; assert 'loiter.execute.runner' not in sys.modules;"
        "assert sorted(loiter.__all__) == sorted(n for n in dir(loiter) if n in loiter.__all__);"
        "import loiter.cli; print(all(callable(getattr(loiter, n)) for n in loiter.__all__),"
        " type(loiter.traced).__name__)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "function"]
