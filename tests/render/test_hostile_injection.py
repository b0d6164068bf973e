"""Strings from traces, tasks and requests never drive the terminal, a spreadsheet or rich.

A worker name, an error, a scenario or a request path can hold escape
sequences (window title, clear screen, one-byte C1 CSI), rich markup or a
spreadsheet formula. Printed, they show as visible escapes; exported, they
open as text. Each class is tried with several payloads.
"""

from __future__ import annotations

import csv
import io
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from loiter.cli.flags import _log
from loiter.model import tracefile
from loiter.model.safetext import safe
from loiter.model.trace import Blocked, Run, Task, Trace
from loiter.render.export import to_csv
from loiter.render.terminal.live import Row, frame
from loiter.workloads.flags.server import Behaviour, serving

# Terminal payloads: OSC retitle + BEL, clear screen, blink (SGR), C1 CSI, cursor home, NUL,
# a carriage return that would overwrite the line, a bidi override, rich markup.
TITLE = "\x1b]0;pwned\x07"
CLEAR = "\x1b[2J"
BLINK = "\x1b[5m"
CSI = "\x9b2J"
PAYLOADS = [TITLE, CLEAR, BLINK, CSI, "\x1b[H", "a\x00b", "fake\rline", "\u202eevil", "[red]x[/]"]
RICH_SGR = re.compile(rb"\x1b\[[0-9;]*m")  # rich's own colours under FORCE_COLOR


def test_safe_escapes_every_control_character_visibly() -> None:
    assert safe(TITLE) == "\\x1b]0;pwned\\x07"
    assert safe(CSI) == "\\x9b2J"
    assert safe("a\tb\nc\x7f") == "a\\x09b\\x0ac\\x7f"
    assert safe("\u202eevil") == "\\u202eevil"
    assert safe(42) == "42" and safe("plain – text é") == "plain – text é"
    for code in [*range(0x20), *range(0x7F, 0xA0)]:
        assert safe(chr(code)) == f"\\x{code:02x}"


def test_safe_markup_keeps_brackets_as_text() -> None:
    console = Console(file=io.StringIO(), width=80, color_system=None)
    for text in ("[red]x[/]", "[bold]", "[link=http://evil]y[/link]", "trailing\\"):
        console.print(safe(text, markup=True))
    assert console.file.getvalue().splitlines() == [
        "[red]x[/]",
        "[bold]",
        "[link=http://evil]y[/link]",
        "trailing\\",
    ]


def hostile_run(payload: str, strategy: str = "map") -> Run:
    """One run whose every free-text field carries ``payload``."""
    tasks = [
        Task(0, 1, 0.0, 0.0, 1.0, 1.0, f"T{payload}", "ok", f"res{payload}"),
        Task(1, f"arg{payload}", 0.0, 0.0, 2.0, 2.0, f"U{payload}", "error", None, f"E{payload}"),
        Task(2, 2, 0.0, 1.0, 3.0, 3.0, f"T{payload}", "ok", 20),
    ]
    blocked = [Blocked(0.0, 1.0, 0), Blocked(1.0, 2.0, 1), Blocked(2.0, 3.0, 2)]
    return Run(
        f"scen{payload}",
        strategy,
        f"thread{payload}",
        2,
        1.0,
        tasks,
        blocked,
        workload=f"work{payload}",
        wall_origin=0.0,
        error=f"Caller{payload}",
    )


@pytest.fixture(scope="module")
def hostile_trace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    runs = [hostile_run(p) for p in PAYLOADS] + [hostile_run(TITLE, strategy=f"as{CLEAR}")]
    return tracefile.save(Trace(runs), tmp_path_factory.mktemp("inj") / "hostile.json")


def loiter_viz(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "NO_COLOR")}
    return subprocess.run(
        [sys.executable, "-m", "loiter", *args],
        capture_output=True,
        env={**clean, "MPLBACKEND": "Agg", "COLUMNS": "120", "TZ": "UTC", **env},
        timeout=120,
    )


def assert_inert(out: bytes) -> None:
    """No control byte from the trace reached the terminal: only rich's own SGR colours."""
    rest = RICH_SGR.sub(b"", out)
    assert b"\x1b" not in rest and b"\x07" not in rest and b"\x00" not in rest
    assert "\x9b".encode() not in rest and "\u202e".encode() not in rest
    assert b"\x1b[5m" not in out  # not even a blink passes as "colour"
    assert b"\r" not in out


