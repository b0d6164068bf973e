"""Open formats: Chrome Trace Event JSON (Perfetto) and CSV, checked for structure and units."""

from __future__ import annotations

import csv
import io
import itertools
import json
from collections import defaultdict
from pathlib import Path

import pytest
from helpers.fixtures import blocked_loop, failing_map, sample_trace, slow_first_map

from loiter.cli import main
from loiter.model.trace import Trace
from loiter.model.tracefile import load, save
from loiter.render.export import CSV_COLUMNS, to_chrome, to_csv

DATA = Path(__file__).parent.parent / "data"


def _events(trace: Trace) -> list[dict]:
    return json.loads(json.dumps(to_chrome(trace)))["traceEvents"]


def test_chrome_ids_are_integers_and_tracks_are_named() -> None:
    events = _events(sample_trace())
    assert all(type(e["pid"]) is int and type(e["tid"]) is int for e in events)
    meta = [e for e in events if e["ph"] == "M"]
    processes = {e["pid"]: e["args"]["name"] for e in meta if e["name"] == "process_name"}
    assert processes == {1: "slow-first / map", 2: "slow-first / as_completed", 3: "custom / map"}
    threads = {(e["pid"], e["tid"]): e["args"]["name"] for e in meta if e["name"] == "thread_name"}
    used = {(e["pid"], e["tid"]) for e in events if e["ph"] == "X"}
    assert used <= set(threads)  # every track that holds a slice has a name
    assert threads[(1, 0)] == "caller"
    assert threads[(1, 1)] == "w1 T_0"


def test_chrome_slices_nest_on_every_track() -> None:
    tracks = defaultdict(list)
    for e in _events(Trace([*sample_trace(), blocked_loop()])):
        if e["ph"] == "X":
            tracks[e["pid"], e["tid"]].append((e["ts"], e["ts"] + e["dur"]))
    assert tracks
    for spans in tracks.values():
        spans.sort()
        for (_, end), (start, _) in itertools.pairwise(spans):
            assert start >= end - 1e-6  # one task at a time per worker, one wait at a time


def test_chrome_times_are_microseconds_and_every_task_is_present() -> None:
    run = slow_first_map()  # unit 1 s: #0 runs 0..4 s, everything delivered at 4 s
    events = _events(Trace([run]))
    running = {e["args"]["index"]: e for e in events if e["ph"] == "X" and e["tid"] != 0}
    assert sorted(running) == [t.index for t in run.tasks]
    assert (running[0]["ts"], running[0]["dur"]) == (0.0, 4_000_000.0)
    assert (running[3]["ts"], running[3]["dur"]) == (2_000_000.0, 1_000_000.0)
    held = [e for e in events if e.get("cat") == "held"]
    begins = {e["id"]: e["ts"] for e in held if e["ph"] == "b"}
    ends = {e["id"]: e["ts"] for e in held if e["ph"] == "e"}
    assert begins.keys() == ends.keys() == {f"held.{i}" for i in range(5)}
    assert (begins["held.2"], ends["held.2"]) == (2_000_000.0, 4_000_000.0)
    stall = next(e for e in held if e["ph"] == "b" and e["id"] == "held.2")["args"]["stall_s"]
    assert stall == pytest.approx(2.0)


def test_chrome_flows_go_from_the_worker_at_finish_to_the_caller_at_delivery() -> None:
    events = _events(Trace([slow_first_map()]))
    starts = {e["id"]: e for e in events if e["ph"] == "s"}
    finishes = {e["id"]: e for e in events if e["ph"] == "f"}
    assert starts.keys() == finishes.keys() and len(starts) == 5
    s, f = starts["1.2"], finishes["1.2"]
    assert (s["tid"], s["ts"]) == (3, 2_000_000.0)  # T_2 is the third worker seen
    assert (f["tid"], f["ts"]) == (0, 4_000_000.0)


def test_chrome_lost_tasks_have_no_running_or_held_span() -> None:
    events = _events(Trace([failing_map()]))
    running = {e["args"]["index"] for e in events if e["ph"] == "X" and e["tid"] != 0}
    held = {e["args"]["index"] for e in events if e.get("cat") == "held" and e["ph"] == "b"}
    assert running == {0, 1, 2}  # #3 was cancelled before it ran
    assert held == {0, 1}  # #2 finished but was never delivered


