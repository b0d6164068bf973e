"""The HTML report in a real browser (headless Chromium driven by playwright).

Skipped, with the reason, only where Chromium or playwright is missing (.ci/run installs both).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from helpers.browser import CHROMIUM, CHROMIUM_ARGS, wait_until
from helpers.fixtures import many_tasks, sample_trace
from helpers.hostile import IMG, SCRIPT, hostile_trace

from loiter.model.trace import Trace
from loiter.render.html.report import write_report
from loiter.render.styles import LIGHT

ARGS = CHROMIUM_ARGS
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
if not Path(CHROMIUM).exists():
    pytest.skip("no chromium (apt-get install -y chromium)", allow_module_level=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@dataclass
class Opened:
    page: Any
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def js(self, expr: str, arg: Any = None) -> Any:
        return self.page.evaluate(expr, arg)

    def tip(self) -> str:
        return self.page.locator("#tip").inner_text()


@pytest.fixture
def open_report(browser: Any, tmp_path: Path) -> Iterator[Any]:
    pages = []

    def open_(trace: Trace, **kw: Any) -> Opened:
        path = write_report(trace, tmp_path / f"r{len(pages)}.html", **kw)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        pages.append(page)
        seen = Opened(page)

        def route(r: Any) -> None:  # every request is recorded; only the file itself is served
            seen.requests.append(r.request.url)
            if r.request.url == path.as_uri():
                r.continue_()
            else:
                r.abort()

        page.route("**/*", route)
        page.on("console", lambda m: m.type in ("error", "warning") and seen.errors.append(m.text))
        page.on("pageerror", lambda e: seen.errors.append(str(e)))
        page.on("dialog", lambda d: (seen.dialogs.append(d.message), d.dismiss()))
        page.goto(path.as_uri())
        page.wait_for_selector("body[data-ready]", timeout=30_000)
        seen.path = path  # type: ignore[attr-defined]
        return seen

    yield open_
    for page in pages:
        page.close()


def pixel(o: Opened, panel: int, x: float, y: float) -> list[int]:
    """The RGBA of the canvas pixel under client point (x, y)."""
    return o.js(
        """([i, x, y]) => {
            const c = document.querySelectorAll('canvas')[i], b = c.getBoundingClientRect();
            const r = c.width / b.width, ctx = c.getContext('2d');
            return Array.from(ctx.getImageData((x - b.left) * r, (y - b.top) * r, 1, 1).data);
        }""",
        [panel, x, y],
    )


def hex_rgb(colour: str) -> list[int]:
    return [int(colour[i : i + 2], 16) for i in (1, 3, 5)]


def locate(o: Opened, panel: int, row: int) -> dict[str, float]:
    return o.js("([i, r]) => window.loiterReport.locate(i, r)", [panel, row])


def views(o: Opened) -> list[str]:
    return o.js("[...document.querySelectorAll('canvas')].map(c => c.dataset.view)")


def test_every_run_is_drawn_from_the_file_alone_without_errors(open_report):
    o = open_report(sample_trace())
    assert o.js("document.querySelectorAll('.panel canvas').length") == 3
    assert all(o.js("[...document.querySelectorAll('canvas')].map(c => +c.dataset.drawn > 0)"))
    assert o.requests == [o.path.as_uri()]  # type: ignore[attr-defined]
    assert o.errors == []
    # #0 of the map panel ran on w1: its bar has w1's colour; #4 was stalled: orange at its end
    at = locate(o, 0, 0)
    assert pixel(o, 0, at["x"], at["y"])[:3] == hex_rgb(LIGHT.worker_color(0))
    assert o.js("document.querySelector('h2').textContent") == "map · slow-first"
    # one bar per running, held and stall piece and per caller wait (task rows: no count curves)
    expected = [
        sum(t.ran is not None for t in run.tasks)
        + sum((t.held or 0) > 0 for t in run.tasks)
        + sum(len(s.intervals) for s in run.stalls())
        + sum(b.got > b.ask for b in run.caller_blocked)
        for run in sample_trace()
    ]
    assert o.js("[...document.querySelectorAll('canvas')].map(c => +c.dataset.marks)") == expected
    shot = o.page.screenshot()
    from PIL import Image

    colours = Image.open(io.BytesIO(shot)).convert("RGB").getcolors(1 << 20)
    assert colours is not None and len(colours) > 50  # not blank


def test_hover_shows_a_tasks_numbers_from_the_trace(open_report):
    trace = sample_trace()
    o = open_report(trace)
    at = locate(o, 0, 2)
    o.page.mouse.move(at["x"], at["y"])
    text = o.tip()
    task, stall = trace.runs[0].tasks[2], trace.runs[0].stalls()[2]
    assert text.startswith(f"#2  arg {task.arg}")
    for name, value in (
        ("submitted", task.submitted),
        ("started", task.started),
        ("finished", task.finished),
        ("delivered", task.delivered),
        ("ran", task.ran),
        ("held", task.held),
    ):
        assert f"{name}\n{value:.3f} s" in text
    assert f"stall\n{stall.seconds:.3f} s waiting for #{stall.blocked_on}" in text
    assert "worker\nw3 (T_2)" in text and "outcome\nok" in text
    # the failing run: #1's error is in its hover
    at = locate(o, 2, 1)
    o.page.mouse.move(at["x"], at["y"])
    assert "error\nValueError: bad" in o.tip()


def test_hover_on_the_caller_lane_says_what_it_waited_for(open_report):
    o = open_report(sample_trace())
    at = o.js("window.loiterReport.locateWait(1, 1)")  # as_completed's 2nd wait: 2 s -> 3 s for #1
    o.page.mouse.move(at["x"], at["y"])
    text = o.tip()
    assert text.startswith("caller blocked, waiting for #1")
    assert "from\n2.000 s" in text and "to\n3.000 s" in text


def test_wheel_zooms_and_drag_pans_every_panel_together_and_reset_restores(open_report):
    o = open_report(sample_trace())
    before = views(o)
    at = locate(o, 1, 0)
    o.page.mouse.move(at["x"], at["y"])
    o.page.mouse.wheel(0, -400)
    wait_until(o.page, f"document.querySelector('canvas').dataset.view !== '{before[0]}'")
    zoomed = views(o)
    assert len(set(zoomed)) == 1  # all panels share the one range
    t0, t1 = map(float, zoomed[0].split())
    b0, b1 = map(float, before[0].split())
    assert t1 - t0 < 0.8 * (b1 - b0)
    # around the cursor (#0's middle, 2 s): that time stays where it was on screen
    assert (2.0 - t0) / (t1 - t0) == pytest.approx((2.0 - b0) / (b1 - b0), abs=0.01)
    o.page.mouse.down()
    o.page.mouse.move(at["x"] + 200, at["y"], steps=5)
    o.page.mouse.up()
    wait_until(o.page, f"document.querySelector('canvas').dataset.view !== '{zoomed[0]}'")
    panned = views(o)
    p0, p1 = map(float, panned[0].split())
    assert len(set(panned)) == 1 and p0 < t0 and p1 - p0 == pytest.approx(t1 - t0)
    o.page.click("#reset")
    wait_until(o.page, f"document.querySelector('canvas').dataset.view === '{before[0]}'")
    assert views(o) == before


def test_clicking_a_task_highlights_what_it_held_back(open_report):
    trace = sample_trace()
    o = open_report(trace)
    at = locate(o, 0, 0)
    o.page.mouse.click(at["x"], at["y"])
    wait_until(o.page, "document.querySelector('canvas').dataset.highlight !== undefined")
    held = [
        t.index for t, s in zip(trace.runs[0].tasks, trace.runs[0].stalls()) if s.blocked_on == 0
    ]
    assert held == [1, 2, 3, 4]
    assert o.js("document.querySelector('canvas').dataset.highlight") == "1,2,3,4"
    picked = o.js("document.querySelector('.picked').textContent")
    assert "#0 held back 4 finished result(s)" in picked
    assert "waited for it from 0.000 s to 4.000 s" in picked
    # the releasing wait is outlined in the stall colour on the caller lane
    wait = o.js("window.loiterReport.locateWait(0, 0)")
    lane = o.js("(() => { const p = window.loiterReport.panels[0]; return p.callerY; })()")
    box = o.js("document.querySelector('canvas').getBoundingClientRect().top")
    assert pixel(o, 0, wait["x"], box + 6 + lane - 1)[:3] == hex_rgb(LIGHT.stall)
    o.page.mouse.click(at["x"], at["y"])  # a second click clears it
    wait_until(o.page, "document.querySelector('canvas').dataset.highlight === ''")


def test_a_hostile_trace_shows_its_strings_as_text_and_runs_nothing(open_report):
    o = open_report(hostile_trace())
    assert o.dialogs == [] and o.errors == []
    assert o.js("document.querySelectorAll('img').length") == 0
    assert o.js("document.querySelectorAll('script').length") == 2
    assert o.js("document.querySelector('h2').textContent") == f"{IMG} · {SCRIPT}"
    body = o.js("document.body.innerText")
    assert (
        f"the caller got ValueError: {SCRIPT}" in body and f"{IMG}\t{SCRIPT}" in body
    )  # the options table
    at = locate(o, 0, 1)
    o.page.mouse.move(at["x"], at["y"])
    text = o.tip()
    assert text.startswith(f"#1  arg {IMG}")
    assert f"worker\nw2 ({SCRIPT})" in text and f"error\nValueError: {IMG}" in text
    at = locate(o, 0, 0)
    o.page.mouse.move(at["x"], at["y"])
    assert f"result\n{SCRIPT}" in o.tip()
    assert o.dialogs == [] and o.js("document.querySelectorAll('img').length") == 0


def test_a_big_run_draws_worker_lanes_aggregated_and_hovers_exactly(open_report):
    run = many_tasks(10_000, workers=8)
    o = open_report(Trace([run]))
    assert o.errors == []
    assert o.js("window.loiterReport.panels[0].lanes") == "workers"
    assert o.js("window.loiterReport.firstPaint") < 3000
    # zoomed right in, one task's bar is wide enough to hover and its numbers are exact
    row = 5_000
    task = run.tasks[row]
    at = locate(o, 0, row)
    o.page.mouse.move(at["x"], at["y"])
    for _ in range(12):  # zoom in around it, panels redrawn at every step
        o.page.mouse.wheel(0, -500)
        o.page.wait_for_timeout(30)
    at = locate(o, 0, row)
    o.page.mouse.move(at["x"], at["y"])
    text = o.tip()
    assert text.startswith(f"#{row}  arg {task.arg}")
    assert f"started\n{task.started:.3f} s" in text and f"finished\n{task.finished:.3f} s" in text
    assert pixel(o, 0, at["x"], at["y"])[3] == 255


def test_empty_traces_and_runs_without_tasks_open_cleanly(open_report):
    empty = open_report(Trace([]))
    assert empty.errors == [] and "no runs recorded" in empty.js("document.body.innerText")
    idle = sample_trace().runs[0]
    idle.tasks, idle.caller_blocked = [], []
    o = open_report(Trace([idle]))
    assert o.errors == [] and o.js("document.querySelector('canvas').dataset.drawn") == "1"


def test_the_notebook_view_draws_the_report_in_its_sandboxed_iframe(browser, tmp_path):
    from loiter.render.html.report import notebook_html

    path = tmp_path / "notebook-output.html"
    path.write_text(f"<!DOCTYPE html><body>{notebook_html(sample_trace())}</body>", "utf-8")
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri())
    # Chromium paints an opaque-origin iframe only once it is on screen (as a notebook scrolls)
    page.locator("iframe.loiter-report").scroll_into_view_if_needed()
    frame = page.frames[1]
    frame.wait_for_selector("body[data-ready]", timeout=30_000)
    assert frame.evaluate("document.querySelectorAll('.panel canvas').length") == 3
    assert page.evaluate("document.querySelectorAll('img.loiter-chart').length") == 1
    assert errors == []
    page.close()
