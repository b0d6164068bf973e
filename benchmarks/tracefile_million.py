"""Trace file format 2 at a million tasks: save, load and bytes per task, format 1 beside it.

    python -m benchmarks.tracefile_million [--tasks 1000000]

The run is shaped like a recording of no-op tasks through a bounded loop on 4
threads (tests/helpers/fixtures.noop_run: nanosecond times, a caller wait per
task), built directly because recording a million tasks takes far longer than
what is measured here. Targets: save and load within 2 s each, at most 100 B
a task on disk.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from helpers.fixtures import noop_run

from loiter.model import tracefile
from loiter.model.trace import Trace

from .result import Result

TASKS = 1_000_000


def _save_load(trace: Trace, path: Path, version: int, repeat: int) -> tuple[float, float, int]:
    """Best of ``repeat``: seconds to save, seconds to load, bytes written."""
    save_s = load_s = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        tracefile.save(trace, path, version)
        t1 = time.perf_counter()
        loaded = tracefile.load(path)
        t2 = time.perf_counter()
        save_s, load_s = min(save_s, t1 - t0), min(load_s, t2 - t1)
    assert len(loaded.runs[0].tasks) == len(trace.runs[0].tasks)
    return save_s, load_s, path.stat().st_size


def measure(tasks: int = TASKS, repeat: int = 3) -> list[Result]:
    trace = Trace([noop_run(tasks)])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "million.json"
        save_s, load_s, size = _save_load(trace, path, 2, repeat)
        old_save, old_load, old_size = _save_load(trace, path, 1, 1)
    label = f"{tasks / 1e6:g}M tasks" if tasks >= 1e6 else f"{tasks} tasks"
    detail = (
        f"format 2: {size / 2**20:.0f} MB; format 1: save {old_save:.2f} s, "
        f"load {old_load:.2f} s, {old_size / tasks:.0f} B/task"
    )
    return [
        Result(f"trace v2 save, {label}", save_s, 2.0, "s", detail),
        Result(f"trace v2 load, {label}", load_s, 2.0, "s", detail),
        Result(f"trace v2 file size, {label}", size / tasks, 100, "B/task", detail),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=TASKS)
    args = parser.parse_args()
    for result in measure(args.tasks):
        print(
            f"{result.name}: {result.measured:.3g} {result.unit} (target {result.target:g}); "
            f"{result.detail}"
        )


if __name__ == "__main__":
    main()
