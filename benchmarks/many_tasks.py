"""100,000 no-op tasks through the CLI with --quiet: it completes, and memory stays bounded.

Bounded means the peak RSS grows by a small, constant amount per task: the
figure is (peak at 100k - peak at 10k) / 90k tasks, both runs end to end
(record, save the trace, draw the chart).
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time

from .result import Result
from .startup import command

BIG, SMALL = 100_000, 10_000
TARGET_BYTES_PER_TASK = 2048


def cli_run(tasks: int, out: str) -> tuple[float, int]:
    """Seconds and peak RSS (bytes) of one CLI run of ``tasks`` zero-length loiter calls."""
    argv = [*command(), "--durations", f"0*{tasks}", "--unit", "0.001", "--strategy", "map"]
    env = {**os.environ, "MPLBACKEND": "Agg"}
    t0 = time.perf_counter()
    proc = subprocess.Popen([*argv, "-q", "--out", out], stdout=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    took = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:  # e.g. killed for memory: a missed target, not a crash
        return float("inf"), 0
    return took, usage.ru_maxrss * 1024  # Linux reports KiB


def measure() -> list[Result]:
    with tempfile.TemporaryDirectory() as out:
        small_s, small_rss = cli_run(SMALL, out)
        big_s, big_rss = cli_run(BIG, out)
    if not big_rss:
        return [Result("100k no-op tasks via CLI: wall time", big_s, 30.0, "s", "did not finish")]
    per_task = (big_rss - small_rss) / (BIG - SMALL)
    detail = f"peak RSS {small_rss / 2**20:.0f} MB at 10k, {big_rss / 2**20:.0f} MB at 100k"
    return [
        Result(
            "100k no-op tasks via CLI: wall time", big_s, 30.0, "s", f"10k took {small_s:.1f} s"
        ),
        Result(
            "100k no-op tasks via CLI: memory per task",
            per_task,
            TARGET_BYTES_PER_TASK,
            "B/task",
            detail,
        ),
    ]
