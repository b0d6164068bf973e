"""The interactive HTML report at scale: write time, file size, first paint and zoom redraws.

    python benchmarks/html_report.py [--sizes 10000,100000]

One ``map`` run of N synthetic tasks on 8 workers (tests/fixtures.py
many_tasks). Write time is ``write_report`` end to end (stalls, summary, JSON,
atomic write). First paint is read in headless Chromium (the system's, driven
by playwright): ``performance.now()`` from navigation start to the animation
frame after every panel was drawn, so it includes reading and parsing the
file. Zoom is the median redraw of all panels over ten wheel steps.
Targets at 100k (issue 14): write <= 5 s, file <= 15 MB, first paint <= 3 s.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from helpers.browser import CHROMIUM_ARGS, wait_until
from helpers.fixtures import many_tasks

from loiter.model.trace import Trace
from loiter.render.html.report import write_report

try:
    from .result import Result
except ImportError:  # run as a script
    from result import Result  # type: ignore[no-redef]

# (write s, MB, first paint s) per size; 10k: a fifth of the write time, a tenth of the size.
TARGETS = {10_000: (1.0, 1.5, 3.0), 100_000: (5.0, 15.0, 3.0)}
ZOOM_TARGET_MS = 50.0  # 20 redraws a second keeps the wheel fluid
REDRAW_MS = "[...document.querySelectorAll('canvas')].reduce((s, c) => s + +c.dataset.ms, 0)"


def browser_figures(path: Path) -> tuple[float, float] | None:
    """First paint (s) and the median zoom redraw (ms), or None without a browser."""
    chromium = shutil.which("chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    if chromium is None:
        return None
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        page.goto(path.as_uri())
        page.wait_for_selector("body[data-ready]", timeout=60_000)
        paint = page.evaluate("window.loiterReport.firstPaint") / 1000
        box = page.locator("canvas").first.bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        redraws = []
        for _ in range(10):
            frame = page.evaluate("document.querySelector('canvas').dataset.drawn")
            page.mouse.wheel(0, -250)
            wait_until(page, f"document.querySelector('canvas').dataset.drawn !== '{frame}'")
            redraws.append(page.evaluate(REDRAW_MS))
        browser.close()
    return paint, statistics.median(redraws)


def measure(sizes: tuple[int, ...] = (10_000, 100_000)) -> list[Result]:
    results = []
    with tempfile.TemporaryDirectory() as out:
        for n in sizes:
            write_s, mb, paint_s = TARGETS.get(n, TARGETS[100_000])
            trace = Trace([many_tasks(n, workers=8)])
            t0 = time.perf_counter()
            path = write_report(trace, Path(out) / f"report-{n}.html")
            took = time.perf_counter() - t0
            size = path.stat().st_size / 2**20
            figures = browser_figures(path)
            detail = "" if figures else "no chromium/playwright: browser figures not measured"
            results += [
                Result(f"html report {n} tasks: write", took, write_s, "s", detail),
                Result(f"html report {n} tasks: file size", size, mb, "MB"),
            ]
            if figures:
                paint, zoom = figures
                results += [
                    Result(f"html report {n} tasks: first paint", paint, paint_s, "s", "Chromium"),
                    Result(f"html report {n} tasks: zoom redraw", zoom, ZOOM_TARGET_MS, "ms"),
                ]
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    args = parser.parse_args()
    for r in measure(tuple(int(s) for s in args.sizes.split(","))):
        verdict = "met" if r.met else "MISSED"
        print(f"{r.name:<44} {r.measured:10.3f} {r.unit:<3} <= {r.target:g}  {verdict}  {r.detail}")


if __name__ == "__main__":
    main()
