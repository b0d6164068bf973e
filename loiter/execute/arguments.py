"""What ``loiter.run`` accepts: a bad argument is refused before anything runs, as the CLI does.

Without these checks ``loiter.run(unit=0)`` ran and saved a trace that
``loiter.load`` rejects. Each refusal is a ValueError (a wrong value) or a
TypeError (a wrong kind of value) whose message names the argument; the
bounds are the trace file's own (:mod:`loiter.model.tracecheck`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from loiter.model.names import (
    EXECUTORS,
    STRATEGY_INFO,
    STRATEGY_NAMES,
    WORKLOADS,
    strategies_on,
)
from loiter.model.options import Options
from loiter.model.scenarios import SCENARIOS, preset
from loiter.model.tracecheck import MAX_SECONDS, MAX_TASKS, MAX_WORKERS, short
from loiter.workloads.faults import Faults


def check_run(
    durations: Sequence[Any] | None,
    scenarios: Sequence[str],
    strategies: Sequence[str],
    executor: str,
    workers: int,
    unit: float,
    seed: int,
    workload: str,
    fn: Callable[[Any], Any] | None,
    options: Options | None,
    faults: Faults | None,
) -> None:
    """Refuse the first bad argument of :func:`loiter.run`, naming it."""
    names("executor", [executor], EXECUTORS)
    names("strategies", strategies, STRATEGY_NAMES, "strategy")
    for name in strategies:
        if name not in strategies_on(executor):
            where = ", ".join(STRATEGY_INFO[name].executors)
            raise ValueError(f"strategy {name!r} runs on executor {where}, not {executor}")
    low = 0 if executor == "asyncio" else 1  # an event loop's 0 is "no limit"
    whole("workers", workers, low, MAX_WORKERS)
    seconds("unit", unit)
    whole("seed", seed, 0)
    if not isinstance(workload, str):
        raise TypeError(
            f"workload must be a name like 'loiter' or 'module:function', got {short(workload)}"
        )
    if fn is not None and not callable(fn):
        raise TypeError(f"fn must be callable, got {short(fn)}")
    if durations is None:
        names("scenarios", scenarios, SCENARIOS, "scenario")
    else:
        tasks(durations, unit, timed=fn is None and workload in WORKLOADS)
    if options is not None:
        check_options(options)
    if faults is not None:
        count = (
            len(durations)
            if durations is not None
            else max(len(preset(name, seed).args) for name in scenarios)
        )
        check_faults(faults, executor, strategies, count)


def names(argument: str, given: Sequence[str], accepted: Sequence[str], each: str = "") -> None:
    """Every one of ``given`` (a list) is an ``accepted`` name; ``each`` names one in errors."""
    option = each or argument
    if isinstance(given, str) or not given:
        raise TypeError(f"{argument} must be a non-empty list of names, got {short(given)}")
    for name in given:
        if name not in accepted:
            raise ValueError(f"{option} {name!r} is not one of {', '.join(accepted)}")


def whole(name: str, value: Any, low: int, high: float = math.inf) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be a whole number, got {short(value)}")
    if not low <= value <= high:
        bounds = f"{low} to {high}" if high != math.inf else f"at least {low}"
        raise ValueError(f"{name} must be {bounds}, got {value}")


def seconds(name: str, value: Any, *, zero: bool = False) -> None:
    """A finite number of seconds, > 0 (or >= 0 with ``zero``), within the trace's bounds."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise TypeError(f"{name} must be a number of seconds, got {short(value)}")
    if not (math.isfinite(value) and (value >= 0 if zero else value > 0) and value <= MAX_SECONDS):
        least = ">= 0" if zero else "> 0"
        raise ValueError(
            f"{name} must be finite, {least} and at most {MAX_SECONDS:g} s, got {value!r}"
        )


def tasks(durations: Sequence[Any], unit: float, *, timed: bool) -> None:
    """``durations``: the tasks' arguments; for loiter and spin, numbers of units."""
    if isinstance(durations, (str, bytes)) or not isinstance(durations, Sequence):
        raise TypeError(f"durations must be a list, got {short(durations)}")
    if not 1 <= len(durations) <= MAX_TASKS:
        raise ValueError(f"durations must hold 1 to {MAX_TASKS} tasks, got {len(durations)}")
    for k, value in enumerate(durations):
        if not timed:
            continue
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise TypeError(f"durations[{k}] must be a number of units, got {short(value)}")
        if not (math.isfinite(value) and 0 <= value * unit <= MAX_SECONDS):
            raise ValueError(
                f"durations[{k}] must be finite, >= 0 and at most {MAX_SECONDS:g} s "
                f"at unit {unit:g}, got {value!r}"
            )


def check_options(options: Any) -> None:
    if not isinstance(options, Options):
        raise TypeError(f"options must be a loiter.Options, got {short(options)}")
    whole("options.chunksize", options.chunksize, 1, MAX_TASKS)
    if options.buffersize is not None:
        whole("options.buffersize", options.buffersize, 1, MAX_TASKS)
    seconds("options.consumer_delay", options.consumer_delay, zero=True)
    if options.timeout is not None:
        seconds("options.timeout", options.timeout)
    if not isinstance(options.return_exceptions, bool):
        raise TypeError(
            "options.return_exceptions must be True or False, "
            f"got {short(options.return_exceptions)}"
        )


def check_faults(faults: Any, executor: str, strategies: Sequence[str], count: int) -> None:
    if not isinstance(faults, Faults):
        raise TypeError(f"faults must be a loiter.Faults, got {short(faults)}")
    for name in ("fail_at", "crash_at"):
        indices = getattr(faults, name)
        if isinstance(indices, (str, bytes)) or not isinstance(indices, Sequence):
            raise TypeError(f"faults.{name} must be a list of task indices, got {short(indices)}")
        for k, index in enumerate(indices):
            whole(f"faults.{name}[{k}] (a task index)", index, 0, count - 1)
    rate = faults.error_rate
    if not isinstance(rate, (int, float)) or isinstance(rate, bool):
        raise TypeError(f"faults.error_rate must be a number from 0 to 1, got {short(rate)}")
    if not 0 <= rate <= 1:
        raise ValueError(f"faults.error_rate must be from 0 to 1, got {rate!r}")
    whole("faults.seed", faults.seed, 0)
    if faults.crash_at and (executor != "process" or "sequential" in strategies):
        raise ValueError(
            "faults.crash_at needs executor 'process' and no 'sequential' strategy "
            "(its os._exit would end this Python itself)"
        )
