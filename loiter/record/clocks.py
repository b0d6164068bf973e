"""Put timestamps read on other hosts onto the caller's clock.

A monotonic clock is per host, so cluster workers read wall-clock time and the
caller estimates each worker's offset NTP-style: ask for the worker's time
between two local readings; the offset is the worker's reading minus the
midpoint, the uncertainty half the round trip. The shortest round trip wins.
"""

from __future__ import annotations

from collections.abc import Iterable


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
