"""How far a measured run is from its ideal schedule: the yardstick of ``--ideal`` and the tests."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from loiter.analyze.schedule import IdealTask
from loiter.model.trace import Run


@dataclass(frozen=True)
class Fidelity:
    """How far a measured run is from its ideal schedule (seconds), over delivered tasks."""

    tasks: int
    start_max: float
    start_p95: float
    deliver_max: float
    deliver_p95: float
    makespan_ratio: float | None  # measured / ideal


def fidelity(run: Run, ideal: Sequence[IdealTask]) -> Fidelity:
    pairs = [
        (t.started, t.delivered, i)
        for t, i in zip(run.tasks, ideal)
        if t.started is not None and t.delivered is not None
    ]
    starts = sorted(abs(started - i.started) for started, _, i in pairs)
    delivers = sorted(abs(delivered - i.delivered) for _, delivered, i in pairs)
    measured = run.summary().makespan
    predicted = max((max(t.finished, t.delivered) for t in ideal), default=0.0)
    return Fidelity(
        tasks=len(pairs),
        start_max=max(starts, default=0.0),
        start_p95=_p95(starts),
        deliver_max=max(delivers, default=0.0),
        deliver_p95=_p95(delivers),
        makespan_ratio=measured / predicted if measured is not None and predicted > 0 else None,
    )


def _p95(values: Sequence[float]) -> float:
    """Nearest-rank 95th percentile of sorted values (0 for none)."""
    return values[max(0, math.ceil(0.95 * len(values)) - 1)] if values else 0.0
