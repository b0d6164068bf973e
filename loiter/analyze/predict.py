"""Predict a whole experiment from the ideal schedule: the same grid as a run, and nothing runs."""

from __future__ import annotations

from collections.abc import Sequence

from loiter.analyze.schedule import ideal_run, ideal_schedule
from loiter.model.options import Options, run_meta
from loiter.model.scenarios import Scenario
from loiter.model.trace import Trace


def predict_trace(
    scenarios: Sequence[Scenario],
    strategies: Sequence[str],
    *,
    executor: str,
    workers: int,
    unit: float,
    options: Options,
    workload: str = "loiter",
) -> Trace:
    """Every scenario under every strategy, as a FIFO pool with zero overhead would run it.

    ``workers=0`` (an event loop with no limit) runs every task at once.
    """
    trace = Trace()
    for scenario in scenarios:
        for strategy in strategies:
            size = workers or max(1, len(scenario.args))
            meta = run_meta(scenario.name, strategy, executor, size, unit, workload, options)
            knobs = meta["options"]
            ideal = ideal_schedule(
                [float(a) * unit for a in scenario.args],
                meta["workers"],
                strategy,
                options.consumer_delay,
                executor=meta["executor"],
                chunksize=knobs.get("chunksize", 1),
                buffersize=knobs.get("buffersize"),
            )
            trace.runs.append(ideal_run(ideal, args=scenario.args, **meta))
    return trace
