"""Why the HTML report draws on its own canvas: the same 100k-task chart built with Bokeh.

    pip install bokeh && python benchmarks/html_vs_bokeh.py [--tasks 100000]

Bokeh is what Dask's task stream uses, embeds with inline resources and is the
obvious library for this. Its version here draws the least the report must:
queued, running and held bars per task row, the caller's waits, one hover
tool, wheel zoom and pan (no worker lanes, stalls, click or tables), on Bokeh's
canvas backend or (``--backend webgl``) its WebGL one (software GL here).
Both pages are written, then opened in headless Chromium: first paint (from
navigation start until the plot's canvas has been drawn) and the mean frame
time while ten wheel steps zoom in (requestAnimationFrame intervals).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from helpers.fixtures import many_tasks

from loiter.model.trace import Run, Trace
from loiter.render.html.report import write_report
from loiter.render.styles import LIGHT

try:
    from .html_report import CHROMIUM_ARGS
except ImportError:  # run as a script
    from html_report import CHROMIUM_ARGS  # type: ignore[no-redef]

# Frame intervals while zooming, recorded by the page itself (requestAnimationFrame).
START_FRAMES_JS = """() => { window.frames_ = []; window.framesOn_ = true;
  const tick = (t) => { frames_.push(t); if (framesOn_) requestAnimationFrame(tick); };
  requestAnimationFrame(tick); }"""
STOP_FRAMES_JS = """() => { framesOn_ = false;
  const gaps = frames_.slice(1).map((t, i) => t - frames_[i]);
  return gaps.reduce((s, g) => s + g, 0) / gaps.length; }"""


def bokeh_page(run: Run, path: Path, backend: str) -> Path:
    from bokeh.embed import file_html
    from bokeh.models import ColumnDataSource, HoverTool
    from bokeh.plotting import figure
    from bokeh.resources import INLINE

    rows = [t.index for t in run.tasks]
    fig = figure(
        width=1300,
        height=500,
        y_range=(len(rows) + 2, -1),
        tools="xwheel_zoom,xpan,reset",
        active_scroll="xwheel_zoom",
        output_backend=backend,
    )
    for name, lo, hi, colour in (
        ("queued", "submitted", "started", LIGHT.queued),
        ("running", "started", "finished", LIGHT.worker_color(0)),
        ("held", "finished", "delivered", LIGHT.backlog),
    ):
        source = ColumnDataSource(
            {
                "y": rows,
                "left": [getattr(t, lo) for t in run.tasks],
                "right": [getattr(t, hi) for t in run.tasks],
                "index": rows,
            }
        )
        glyph = fig.hbar(
            y="y", left="left", right="right", height=0.8, color=colour, source=source, name=name
        )
        if name == "running":
            fig.add_tools(HoverTool(renderers=[glyph], tooltips=[("task", "#@index")]))
    waits = ColumnDataSource(
        {
            "left": [b.ask for b in run.caller_blocked],
            "right": [b.got for b in run.caller_blocked],
            "y": [len(rows) + 1] * len(run.caller_blocked),
        }
    )
    fig.hbar(y="y", left="left", right="right", height=1.5, color=LIGHT.caller[0], source=waits)
    path.write_text(file_html(fig, INLINE, "bokeh"), encoding="utf-8")
    return path


def open_in_chromium(path: Path, ready_js: str) -> tuple[float, float]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        page.goto(path.as_uri())
        page.wait_for_function(ready_js, timeout=120_000, polling=50)
        paint = page.evaluate("performance.now()") / 1000
        page.mouse.move(800, 400)
        page.evaluate(START_FRAMES_JS)
        for _ in range(10):
            page.mouse.wheel(0, -250)
            page.wait_for_timeout(120)
        frame = page.evaluate(STOP_FRAMES_JS)
        browser.close()
    return paint, frame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--backend", choices=("canvas", "webgl"), default="canvas")
    args = parser.parse_args()
    run = many_tasks(args.tasks, workers=8)
    with tempfile.TemporaryDirectory() as out:
        for name, build, ready in (
            (
                "loiter canvas",
                lambda p: write_report(Trace([run]), p, lanes="tasks"),
                "document.body.dataset.ready === '1'",
            ),
            # Bokeh: once every view of its document has finished rendering
            (
                f"bokeh {args.backend}",
                lambda p: bokeh_page(run, p, args.backend),
                "window.Bokeh && Bokeh.index && Object.values(Bokeh.index).length > 0"
                " && Object.values(Bokeh.index).every((v) => v.has_finished())",
            ),
        ):
            t0 = time.perf_counter()
            path = build(Path(out) / f"{name.split()[0]}.html")
            took = time.perf_counter() - t0
            size = path.stat().st_size / 2**20
            paint, frame = open_in_chromium(path, ready)
            print(
                f"{name:<14} write {took:6.2f} s  size {size:6.1f} MB  "
                f"first paint {paint:6.2f} s  zoom frame {frame:7.1f} ms"
            )


if __name__ == "__main__":
    main()
