"""How the caller consumes results, written into a run's options in one place and read back by one.

The runner writes a run's options with :func:`run_options`; the simulator,
``advise`` and every renderer read them back with :meth:`Options.of`, so a
trace can be predicted again from the file alone.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from .names import CALLER, POOLLESS

if TYPE_CHECKING:
    from .trace import Run


@dataclass(frozen=True)
class Options:
    """How the caller consumes: the knobs a lecture turns."""

    chunksize: int = 1  # map on process pools: calls per submitted work item
    buffersize: int | None = None  # bounded: tasks submitted ahead of the consumer
    consumer_delay: float = 0.0  # seconds the caller works on each result
    timeout: float | None = None  # seconds the caller waits in all, then TimeoutError
    return_exceptions: bool = False  # asyncio gather: failures come back as values

    def consume(self) -> None:
        """The caller's own work on a result, before it asks for the next."""
        if self.consumer_delay:
            time.sleep(self.consumer_delay)

    def deadline(self) -> float | None:
        return None if self.timeout is None else time.monotonic() + self.timeout

    @classmethod
    def of(cls, run: Run) -> Options:
        """The options a recorded run was shaped by (defaults for what it did not record).

        A knob only counts for the strategy it shapes (``chunksize`` for ``map``,
        ``buffersize`` for ``bounded``); values of the wrong kind read as the default.
        """
        opts = run.options
        chunksize = _whole(opts.get("chunksize")) if run.strategy == "map" else None
        buffersize = _whole(opts.get("buffersize")) if run.strategy == "bounded" else None
        delay = opts.get("consumer_delay")
        if not isinstance(delay, (int, float)) or not math.isfinite(delay) or delay < 0:
            delay = 0.0
        return cls(
            chunksize=chunksize or 1,
            buffersize=buffersize,
            consumer_delay=float(delay),
        )


# How a process pool's workers were started (fork, forkserver, spawn): the pool says
# it in the run's options, beside what the caller chose.
START_METHOD = "start_method"

PLAIN = Options()  # no chunks, no buffer, no consumer delay, no timeout


def _whole(value: Any) -> int | None:
    """A positive int option, or None for anything else."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 1 else None


def run_options(
    strategy: str, executor: str, options: Options, extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The options that shaped this run, kept in the trace so it can be predicted again.

    Only what differs from the defaults, and only the knobs that act: CPython's
    thread pools ignore ``chunksize``, and only ``bounded`` has a buffer.
    """
    defaults = PLAIN
    opts = {k: v for k, v in asdict(options).items() if v != getattr(defaults, k)}
    if strategy != "map" or executor != "process":
        opts.pop("chunksize", None)
    if strategy != "bounded":
        opts.pop("buffersize", None)
    return {**opts, **(extra or {})}


def run_meta(
    scenario: str,
    strategy: str,
    executor: str,
    workers: int,
    unit: float,
    workload: str,
    options: Options,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """What a run records about itself, measured or predicted: the fields of a Run but its tasks.

    Poolless strategies ran in the caller alone, whatever pool was asked for.
    """
    if strategy in POOLLESS:
        executor, workers = CALLER, 1
    return {
        "scenario": scenario,
        "strategy": strategy,
        "executor": executor,
        "workers": workers,
        "unit": unit,
        "workload": workload,
        "options": run_options(strategy, executor, options, extra),
    }
