"""Terminal output as pure functions of fixed traces: the book's log, summaries, JSON."""

from __future__ import annotations

import json
import re
import time
from io import StringIO

import pytest
from helpers.fixtures import failing_map, sample_trace, slow_first_as_completed, slow_first_map
from rich.console import Console

from loiter.model.trace import Trace
from loiter.render.booklog import book_lines, book_log
from loiter.render.terminal.tables import Summaries, summary_json
from loiter.render.words import comparisons

# The book's line: "[HH:MM:SS] " then n tabs then the message.
BOOK_LINE = re.compile(
    r"^\[\d\d:\d\d:\d\d\] (Script starting\."
    r"|(\t*)loiter\((\d+)\): (doing nothing for \3s\.\.\.|done\.)"
    r"|result \d+: .+|Scheduled for loiter\(\d+\): task \d+|caller got .+"
    r"|results: <generator object Executor\.map\.<locals>\.result_iterator at 0x[0-9a-f]+>"
    r"|Waiting for individual results:)$"
)


@pytest.fixture(autouse=True)
def utc(monkeypatch: pytest.MonkeyPatch):
    """``[HH:MM:SS]`` is local time; pin it so expected strings are exact."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_book_log_of_slow_first_map_is_the_books_format_in_time_order() -> None:
    run = slow_first_map()
    run.wall_origin = 20 * 3600 + 56 * 60 + 19  # 20:56:19 as in the book
    address = re.search(r"at (0x[0-9a-f]{12})>", book_lines(run)[4]).group(1)
    assert book_lines(run) == [
        "[20:56:19] Script starting.",
        "[20:56:19] \t\t\t\tloiter(4): doing nothing for 4s...",
        "[20:56:19] \t\t\tloiter(3): doing nothing for 3s...",
        "[20:56:19] \t\tloiter(2): doing nothing for 2s...",
        "[20:56:19] results: <generator object Executor.map.<locals>.result_iterator"
        f" at {address}>",
        "[20:56:19] Waiting for individual results:",
        "[20:56:21] \t\tloiter(2): done.",
        "[20:56:21] \tloiter(1): doing nothing for 1s...",
        "[20:56:22] \t\t\tloiter(3): done.",
        "[20:56:22] \tloiter(1): done.",
        "[20:56:22] loiter(0): doing nothing for 0s...",
        "[20:56:22] loiter(0): done.",
        "[20:56:23] \t\t\t\tloiter(4): done.",
        "[20:56:23] result 0: 40",
        "[20:56:23] result 1: 30",
        "[20:56:23] result 2: 20",
        "[20:56:23] result 3: 10",
        "[20:56:23] result 4: 0",
    ]


def test_book_log_of_as_completed_adds_submit_lines_and_delivers_as_finished() -> None:
    lines = book_lines(slow_first_as_completed())
    assert lines[1:6] == [f"[00:00:00] Scheduled for loiter({4 - i}): task {i}" for i in range(5)]
    results = [line for line in lines if " result " in line]
    assert results == [
        "[00:00:02] result 2: 20",
        "[00:00:03] result 1: 30",
        "[00:00:03] result 3: 10",
        "[00:00:03] result 4: 0",
        "[00:00:04] result 0: 40",
    ]
    # A result never comes before its own "done." line.
    for i, value in ((2, 20), (0, 40)):
        done = lines.index(next(x for x in lines if f"loiter({4 - i}): done." in x))
        assert done < lines.index(next(x for x in lines if f"result {i}: {value}" in x))


def test_book_log_shows_the_error_and_what_was_never_delivered() -> None:
    lines = book_lines(failing_map())
    assert "[00:00:02] result 1: raised ValueError: bad" in lines
    assert lines[-2] == "[00:00:04] caller got ValueError: bad"
    assert lines[-1] == "# never delivered: #2, #3"


def test_every_book_log_line_matches_the_books_format() -> None:
    text = book_log(sample_trace())
    for line in text.splitlines():
        if line and not line.startswith("#"):
            assert BOOK_LINE.match(line), repr(line)
            indent = BOOK_LINE.match(line).group(2)
            n = BOOK_LINE.match(line).group(3)
            if n is not None:
                assert indent == "\t" * int(n)


def render(renderable: object, width: int, terminal: bool = False) -> str:
    console = Console(file=StringIO(), width=width, force_terminal=terminal, color_system=None)
    console.print(renderable)
    return console.file.getvalue()


def test_comparison_line_between_strategies_per_scenario() -> None:
    assert comparisons(sample_trace()) == [
        "slow-first: as_completed delivered its first result 2.000s sooner than map"
        " and held nothing"
    ]
    assert comparisons(Trace([slow_first_as_completed(), slow_first_map()])) == [
        "slow-first: map delivered its first result 2.000s later than as_completed"
        " and stalled 4 task(s) for 5.000s"
    ]


@pytest.mark.parametrize("width", [60, 80, 200])
def test_summaries_fit_the_terminal_width_without_wrapping_numbers(width: int) -> None:
    out = render(Summaries(sample_trace()), width)
    lines = out.splitlines()
    assert all(len(line) <= width for line in lines)
    assert "\x1b" not in out  # not a terminal: no control codes
    for number in ("4.000 s", "2.000 s", "5.000 s", "83%", "75%"):
        assert number in out, number
    assert "slow-first: as_completed delivered its first result 2.000s sooner" in " ".join(
        out.split()
    )


def test_narrow_summary_is_aligned_name_value_blocks() -> None:
    out = render(Summaries(Trace([slow_first_map()])), 60)
    assert out.splitlines()[:11] == [
        "slow-first / map (thread, 3 workers)",
        "  makespan     4.000 s        ",
        "  1st result   4.000 s        ",
        "  stall        5.000 s        ",
        "  max stall    2.000 s        ",
        "  stalled            4        ",
        "  backlog      0.000 s        ",
        "  submitting   0.000 s        ",
        "  util             83%        ",
        "  caller idle  4.000 s        ",
        "  outcomes              5 ok  ",
    ]


def test_wide_summary_is_one_row_per_run() -> None:
    out = render(Summaries(sample_trace()), 200)
    rows = [line for line in out.splitlines() if line.startswith("│")]
    assert len(rows) == 3
    assert rows[0].split("│")[1:-1] == [
        " map          ",
        " slow-first ",
        "  4.000 s ",
        "    4.000 s ",
        " 5.000 s ",
        "   2.000 s ",
        "       4 ",
        " 0.000 s ",
        "    0.000 s ",
        "  83% ",
        "     4.000 s ",
        " 5 ok                                      ",
    ]


def test_summary_colours_only_on_a_terminal() -> None:
    console = Console(file=StringIO(), width=200, force_terminal=True, color_system="standard")
    console.print(Summaries(sample_trace()))
    assert "\x1b[1;31m5.000 s" in console.file.getvalue()  # map's stall in bold red


def test_summary_json_has_every_per_run_number() -> None:
    data = json.loads(json.dumps(summary_json(sample_trace())))
    first = data["runs"][0]
    assert (first["scenario"], first["strategy"]) == ("slow-first", "map")
    assert first["makespan"] == 4.0 and first["first_result"] == 4.0
    assert first["total_stall"] == 5.0 and first["max_stall"] == 2.0
    assert first["stalled_tasks"] == 4 and first["caller_blocked"] == 4.0
    assert first["utilisation"] == pytest.approx(10 / 12)
    # Held time in three parts that add up: stall, held while submitting, backlog.
    assert (first["total_held"], first["held_submitting"], first["backlog"]) == (5.0, 0.0, 0.0)
    assert data["runs"][2]["error"] == "ValueError: bad"
    assert data["comparisons"] == comparisons(sample_trace())


def test_cli_json_prints_only_json_and_log_rebuilds_the_saved_trace(tmp_path) -> None:
    from helpers.commands import cli

    result = cli("--unit", "0.02", "--scenario", "slow-first", "--json", "-o", str(tmp_path))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)  # nothing but JSON on stdout
    assert [r["strategy"] for r in data["runs"]] == ["map", "as_completed"]
    assert data["runs"][0]["stalled_tasks"] == 4 and data["runs"][1]["stalled_tasks"] == 0
    assert data["comparisons"][0].startswith("slow-first: as_completed delivered its first")

    logged = cli("log", str(tmp_path / "loiter-thread-3w.json"))
    assert logged.returncode == 0, logged.stderr
    lines = logged.stdout.splitlines()
    assert lines[0] == "# slow-first / map (thread, 3 workers)"
    body = [line for line in lines if line and not line.startswith("#")]
    assert all(BOOK_LINE.match(line) for line in body), body
    assert "\x1b" not in logged.stdout
    # map delivers in input order, all after loiter(4) is done.
    map_part = lines[: lines.index("# slow-first / as_completed (thread, 3 workers)")]
    results = [line.split("] ")[1] for line in map_part if "result" in line]
    assert results[0].startswith("results: <generator object Executor.map.")
    assert results[1] == "Waiting for individual results:"
    assert results[2:] == [f"result {i}: {(4 - i) * 10}" for i in range(5)]
    done4 = next(i for i, line in enumerate(map_part) if "loiter(4): done." in line)
    assert done4 < next(i for i, line in enumerate(map_part) if "result 0" in line)


def test_cli_log_of_a_missing_trace_is_one_line_exit_1(tmp_path) -> None:
    from helpers.commands import cli

    result = cli("log", str(tmp_path / "nope.json"))
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "nope.json" in result.stderr


def test_piped_run_is_plain_text_and_force_color_adds_colour_but_no_live_frames(tmp_path) -> None:
    from helpers.commands import cli

    args = ("--unit", "0.02", "--scenario", "slow-first", "-o", str(tmp_path))
    plain = cli(*args)
    assert plain.returncode == 0, plain.stderr
    assert "\x1b" not in plain.stdout
    assert "slow-first: as_completed delivered its first result" in " ".join(plain.stdout.split())
    import os

    os.environ["FORCE_COLOR"] = "1"
    try:
        coloured = cli(*args)
        no_color = cli(*args, "--no-color")
    finally:
        del os.environ["FORCE_COLOR"]
    colour = re.compile(r"\x1b\[(?:\d+;)*3[0-7]m")  # a foreground colour, not bold/italic
    assert colour.search(coloured.stdout)
    assert "\x1b[?25l" not in coloured.stdout  # no live view hiding the cursor
    assert not colour.search(no_color.stdout)  # --no-color wins

    quiet = cli(*args, "--quiet")
    assert quiet.stdout.splitlines() == [
        str(tmp_path / "loiter-thread-3w.json"),
        str(tmp_path / "loiter-thread-3w.png"),
    ]
