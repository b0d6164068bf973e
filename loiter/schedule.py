"""The ideal schedule: what a FIFO pool with zero overhead would do with these durations.

It is the yardstick for measured runs (tests, fidelity, "guess first" in a
lecture). Strategies only change *delivery*; starts and finishes come from
list scheduling in submission order, as both stdlib pools do.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class IdealTask:
    index: int
    submitted: float
    started: float
    finished: float
    delivered: float


def ideal_schedule(
    seconds: Sequence[float], workers: int, strategy: str, consumer_delay: float = 0.0
) -> list[IdealTask]:
    """Timestamps for tasks of the given durations (seconds), all submitted at 0."""
    free = [0.0] * workers
    starts, finishes = [], []
    for duration in seconds:
        start = heapq.heappop(free)
        starts.append(start)
        finishes.append(start + duration)
        heapq.heappush(free, start + duration)
    if strategy == "map":
        order = list(range(len(seconds)))
    elif strategy == "as_completed":
        order = sorted(range(len(seconds)), key=lambda i: (finishes[i], i))
    else:
        raise ValueError(f"no ideal schedule for strategy {strategy!r}")
    delivered = [0.0] * len(seconds)
    caller_free = 0.0
    for i in order:
        delivered[i] = max(finishes[i], caller_free)
        caller_free = delivered[i] + consumer_delay
    return [IdealTask(i, 0.0, starts[i], finishes[i], delivered[i]) for i in range(len(seconds))]