def test_csv_has_one_row_per_task_with_units_in_the_header() -> None:
    trace = sample_trace()
    rows = list(csv.DictReader(io.StringIO(to_csv(trace))))
    assert tuple(rows[0]) == CSV_COLUMNS
    times = ("submitted", "started", "finished", "delivered", "queued", "ran", "held", "stall")
    assert {f"{name}_s" for name in times} <= set(CSV_COLUMNS)  # seconds, said in the header
    assert len(rows) == sum(len(r.tasks) for r in trace)
    third = next(r for r in rows if r["run"] == "1" and r["index"] == "2")
    assert float(third["finished_s"]) == 2.0 and float(third["held_s"]) == 2.0
    assert float(third["stall_s"]) == pytest.approx(2.0)
    lost = next(r for r in rows if r["run"] == "3" and r["index"] == "3")
    assert (lost["outcome"], lost["started_s"], lost["delivered_s"]) == ("cancelled", "", "")
    assert next(r for r in rows if r["outcome"] == "error")["error"] == "ValueError: bad"


def _cli(args: list[str]) -> int:
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    return exit_info.value.code


def test_cli_export_writes_both_formats(tmp_path: Path, capsys) -> None:
    src = save(sample_trace(), tmp_path / "t.json")
    assert _cli(["export", str(src), "--to", "chrome"]) == 0
    chrome = tmp_path / "t.chrome.json"
    assert capsys.readouterr().out.strip() == str(chrome)
    assert json.loads(chrome.read_text())["traceEvents"]
    assert _cli(["export", str(src), "--to", "csv", "-o", str(tmp_path / "x.csv")]) == 0
    assert (tmp_path / "x.csv").read_text().startswith("run,scenario,strategy,index")


def test_cli_export_rejects_bad_input_in_one_line(tmp_path: Path, capsys) -> None:
    src = save(sample_trace(), tmp_path / "t.json")
    assert _cli(["export", str(src), "--to", "xml"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--to" in err and "chrome" in err and "csv" in err
    assert _cli(["export", str(tmp_path / "missing.json"), "--to", "csv"]) == 1
    assert "cannot read trace" in capsys.readouterr().err


def test_version_1_file_keeps_loading_with_defaults() -> None:
    trace = load(DATA / "v1-minimal.json")
    run = trace.runs[0]
    assert (run.workload, run.caller_blocked, run.wall_origin, run.error) == (
        "loiter",
        [],
        None,
        None,
    )
    assert [t.result for t in run.tasks] == [None, None]
    assert run.tasks[1].held == 0.5
    assert to_csv(trace).count("\n") == 3


def test_chrome_shows_the_blocked_event_loop_on_a_track_of_its_own() -> None:
    events = _events(Trace([slow_first_map(), blocked_loop()]))
    names = {
        (e["pid"], e["tid"]): e["args"]["name"]
        for e in events
        if e["ph"] == "M" and e["name"] == "thread_name"
    }
    loops = [key for key, name in names.items() if name == "event loop"]
    assert loops == [(2, 4)]  # only the asyncio run; after its caller and 3 slots
    spans = [
        (e["ts"], e["dur"]) for e in events if e["ph"] == "X" and (e["pid"], e["tid"]) in loops
    ]
    assert spans == [(0.0, 200_000.0), (250_000.0, 250_000.0)]
    assert {e["name"] for e in events if (e["pid"], e["tid"]) in loops and e["ph"] == "X"} == {
        "loop blocked"
    }


def test_csv_says_how_long_the_loop_was_blocked_in_each_tasks_life() -> None:
    rows = list(csv.DictReader(io.StringIO(to_csv(Trace([slow_first_map(), blocked_loop()])))))
    assert CSV_COLUMNS[-1] == "loop_blocked_s"
    pool = [r["loop_blocked_s"] for r in rows if r["run"] == "1"]
    assert pool == [""] * 5  # a pool has no event loop: a time that never happened
    loop = {int(r["index"]): float(r["loop_blocked_s"]) for r in rows if r["run"] == "2"}
    # #0 lived 0-0.21 s (blocked 0-0.2); #1 and #2 until 0.5 s, through both spans
    assert loop == {0: pytest.approx(0.2), 1: pytest.approx(0.45), 2: pytest.approx(0.45)}


def test_export_of_a_saved_asyncio_trace_keeps_the_blocked_loop(tmp_path: Path, capsys) -> None:
    path = save(Trace([blocked_loop()]), tmp_path / "t.json")
    assert load(path).runs[0].loop_blocked == [(0.0, 0.2), (0.25, 0.5)]
    assert _cli(["export", str(path), "--to", "chrome"]) == 0
    chrome = json.loads((tmp_path / "t.chrome.json").read_text())["traceEvents"]
    assert sum(e.get("name") == "loop blocked" for e in chrome) == 2


def test_chrome_caller_track_shows_the_submitting_spans() -> None:
    run = slow_first_map()
    run.caller_submitting = [(0.0, 0.25), (1.0, 1.5)]
    events = _events(Trace([run]))
    spans = [(e["ts"], e["dur"]) for e in events if e.get("name") == "submitting"]
    assert spans == [(0.0, 250_000.0), (1_000_000.0, 500_000.0)]
    assert {e["tid"] for e in events if e.get("name") == "submitting"} == {0}
