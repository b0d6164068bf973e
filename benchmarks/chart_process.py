"""The 100,000-task chart as a user waits for it: ``loiter-viz plot`` as a whole process.

    python -m benchmarks.chart_process

Records one no-op ``map`` run of 10,000 and one of 100,000 tasks through the CLI
(real traces: a caller that submits everything first, sub-pixel tasks), then times
re-rendering each to PNG in a fresh process (import, load, stalls, draw, save),
best of three, the two sizes interleaved so load on a shared machine hits both alike.
Target: 100k within 3 s.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from pathlib import Path

from .result import Result
from .startup import command

SIZES = (10_000, 100_000)
TARGET_SECONDS = 3.0


def record(tasks: int, folder: Path) -> Path:
    """A real trace of ``tasks`` zero-length loiter calls under map, 3 threads."""
    trace = folder / f"map-{tasks}.json"
    argv = [*command(), "--workers", "3", "--durations", f"0*{tasks}", "--unit", "0.001"]
    argv += ["--strategy", "map", "--trace", str(trace), "--out", str(folder), "-q"]
    subprocess.run(argv, stdout=subprocess.DEVNULL, check=True, env=_agg())
    return trace


def plot_seconds(trace: Path) -> float:
    """Wall time of one ``loiter-viz plot TRACE -o X.png``, start to exit."""
    t0 = time.perf_counter()
    subprocess.run(
        [*command(), "plot", str(trace), "-o", str(trace.with_suffix(".png"))],
        stdout=subprocess.DEVNULL,
        check=True,
        env=_agg(),
    )
    return time.perf_counter() - t0


def _agg() -> dict[str, str]:
    return {**os.environ, "MPLBACKEND": "Agg"}


def measure(repeat: int = 3) -> list[Result]:
    with tempfile.TemporaryDirectory() as tmp:
        traces = [record(n, Path(tmp)) for n in SIZES]
        took: dict[int, list[float]] = {n: [] for n in SIZES}
        for _ in range(repeat):
            for n, trace in zip(SIZES, traces):
                took[n].append(plot_seconds(trace))
    small, big = (min(took[n]) for n in SIZES)
    detail = f"10k tasks: {small:.2f} s, same process and trace shape (best of {repeat})"
    return [
        Result(
            "chart of 100k tasks: loiter-viz plot, whole process", big, TARGET_SECONDS, "s", detail
        )
    ]


if __name__ == "__main__":
    for result in measure():
        print(f"{result.name}: {result.measured:.2f} s (target < {result.target:g} s) "
              f"{'met' if result.met else 'MISSED'}; {result.detail}")  # fmt: skip
