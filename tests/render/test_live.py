"""The live view: frames as pure functions, and the real thing on screen in tmux."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import uuid
from dataclasses import replace
from io import StringIO

import pytest
from rich.console import Console

from loiter.render.terminal.live import (
    DELIVERED,
    HELD,
    PENDING,
    QUEUED,
    RUNNING,
    Row,
    bar,
    caller_line,
    frame,
)


def render(renderable: object, width: int) -> str:
    console = Console(file=StringIO(), width=width, force_terminal=False, color_system=None)
    console.print(renderable)
    return console.file.getvalue()


ROWS = [
    Row(0, 4, RUNNING, "w1", 0.0, 0.0, None, None),
    Row(1, 3, HELD, "w2", 0.0, 0.0, 1.5, None),
    Row(2, 1, DELIVERED, "w3", 0.0, 0.0, 0.5, 0.5),
    Row(3, 2, QUEUED, "", 0.0, None, None, None),
]


def test_bar_segments_sit_on_the_shared_axis() -> None:
    # axis 4 s over 40 columns: 10 columns per second, drawn up to "now" (2 s).
    assert bar(ROWS[0], 4.0, 40, 2.0).plain == "█" * 20
    assert bar(ROWS[1], 4.0, 40, 2.0).plain == "█" * 15 + "▒" * 5
    assert bar(ROWS[2], 4.0, 40, 2.0).plain == "█" * 5 + "┃"
    assert bar(ROWS[3], 4.0, 40, 2.0).plain == "·" * 20


def test_frame_is_exact_and_fits_the_width() -> None:
    # 59 columns leave 40 for the bars: 10 per second on a 4 s axis.
    text = render(frame("slow-first / map", ROWS, "caller: x", 2.0, 4.0, 59), 59)
    assert [line.rstrip() for line in text.splitlines()] == [
        "slow-first / map    2.00s / axis 4.00s",
        "#0 4 running   w1  " + "█" * 20,
        "#1 3 held      w2  " + "█" * 15 + "▒" * 5,
        "#2 1 delivered w3  " + "█" * 5 + "┃",
        "#3 2 queued        " + "·" * 20,
        "caller: x",
    ]
    for width in (60, 80, 200):
        lines = render(frame("t", ROWS, "caller: x", 2.0, 4.0, width), width).splitlines()
        assert all(len(line) <= width for line in lines)
        assert len(lines) == 6  # no wrapped rows


def test_caller_line_names_what_map_waits_for_and_what_it_holds() -> None:
    assert caller_line(ROWS, "map", done=False) == (
        "caller: blocked in next(), waiting for #0 (running); finished but held: #1"
    )
    assert caller_line(ROWS, "as_completed", done=False) == (
        "caller: waiting for whichever finishes first of 3 task(s)"
    )
    assert caller_line(ROWS, "map", done=True) == "caller: done"


def test_caller_line_of_bounded_is_blocked_in_next_while_later_tasks_wait_unsubmitted() -> None:
    """bounded keeps tasks unsubmitted all along: the caller is blocked, not submitting."""
    later = [replace(ROWS[3], index=4, state=PENDING, submitted=None)]
    assert caller_line([*ROWS, *later], "bounded", done=False) == (
        "caller: blocked in next(), waiting for #0 (running); finished but held: #1; "
        "#4.. not yet submitted"
    )
    assert caller_line([*ROWS, *later], "map", done=False) == "caller: submitting"
    first = [replace(r, state=PENDING) for r in ROWS]  # nothing submitted yet
    assert caller_line(first, "bounded", done=False) == "caller: submitting"


def _slow_first_in_tmux(args: str) -> str:
    """Start ``loiter-viz ARGS`` on slow-first at unit 0.4 s in a 120x40 tmux pane: its session."""
    session = f"loiter-{uuid.uuid4().hex[:8]}"
    cmd = f"{sys.executable} -m loiter -u 0.4 --scenario slow-first {args}; sleep 60"
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", session, "-x", "120", "-y", "40", cmd], check=True
    )
    return session


def _pane(session: str, history: bool = False) -> str:
    """What the pane shows; with ``history``, also what scrolled off its top."""
    scrollback = ["-S", "-"] if history else []
    return subprocess.run(
        ["tmux", "capture-pane", "-p", *scrollback, "-t", session], capture_output=True, text=True
    ).stdout


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_live_view_on_a_real_terminal(tmp_path, executor_kind: str) -> None:
    """Mid-run the screen shows map holding finished results; the final frames then stay."""
    session = _slow_first_in_tmux(f"-e {executor_kind} -s map -o {tmp_path}")
    try:
        mid = ""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # wait for #2 (2 units) to finish, held by #0
            mid = _pane(session)
            if " held " in mid:
                break
            time.sleep(0.05)
        assert "#2 2 held" in mid, mid
        assert "#0 4 running" in mid
        assert "caller: blocked in next(), waiting for #0 (running)" in mid
        while time.monotonic() < deadline and "loiter-thread" not in (
            end := _pane(session, history=True)
        ):
            if f"loiter-{executor_kind}-3w.png" in end:
                break
            time.sleep(0.1)
        lines = end.splitlines()
        assert sum("delivered" in line and line.startswith("#") for line in lines) == 5, end
        assert "caller: done" in end
        assert "stalled            4" in end  # the summary follows the final frame
        assert "\x1b" not in end and "Traceback" not in end
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], check=False)


def test_board_states_from_worker_events_then_from_the_done_future() -> None:
    import queue
    from concurrent.futures import Future

    from loiter.record.recording import Recording
    from loiter.record.worker import FINISHED, STARTED
    from loiter.render.terminal.live import Board

    rec = Recording()
    events: queue.SimpleQueue = queue.SimpleQueue()
    board = Board(rec, (2, 1, 3), events)
    indices = rec.reserve(((2,), (1,)))
    for i in indices:
        rec.futures[i] = Future()
    origin = rec.origin
    events.put((STARTED, origin + 10**8, "T_a"))
    events.put((STARTED, origin + 2 * 10**8, "T_b"))
    board.pump()
    rows = board.rows()
    assert [r.state for r in rows] == [RUNNING, RUNNING, PENDING]
    assert [(r.worker, r.started) for r in rows[:2]] == [("w1", 0.1), ("w2", 0.2)]
    # #1 finishes: its event ends the run on T_b, its future brings the exact timing.
    events.put((FINISHED, origin + 3 * 10**8, "T_b"))
    rec.futures[1].set_result((10, origin + 2 * 10**8, origin + 3 * 10**8, "T_b"))
    board.pump()
    rows = board.rows()
    assert [r.state for r in rows] == [RUNNING, HELD, PENDING]
    assert (rows[1].worker, rows[1].finished) == ("w2", 0.3)
    rec.deliver(1, rec.futures[1].result(), origin + 4 * 10**8)
    assert board.rows(1, 2)[0].state == DELIVERED and board.rows(1, 2)[0].delivered == 0.4


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_live_view_of_an_event_loop_shows_gather_holding_every_result(tmp_path) -> None:
    """asyncio's gather: mid-run #2 is done but held like the rest, until the last finishes."""
    session = _slow_first_in_tmux(f"-e asyncio -s gather -o {tmp_path}")
    try:
        mid = ""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and " held " not in mid:
            mid = _pane(session)
            time.sleep(0.05)
        assert "(asyncio, 3 slots)" in mid, mid
        assert "#2 2 held" in mid and "#0 4 running" in mid, mid
        assert "caller: awaiting gather(): every result at once" in mid
        while time.monotonic() < deadline and "loiter-asyncio-3w.png" not in (
            end := _pane(session, history=True)
        ):
            time.sleep(0.1)
        lines = end.splitlines()
        assert sum("delivered" in line and line.startswith("#") for line in lines) == 5, end
        assert "caller: done" in end and "Traceback" not in end
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], check=False)
