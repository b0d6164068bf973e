"""Trace file save and load of 100,000 recorded tasks (target: under 1 s each)."""

from __future__ import annotations

import concurrent.futures as cf
import tempfile
import time
from pathlib import Path

from loiter.model import tracefile
from loiter.model.trace import Trace
from loiter.record.traced import TracedExecutor

from .overhead import noop
from .result import Result

TASKS = 100_000


def recorded(tasks: int) -> Trace:
    """A real recording (not synthetic numbers) of ``tasks`` no-op calls."""
    with cf.ThreadPoolExecutor(4) as pool:
        ex = TracedExecutor(pool)
        for _ in ex.map(noop, range(tasks)):
            pass
        ex.freeze()
    return ex.trace


def measure(tasks: int = TASKS, repeat: int = 3) -> list[Result]:
    trace = recorded(tasks)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.json"
        save_s = load_s = float("inf")
        for _ in range(repeat):
            t0 = time.perf_counter()
            tracefile.save(trace, path)
            t1 = time.perf_counter()
            loaded = tracefile.load(path)
            t2 = time.perf_counter()
            save_s, load_s = min(save_s, t1 - t0), min(load_s, t2 - t1)
        size = path.stat().st_size
    assert len(loaded.runs[0].tasks) == tasks
    detail = f"{tasks} tasks, {size / 2**20:.1f} MB"
    return [
        Result("trace save, 100k tasks", save_s, 1.0, "s", detail),
        Result("trace load, 100k tasks", load_s, 1.0, "s", detail),
    ]
