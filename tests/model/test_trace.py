"""Derived metrics and the trace file: exact numbers on a fixed trace."""

from __future__ import annotations

import json

import pytest
from helpers.fixtures import failing_map, sample_trace, slow_first_as_completed, slow_first_map

from loiter.model import tracefile
from loiter.model.trace import Blocked, Run, Task, ordering_stalls
from loiter.model.tracefile import TraceError


def test_stall_is_held_time_while_the_caller_waits_for_another_task() -> None:
    stalls = slow_first_map().stalls()
    assert [s.seconds for s in stalls] == [0.0, 1.0, 2.0, 1.0, 1.0]
    assert [s.blocked_on for s in stalls] == [None, 0, 0, 0, 0]
    assert stalls[2].intervals == ((2.0, 4.0),)


def test_as_completed_has_no_stall() -> None:
    summary = slow_first_as_completed().summary()
    assert summary.total_stall == 0
    assert summary.stalled_tasks == 0
    assert summary.first_result == 2.0


def test_summary_numbers() -> None:
    summary = slow_first_map().summary()
    assert summary.makespan == 4.0
    assert summary.first_result == 4.0
    assert summary.total_stall == 5.0
    assert summary.max_stall == 2.0
    assert summary.stalled_tasks == 4
    assert summary.caller_blocked == 4.0
    assert summary.utilisation == pytest.approx((4 + 3 + 2 + 1 + 0) / (3 * 4.0))
    assert summary.outcomes == {"ok": 5}


def test_failure_outcomes_are_counted() -> None:
    assert failing_map().summary().outcomes == {
        "ok": 1,
        "error": 1,
        "undelivered": 1,
        "cancelled": 1,
    }


def test_file_round_trips_exactly(tmp_path) -> None:
    path = tmp_path / "t.json"
    tracefile.save(sample_trace(), path)
    first = path.read_bytes()
    loaded = tracefile.load(path)
    assert loaded == sample_trace()
    tracefile.save(loaded, path)
    assert path.read_bytes() == first


def test_file_matches_the_documented_shape(tmp_path) -> None:
    data = json.loads(tracefile.dumps(sample_trace(), version=1))
    assert data["format"] == "loiter-trace" and data["version"] == 1
    run = data["runs"][0]
    assert {
        "scenario",
        "strategy",
        "executor",
        "workers",
        "unit",
        "tasks",
        "caller_blocked",
    } <= set(run)
    assert run["caller_blocked"][0] == [0.0, 4.0, 0]
    assert set(run["tasks"][0]) >= {
        "index",
        "arg",
        "submitted",
        "started",
        "finished",
        "delivered",
        "worker",
        "outcome",
        "result",
        "error",
    }
    assert data["runs"][2]["tasks"][3]["started"] is None


def test_pairs_without_a_task_index_still_load() -> None:
    data = json.loads(tracefile.dumps(sample_trace(), version=1))
    data["runs"][0]["caller_blocked"] = [[0.0, 4.0]]
    trace = tracefile.loads(json.dumps(data))
    assert trace.runs[0].caller_blocked[0].index is None


def test_unknown_fields_are_ignored_and_missing_optional_ones_defaulted() -> None:
    data = json.loads(tracefile.dumps(sample_trace(), version=1))
    data["runs"][0]["from_the_future"] = {"x": 1}
    del data["runs"][0]["workload"]
    trace = tracefile.loads(json.dumps(data))
    assert trace.runs[0].workload == "loiter"


def _valid() -> dict:
    return json.loads(tracefile.dumps(sample_trace(), version=1))


def _with(path: list, value) -> bytes:
    data = _valid()
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return json.dumps(data).encode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "not a loiter trace"),
        (b"{", "not a loiter trace"),
        (b"\xff\xfe\x00", "not a loiter trace"),
        (b"[1, 2]", "not a loiter trace"),
        (b'{"format": "chrome"}', "format is 'chrome'"),
        (b'{"format": "loiter-trace", "version": 99}', "version 99 is not supported"),
        (b'{"format": "loiter-trace", "version": "1"}', "version must be an integer"),
        (b'{"format": "loiter-trace", "version": 1}', "runs"),
        (_with(["runs", 0, "workers"], "3"), "$.runs[0].workers"),
        (_with(["runs", 0, "workers"], 0), "workers must be at least 1"),
        (_with(["runs", 0, "unit"], -1), "unit must be a positive number"),
        (_with(["runs", 0, "tasks", 0, "started"], "soon"), "$.runs[0].tasks[0].started"),
        (
            _with(["runs", 0, "tasks", 0, "started"], "BIG").replace(b'"BIG"', b"1e999"),
            "Number out of range - at `$.runs[0].tasks[0].started`",
        ),
        (_with(["runs", 0, "tasks", 0, "outcome"], "great"), "outcome must be one of"),
        (_with(["runs", 0, "tasks", 0], "oops"), "$.runs[0].tasks[0]"),
    ],
)
def test_bad_files_are_rejected_with_one_clear_line(data: bytes, message: str) -> None:
    with pytest.raises(TraceError) as err:
        tracefile.loads(data, source="x.json")
    text = str(err.value)
    assert message in text
    assert text.startswith("x.json")
    assert "\n" not in text


def test_missing_file_is_a_trace_error(tmp_path) -> None:
    with pytest.raises(TraceError, match="cannot read trace"):
        tracefile.load(tmp_path / "nope.json")


@pytest.mark.parametrize("strategy", ["map", "as_completed"])
def test_stalls_of_results_held_across_many_waits_match_the_exact_sum(
    monkeypatch: pytest.MonkeyPatch, strategy: str
) -> None:
    """Thousands of quick tasks behind a busy caller: prefix sums give the same stalls."""
    import random

    from loiter.model import trace as trace_module

    rng = random.Random(7)
    n = 400
    tasks = [Task(i, i, 0.0, 0.0, rng.uniform(0.001, 0.05), None, "T", "ok") for i in range(n)]
    order = range(n) if strategy == "map" else sorted(range(n), key=lambda i: tasks[i].finished)
    blocked, now = [], 0.0
    for i in order:  # the caller waits, then works a little on each result (backlog gaps)
        got = max(now, tasks[i].finished) + rng.uniform(0, 1e-4)
        blocked.append(Blocked(now, got, i))
        tasks[i].delivered = got
        now = got + rng.uniform(0, 2e-4)
    run = Run("many", strategy, "thread", 4, 0.05, tasks, blocked)
    fast = ordering_stalls(run)
    monkeypatch.setattr(trace_module, "EXACT_WAITS", n + 1)
    exact = ordering_stalls(run)
    assert sum(s.seconds > 0 for s in exact) > n / 2  # the slow path really was needed
    assert [s.seconds for s in fast] == pytest.approx([s.seconds for s in exact], abs=1e-9)
    assert [s.blocked_on for s in fast] == [s.blocked_on for s in exact]
    spans = 0
    for task, f, e in zip(tasks, fast, exact):
        if len(f.intervals) == 1 < len(e.intervals):  # one span over the overlapping waits
            spans += 1
            ((lo, hi),) = f.intervals
            assert task.finished <= lo <= e.intervals[0][0]
            assert e.intervals[-1][1] <= hi <= task.delivered
        else:
            assert f.intervals == e.intervals
    assert spans > 0
