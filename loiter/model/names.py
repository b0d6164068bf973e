"""The names the tool knows and what each one means, with no imports, so ``--help`` stays instant.

One table per kind of name: the command line offers these, the simulator and
``advise`` read a strategy's properties here, and a test checks that the
executors and strategies implemented match.
"""

from __future__ import annotations

from dataclasses import dataclass

EXECUTORS = ("thread", "process", "dask")
# Built-in workloads whose argument is a duration in units (besides flags and any module:function).
WORKLOADS = ("loiter", "spin")


@dataclass(frozen=True)
class StrategyInfo:
    """What the rest of the tool needs to know about a strategy, besides its code."""

    name: str
    simulated: bool = True  # the ideal-schedule simulator predicts it
    poolless: bool = False  # runs every task in the caller, no pool
    needs_executor: str | None = None  # works only on this executor (None: any pool)


STRATEGY_TABLE = (
    StrategyInfo("map"),
    StrategyInfo("as_completed"),
    StrategyInfo("wait"),
    StrategyInfo("callbacks"),
    StrategyInfo("bounded"),
    StrategyInfo("sequential", poolless=True),
    StrategyInfo("dask_native", simulated=False, needs_executor="dask"),
)
STRATEGY_INFO = {s.name: s for s in STRATEGY_TABLE}
STRATEGY_NAMES = tuple(STRATEGY_INFO)
DEFAULT_STRATEGIES = ("map", "as_completed")
# What the simulator predicts, what runs in the caller alone, what any thread or process pool runs.
SIMULATED = tuple(s.name for s in STRATEGY_TABLE if s.simulated)
POOLLESS = tuple(s.name for s in STRATEGY_TABLE if s.poolless)
PORTABLE = tuple(s.name for s in STRATEGY_TABLE if s.needs_executor is None)
NEEDS_EXECUTOR = {s.name: s.needs_executor for s in STRATEGY_TABLE if s.needs_executor}

# The worker name of a task that ran in the caller's own thread (the sequential baseline),
# and the caller's lane in every view.
CALLER = "caller"

# Run.options key holding a cluster's clocks: {worker: {"offset": s, "uncertainty": s}}.
CLOCK = "clock"
