"""Put timestamps read on other hosts onto the caller's clock, and say how far to trust them.

A monotonic clock is per host, so cluster workers read wall-clock time and the
caller estimates each worker's offset NTP-style: ask for the worker's time
between two local readings; the offset is the worker's reading minus the
midpoint, the uncertainty half the round trip. The shortest round trip wins.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

# Run.options key holding {worker: {"offset": s, "uncertainty": s}}.
CLOCK = "clock"


def best_offsets(
    samples: Iterable[tuple[int, dict[str, int], int]],
) -> dict[str, dict[str, float]]:
    """``(t0, {worker: t_worker}, t1)`` samples (ns) -> per worker offset and uncertainty (s)."""
    best: dict[str, tuple[int, float]] = {}
    for t0, readings, t1 in samples:
        half = t1 - t0
        for worker, t_worker in readings.items():
            if worker not in best or half < best[worker][0]:
                best[worker] = (half, t_worker - (t0 + t1) / 2)
    return {
        w: {"offset": offset / 1e9, "uncertainty": rtt / 2e9}
        for w, (rtt, offset) in sorted(best.items())
    }


def clock_note(run: Any) -> str | None:
    """A warning when clock uncertainty is as large as the effects the chart shows.

    The effect is the largest ordering stall, or the unit when there is
    none; a worker's timestamps are only as good as its offset estimate.
    """
    clock = run.options.get(CLOCK)
    if not clock:
        return None
    worst = max(c["uncertainty"] for c in clock.values())
    stall = max((s.seconds for s in run.stalls()), default=0.0)
    effect = stall if stall > 0 else run.unit
    if worst <= effect:
        return None
    return f"clock uncertainty up to {worst * 1e3:.1f} ms: larger than the effects shown"
