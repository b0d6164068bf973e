"""Trace format 2 (columns, interned strings, times to 1 µs) and the format-1 files it replaces."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import pytest
from helpers.fixtures import failing_map, noop_run, sample_trace, slow_first_map
from helpers.tracefiles import assert_same_but_rounded

from loiter.model import tracefile
from loiter.model.trace import INTERVAL_LISTS, TASK_FIELDS, Blocked, Run, Task, Trace
from loiter.model.tracefile import TraceError

DATA = Path(__file__).resolve().parents[1] / "data"
V1_SAMPLES = sorted(DATA.glob("v1-*.json"))
HOSTILE = [
    'quote " backslash \\ slash /',
    "new\nline\ttab\rcr\x00nul\x1bescape",
    "\u2028\u2029 line separators, \ufeff BOM, \U0001f600 emoji, é",
    "<script>alert(1)</script> =cmd|' /C calc'!A0",
    "x" * 10_000,
    "",
    "null",
    "0",
]


def odd_run() -> Run:
    """Every field set, to values a writer could get wrong."""
    tasks = [
        Task(0, 10**30, 0.0, 0.000001, 1.5, 2.25, HOSTILE[0], "ok", -(10**25)),
        Task(1, HOSTILE[1], 0.5, None, None, None, None, "cancelled"),
        Task(2, {"k": [1, None, "v"]}, 0.75, 1.0, 2.0, None, HOSTILE[2], "undelivered"),
        Task(3, None, 1.0, 1.25, 3.0, 3.5, HOSTILE[0], "error", None, HOSTILE[4]),
        Task(4, 2.5e-7, 1.0, 1.25, 3.0, 3.5, "", "error", None, HOSTILE[4]),
        Task(5, True, 1.0, 2.0, 3.0, 4.0, "ok", "timed_out", None, "ok"),
        Task(6, [], 9999999.999999, 9999999.999999, 9999999.999999, None, "0", "ok", HOSTILE[6]),
    ]
    tasks.reverse()  # the file keeps the tasks' order, whatever their indices
    return Run(
        HOSTILE[3],
        "map",
        "thread",
        3,
        0.25,
        tasks,
        [Blocked(0.0, 2.25, 0), Blocked(2.25, 3.5, None), Blocked(3.5, 3.5, 3)],
        workload=HOSTILE[7],
        wall_origin=1_700_000_000.123456,
        error=HOSTILE[5],
        options={"chunksize": 2, "note": HOSTILE[1], "big": 10**20},
        loop_blocked=[(0.5, 0.75), (1.0, 1.000001)],
    )


def test_every_field_and_odd_value_round_trips_exactly() -> None:
    trace = Trace(
        [odd_run(), slow_first_map(), failing_map(), Run("e", "map", "thread", 1, 1.0, [])]
    )
    data = tracefile.dumps(trace)
    loaded = tracefile.loads(data)
    assert loaded == trace
    assert tracefile.dumps(loaded) == data  # and writes the same bytes again


def test_the_file_is_columns_with_strings_interned() -> None:
    data = json.loads(tracefile.dumps(Trace([odd_run()])))
    assert data["format"] == "loiter-trace" and data["version"] == 2
    run = data["runs"][0]
    assert set(run["tasks"]) == set(TASK_FIELDS)
    assert all(len(column) == 7 for column in run["tasks"].values())
    strings = run["strings"]
    assert len(strings) == len(set(strings))  # each string once
    assert [strings[k] for k in run["tasks"]["outcome"]][::-1] == [
        "ok", "cancelled", "undelivered", "error", "error", "timed_out", "ok"
    ]  # fmt: skip
    assert run["tasks"]["worker"][-2] is None and run["tasks"]["error"][0] is None
    assert run["caller_blocked"] == {
        "ask": [0.0, 2.25, 3.5],
        "got": [2.25, 3.5, 3.5],
        "index": [0, None, 3],
    }
    assert run["intervals"] == {"loop_blocked": {"from": [0.5, 1.0], "to": [0.75, 1.000001]}}
    assert run["tasks"]["arg"][-1] == 10**30  # an integer stays one, however big


def test_times_are_kept_to_the_microsecond_and_in_order() -> None:
    rng = random.Random(7)
    tasks = []
    for i in range(2_000):
        stamps = sorted(rng.uniform(0, 20) for _ in range(4))
        stamps[1] = stamps[2] = stamps[1] + rng.choice((0.0, 1e-9, 4e-7))  # order by a hair
        tasks.append(Task(i, 0, *stamps, "T_0", "ok"))
    run = Run("r", "map", "thread", 1, 1.0, tasks)
    loaded = tracefile.loads(tracefile.dumps(Trace([run]))).runs[0]
    for before, after in zip(run.tasks, loaded.tasks, strict=True):
        for name in ("submitted", "started", "finished", "delivered"):
            assert getattr(after, name) == pytest.approx(getattr(before, name), abs=0.5e-6)
        times = [after.submitted, after.started, after.finished, after.delivered]
        assert times == sorted(times)  # rounding never swaps two timestamps


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, 1e305])
@pytest.mark.parametrize("where", ["started", "delivered", "ask", "loop_blocked"])
def test_a_time_that_is_not_a_number_is_refused_when_written(bad: float, where: str) -> None:
    run = slow_first_map()
    if where == "ask":
        run.caller_blocked[1] = Blocked(bad, 4.0, 1)
        field = "runs[0].caller_blocked.ask[1]"
    elif where == "loop_blocked":
        run.loop_blocked = [(0.0, 1.0), (2.0, bad)]
        field = "runs[0].loop_blocked.to[1]"
    else:
        setattr(run.tasks[3], where, bad)
        field = f"runs[0].tasks.{where}[3]"
    with pytest.raises(ValueError) as caught:
        tracefile.dumps(Trace([run]))
    assert str(caught.value) == f"{field} is {bad!r}, not a time"


def test_no_op_tasks_take_at_most_100_bytes_each() -> None:
    """100,000 tasks as a bounded loop records them, the last delivered after 20 s (so
    times have their most digits): format 1 takes about 330 bytes a task."""
    run = noop_run(100_000)
    run.tasks[-1].delivered = 20.123456789
    data = tracefile.dumps(Trace([run]))
    assert tracefile.loads(data).runs[0].tasks[-1].delivered == 20.123457
    size = len(data)
    assert size / len(run.tasks) <= 100, f"{size / len(run.tasks):.1f} B per task"


def _doc(trace: Trace = None) -> dict:  # type: ignore[assignment]
    return json.loads(tracefile.dumps(trace or sample_trace()))


def _broken(change) -> bytes:
    doc = _doc()
    change(doc["runs"][2])
    return json.dumps(doc).encode()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r["tasks"]["started"].pop(), "runs[2].tasks.started has 3 values for 4 tasks"),
        (lambda r: r["tasks"]["index"].append(4), "runs[2].tasks.arg has 4 values for 5 tasks"),
        (lambda r: r["tasks"]["worker"].__setitem__(1, 99), "tasks.worker[1] is string 99"),
        (lambda r: r["tasks"]["error"].__setitem__(0, -1), "tasks.error[0] is string -1"),
        (lambda r: r["tasks"]["outcome"].__setitem__(2, None), "$.runs[2].tasks.outcome[2]"),
        (lambda r: r["tasks"]["worker"].__setitem__(0, "T_0"), "$.runs[2].tasks.worker[0]"),
        (lambda r: r["tasks"]["worker"].__setitem__(0, True), "$.runs[2].tasks.worker[0]"),
        (lambda r: r["tasks"]["started"].__setitem__(0, "soon"), "$.runs[2].tasks.started[0]"),
        (lambda r: r.__setitem__("strings", ["ok", 3]), "$.runs[2].strings[1]"),
        (lambda r: r["tasks"].pop("result"), "missing required field `result`"),
        (lambda r: r.pop("strings"), "missing required field `strings`"),
        (lambda r: r["caller_blocked"]["got"].pop(), "caller_blocked: its columns differ"),
        (
            lambda r: r.__setitem__("intervals", {"loop_blocked": {"from": [1.0], "to": []}}),
            "intervals.loop_blocked: its columns differ in length (from 1, to 0)",
        ),
        (lambda r: r["tasks"]["index"].__setitem__(1, 0), "tasks[1].index must be 0 to 3"),
        (lambda r: r["tasks"]["finished"].__setitem__(0, -1.0), "tasks[0].finished (-1.0)"),
        (lambda r: r["tasks"]["outcome"].__setitem__(0, 0), "tasks[0].outcome must be one of"),
        (lambda r: r["caller_blocked"]["index"].__setitem__(0, 7), "names task 7"),
    ],
)
def test_bad_columns_are_rejected_with_one_line_naming_them(change, message: str) -> None:
    with pytest.raises(TraceError) as caught:
        tracefile.loads(_broken(change), source="t.json")
    text = str(caught.value)
    assert message in text and "\n" not in text and text.startswith("t.json: ")


def test_huge_numbers_where_times_go_are_refused() -> None:
    doc = json.dumps(_doc())
    assert '"started": [0.0,' in doc
    with pytest.raises(TraceError, match="out of range"):
        tracefile.loads(doc.replace('"started": [0.0,', '"started": [1e999,', 1))


def test_unknown_fields_and_interval_lists_of_newer_versions_are_ignored() -> None:
    doc = _doc()
    doc["runs"][0]["from_the_future"] = 1
    doc["runs"][0]["tasks"]["colour"] = ["red"]
    doc["runs"][0]["intervals"] = {"gpu_busy": {"from": [0.0], "to": [1.0]}}
    assert tracefile.loads(json.dumps(doc)) == sample_trace()


def test_every_interval_list_is_stored_by_name() -> None:
    """A new per-run interval list (a Run field and its name in INTERVAL_LISTS) needs
    nothing else from the file format."""
    run = slow_first_map()
    for k, name in enumerate(INTERVAL_LISTS):
        setattr(run, name, [(0.0, 1.0 + k), (2.0, 2.5)])
    stored = _doc(Trace([run]))["runs"][0]["intervals"]
    assert set(stored) == set(INTERVAL_LISTS)
    assert tracefile.loads(tracefile.dumps(Trace([run]))).runs[0] == run


@pytest.mark.parametrize("version", [0, 3, -1])
def test_only_known_versions_are_written(version: int) -> None:
    with pytest.raises(ValueError, match="cannot be written"):
        tracefile.dumps(sample_trace(), version)


def test_version_1_is_still_written_on_request_and_reads_back_the_same() -> None:
    trace = Trace([odd_run(), *sample_trace().runs])
    data = tracefile.dumps(trace, version=1)
    doc = json.loads(data)
    assert doc["version"] == 1 and doc["runs"][0]["tasks"][0]["worker"] == "0"
    assert tracefile.loads(data) == trace


@pytest.mark.parametrize("path", V1_SAMPLES, ids=lambda p: p.name)
def test_version_1_files_load_and_mean_the_same_in_version_2(path: Path) -> None:
    """Files written by loiter-viz before format 2 (tests/data/v1-*.json)."""
    assert json.loads(path.read_text())["version"] == 1
    old = tracefile.load(path)
    new = tracefile.loads(tracefile.dumps(old))
    assert_same_but_rounded(new, old)
    for before, after in zip(old.runs, new.runs, strict=True):
        a, b = after.summary(), before.summary()
        assert a.outcomes == b.outcomes and a.stalled_tasks == b.stalled_tasks
        for name in ("makespan", "first_result", "total_stall", "total_held", "caller_blocked"):
            assert getattr(a, name) == pytest.approx(getattr(b, name), abs=1e-5), name


def test_the_recorded_version_1_samples_say_what_was_recorded() -> None:
    """Pins the format-1 reader on files from the format-1 writer (not on our own output)."""
    failures = tracefile.load(DATA / "v1-thread-failures.json")
    assert [r.strategy for r in failures.runs] == ["map", "as_completed", "bounded"]
    assert [t.outcome for t in failures.runs[0].tasks] == ["ok", "error", *["undelivered"] * 3]
    assert failures.runs[0].error == "TaskFailed: task with argument 1 failed on purpose"
    assert failures.runs[2].tasks[4].outcome == "cancelled"
    assert failures.runs[0].tasks[0].finished == 0.150822033  # the ns the writer wrote
    aio = tracefile.load(DATA / "v1-asyncio.json")
    assert [(r.executor, r.strategy) for r in aio.runs] == [
        ("asyncio", "gather"),
        ("asyncio", "taskgroup"),
    ]


def test_the_readmes_example_is_a_valid_version_2_file() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("## The trace file\n", 1)[1]
    example = section.split("```json\n", 1)[1].split("```", 1)[0]
    (run,) = tracefile.loads(example).runs
    assert run.tasks == [
        Task(0, 4, 0.0001, 0.0003, 2.0004, 2.0006, "ThreadPoolExecutor-0_0", "ok", 40)
    ]
    assert run.caller_blocked == [Blocked(0.0002, 2.0006, 0)]


@pytest.mark.parametrize(
    "args",
    [[[1, 2], [3, 4]], [[1], [2]], ["1e30", 1], [10**400, 1], [{"a": 1}, None], [True, 2.5]],
    ids=["pairs", "singletons", "numeric-text", "huge", "mixed", "bool"],
)
@pytest.mark.parametrize("version", [1, 2])
def test_args_of_any_shape_load(args: list, version: int) -> None:
    """The load check screens args as numbers when it can; anything else is looked at
    one by one, and only a number out of bounds is a problem."""
    run = slow_first_map()
    run.workload = "mymodule:fn"  # args are whatever it takes, not durations
    run.tasks = run.tasks[:2]
    run.caller_blocked = run.caller_blocked[:1]
    for task, arg in zip(run.tasks, args, strict=True):
        task.arg = arg
    assert tracefile.loads(tracefile.dumps(Trace([run]), version)).runs[0].tasks == run.tasks


@pytest.mark.parametrize("arg", [1e9, -1, 10**400])
def test_a_timed_arg_out_of_bounds_is_found_among_many_fine_ones(arg: float) -> None:
    run = noop_run(200_000)
    run.workload = "loiter"
    run.tasks[123_456].arg = arg
    with pytest.raises(TraceError) as caught:
        tracefile.loads(tracefile.dumps(Trace([run])))
    assert "runs[0].tasks[123456].arg of loiter must be 0 to 1e+07 s" in str(caught.value)
    assert len(str(caught.value)) < 200
