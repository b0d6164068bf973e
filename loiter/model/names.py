"""The names the tool knows and what each one means, with no imports, so ``--help`` stays instant.

One table per kind of name: the command line offers these, the simulator and
``advise`` read a strategy's properties here, and a test checks that the
executors and strategies implemented match.
"""

from __future__ import annotations

from dataclasses import dataclass

# Pools run callables on workers; asyncio runs coroutines on one event loop, a semaphore the "pool".
POOLS = ("thread", "process", "dask")
EXECUTORS = (*POOLS, "asyncio")
# Built-in workloads whose argument is a duration in units (besides flags and any module:function).
WORKLOADS = ("loiter", "spin")
# Trace file versions written on request, the newest last (loiter.model.tracefile).
TRACE_VERSIONS = (1, 2)


@dataclass(frozen=True)
class StrategyInfo:
    """What the rest of the tool needs to know about a strategy, besides its code."""

    name: str
    simulated: bool = True  # the ideal-schedule simulator predicts it
    poolless: bool = False  # runs every task in the caller, no pool
    executors: tuple[str, ...] = POOLS  # where it runs


ANYWHERE = EXECUTORS
STRATEGY_TABLE = (
    StrategyInfo("map"),
    StrategyInfo("as_completed", executors=ANYWHERE),
    StrategyInfo("wait", executors=ANYWHERE),
    StrategyInfo("callbacks"),
    StrategyInfo("bounded"),
    StrategyInfo("sequential", poolless=True, executors=ANYWHERE),
    StrategyInfo("dask_native", simulated=False, executors=("dask",)),
    StrategyInfo("gather", executors=("asyncio",)),
    StrategyInfo("taskgroup", executors=("asyncio",)),
)
STRATEGY_INFO = {s.name: s for s in STRATEGY_TABLE}
STRATEGY_NAMES = tuple(STRATEGY_INFO)
DEFAULT_STRATEGIES = ("map", "as_completed")
# asyncio's own pair: everything at once and in input order, or each as it finishes.
ASYNCIO_DEFAULT_STRATEGIES = ("gather", "as_completed")
# What the simulator predicts, what runs in the caller alone, what any thread or process pool runs.
SIMULATED = tuple(s.name for s in STRATEGY_TABLE if s.simulated)
POOLLESS = tuple(s.name for s in STRATEGY_TABLE if s.poolless)
PORTABLE = tuple(s.name for s in STRATEGY_TABLE if {"thread", "process"} <= set(s.executors))


def strategies_on(executor: str) -> tuple[str, ...]:
    """The strategies that run on ``executor`` (any executor name a pool of threads would take:
    a user's own executor, or the caller alone, gets the pool strategies)."""
    kind = executor if executor in EXECUTORS else "thread"
    return tuple(s.name for s in STRATEGY_TABLE if kind in s.executors)


# The worker name of a task that ran in the caller's own thread (the sequential baseline),
# and the caller's lane in every view.
CALLER = "caller"

# Run.options key holding a cluster's clocks: {worker: {"offset": s, "uncertainty": s}}.
CLOCK = "clock"