COLOURED = {"FORCE_COLOR": "1"}
WIDE = {"FORCE_COLOR": "1", "COLUMNS": "200"}  # the summary's one-row-per-run table


CASES = [("summary", {}), ("summary", COLOURED), ("summary", WIDE)]
CASES += [("advise", {}), ("advise", COLOURED), ("log", {}), ("log", COLOURED)]


@pytest.mark.parametrize(("command", "env"), CASES, ids=str)
def test_commands_print_trace_strings_escaped(hostile_trace: Path, command: str, env) -> None:
    result = loiter_viz(command, str(hostile_trace), **env)
    assert result.returncode == 0, result.stderr
    assert_inert(result.stdout)
    text = RICH_SGR.sub(b"", result.stdout).decode()
    assert "\\x1b]0;pwned\\x07" in text and "\\x9b2J" in text  # visible, not obeyed
    if command != "log":
        assert "[red]x[/]" in text  # rich markup shown as the text it is


def test_book_log_keeps_its_own_tabs_and_lines(hostile_trace: Path) -> None:
    result = loiter_viz("log", str(hostile_trace))
    lines = result.stdout.decode().splitlines()
    block = lines[: lines.index("", 1)]
    assert block[0] == "# scen\\x1b]0;pwned\\x07 / map (thread\\x1b]0;pwned\\x07, 2 workers)"
    assert "[00:00:01] \twork\\x1b]0;pwned\\x07(1): done." in block  # the format's tab stays
    assert "[00:00:02] result 1: raised E\\x1b]0;pwned\\x07" in block
    assert "[00:00:03] caller got Caller\\x1b]0;pwned\\x07" in block
    # A CR in a string is shown, and the line stays one line.
    assert "# scenfake\\x0dline / map (threadfake\\x0dline, 2 workers)" in lines


def test_live_view_escapes_args_and_title() -> None:
    rows = [Row(i, f"a{p}", "running", "w1", 0.0, 0.1, None, None) for i, p in enumerate(PAYLOADS)]
    console = Console(file=io.StringIO(), width=120, force_terminal=True, color_system="standard")
    console.print(frame(f"run{TITLE}", rows, "caller: waiting", 0.5, 1.0, 120))
    out = console.file.getvalue().encode()
    assert_inert(out)
    assert "[red]x[/]" in RICH_SGR.sub(b"", out).decode()


def test_serve_request_log_escapes_the_path(capsys: pytest.CaptureFixture[str]) -> None:
    with serving(Behaviour(delay=(0.0, 0.0))) as server:
        server.on_served = _log
        for path in (f"/{TITLE}", f"/{CLEAR}x", "/%1b[2J", f"/{CSI}"):
            with socket.create_connection(server.server_address, timeout=5) as conn:
                conn.sendall(
                    f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()
                )
                while conn.recv(4096):
                    pass
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out and "\x9b" not in out
    assert "404 /\\x1b]0;pwned\\x07 " in out and "404 /%1b[2J " in out
    assert len(out.splitlines()) == 4


# CSV: text that starts like a formula opens as text; numbers stay numbers.
FORMULAS = [
    "=1+1",
    '=HYPERLINK("http://evil","x")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    "-",
]


def csv_rows(trace: Trace) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(to_csv(trace), newline="")))


@pytest.mark.parametrize("payload", FORMULAS)
def test_csv_cells_that_look_like_formulas_open_as_text(payload: str) -> None:
    task = Task(0, payload, 0.0, 0.0, 1.0, 1.0, payload, "error", None, payload)
    run = Run(payload, payload, "thread", 1, 1.0, [task], [Blocked(0.0, 1.0, 0)])
    (row,) = csv_rows(Trace([run]))
    for column in ("scenario", "strategy", "arg", "worker", "error"):
        assert row[column] == "'" + payload, column  # read back: the original, quote-prefixed
    assert row["outcome"] == "error" and row["ran_s"] == "1.000000"


@pytest.mark.parametrize("number", [-3, -2.5, 0, 7, 1e-7, "-3", "+4.5", "-1e3", ".5"])
def test_csv_numbers_stay_numbers(number: object) -> None:
    task = Task(0, number, 0.0, 0.0, 1.0, 1.0, "T_0", "ok", 1)
    (row,) = csv_rows(Trace([Run("s", "map", "thread", 1, 1.0, [task])]))
    assert row["arg"] == str(number)
    assert float(row["arg"]) == float(number)  # type: ignore[arg-type]
