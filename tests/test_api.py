"""The public API as a user writes it: loiter.traced around any executor, loiter.run."""

from __future__ import annotations

import concurrent.futures as cf
import json
from concurrent.futures import as_completed

import pytest
from helpers import UNIT
from helpers.taskfns import fail_on_two, nap
from matplotlib.figure import Figure

import loiter
from loiter.model.trace import ERROR, OK
from loiter.model.tracefile import load

POOLS = {"thread": cf.ThreadPoolExecutor, "process": cf.ProcessPoolExecutor}
TOLERANCE = 0.03


def test_public_names_are_exported() -> None:
    for name in loiter.__all__:
        assert getattr(loiter, name) is not None
    assert {"traced", "run", "as_completed", "wait", "Trace"} <= set(loiter.__all__)


def test_the_issue_snippet_records_map_submit_and_plain_as_completed(
    executor_kind: str, tmp_path
) -> None:
    """map then submit + the standard library's as_completed; results unchanged."""
    durations = [3 * UNIT, 1 * UNIT, 0.0]
    with loiter.traced(POOLS[executor_kind](3)) as ex:
        mapped = list(ex.map(nap, durations))
        fs = [ex.submit(nap, d) for d in (2 * UNIT, 0.0)]
        completed = [f.result() for f in as_completed(fs)]
    assert mapped == [d * 10 for d in durations]
    assert completed == [0.0, 2 * UNIT * 10]  # finish order, not submit order
    run = ex.trace.runs[0]
    assert run.executor == executor_kind and run.workers == 3
    assert [t.outcome for t in run.tasks] == [OK] * 5
    assert [t.arg for t in run.tasks] == [*durations, 2 * UNIT, 0.0]
    map_tasks, submit_tasks = run.tasks[:3], run.tasks[3:]
    # map hands results over in input order: #1 and #2 are held until #0 is delivered.
    # (Times relative to #0: a fresh process pool spends a while starting its workers.)
    first = map_tasks[0]
    assert first.ran == pytest.approx(3 * UNIT, abs=TOLERANCE)
    assert first.held == pytest.approx(0, abs=0.01)
    for t in map_tasks[1:]:
        assert t.delivered >= first.delivered
        assert t.held == pytest.approx(first.delivered - t.finished, abs=0.01)
        assert t.held > UNIT
    # Delivery through future.result() after plain as_completed: right after finishing.
    for t in submit_tasks:
        assert t.submitted <= t.started <= t.finished <= t.delivered
        assert t.held == pytest.approx(0, abs=0.01)
    assert submit_tasks[1].delivered < submit_tasks[0].delivered

    fig = ex.trace.plot()
    assert isinstance(fig, Figure) and fig.axes
    path = ex.trace.save(tmp_path / "run.json")
    assert json.loads(path.read_text())["format"] == "loiter-trace"
    assert load(path).runs[0].tasks == run.tasks


def test_loiter_as_completed_also_records_the_callers_waits() -> None:
    with loiter.traced(cf.ThreadPoolExecutor(2)) as ex:
        fs = [ex.submit(nap, d) for d in (2 * UNIT, UNIT)]
        for f in loiter.as_completed(fs):
            f.result()
    run = ex.trace.runs[0]
    assert [b.index for b in run.caller_blocked[:2]] == [1, 0]
    assert run.caller_blocked[0].got == pytest.approx(UNIT, abs=TOLERANCE)


def test_exceptions_pass_through_and_are_recorded() -> None:
    with loiter.traced(cf.ThreadPoolExecutor(2)) as ex:
        future = ex.submit(fail_on_two, 2, UNIT)
        with pytest.raises(ValueError, match="bad input 2"):
            future.result()
    task = ex.trace.runs[0].tasks[0]
    assert task.outcome == ERROR and task.error == "ValueError: bad input 2"
    assert task.ran == pytest.approx(2 * UNIT, abs=TOLERANCE)


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
