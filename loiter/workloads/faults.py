"""The faults a lecture asks for (a task that raises, a worker that dies).

Planned in the caller so that a run is reproducible and the trace can say
which task was meant to fail; carried with each task's argument.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

# Faults, decided per task in the caller and carried with the task's argument.
RAISE = "raise"
EXIT = "exit"


class TaskFailed(Exception):
    """Raised on purpose by a task the run was asked to fail."""


class Faulty:
    """Picklable wrapper: runs ``fn(arg)``, then raises or kills its worker process if planned.

    Called with ``(arg, fault)``, so one function serves ``map`` and ``submit``.
    """

    __slots__ = ("fn",)

    def __init__(self, fn: Callable[[Any], Any]) -> None:
        self.fn = fn

    def __call__(self, call: tuple[Any, str | None]) -> Any:
        arg, fault = call
        value = self.fn(arg)
        if fault == RAISE:
            raise TaskFailed(f"task with argument {arg!r} failed on purpose")
        if fault == EXIT:
            os._exit(70)  # the worker process dies without a word, like a segfault would
        return value

    def __getstate__(self) -> Callable[[Any], Any]:
        return self.fn

    def __setstate__(self, state: Callable[[Any], Any]) -> None:
        self.fn = state


@dataclass(frozen=True)
class Faults:
    """Which tasks fail: by index, at random (reproducibly, from ``seed``), or by dying."""

    fail_at: tuple[int, ...] = ()
    error_rate: float = 0.0
    seed: int = 0
    crash_at: tuple[int, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.fail_at or self.error_rate or self.crash_at)

    def plan(self, count: int) -> list[str | None]:
        """The fault of each of ``count`` tasks (None: it runs normally)."""
        rng = random.Random(self.seed)
        plan: list[str | None] = [
            RAISE if rng.random() < self.error_rate else None for _ in range(count)
        ]
        for i in self.fail_at:
            if i < count:
                plan[i] = RAISE
        for i in self.crash_at:
            if i < count:
                plan[i] = EXIT
        return plan

    def options(self) -> dict[str, Any]:
        """What goes into a run's options in the trace (only what was asked)."""
        out: dict[str, Any] = {}
        if self.fail_at:
            out["fail_at"] = list(self.fail_at)
        if self.error_rate:
            out["error_rate"] = self.error_rate
            out["seed"] = self.seed
        if self.crash_at:
            out["crash_at"] = list(self.crash_at)
        return out


def with_faults(
    fn: Callable[[Any], Any], args: Sequence[Any], faults: Faults
) -> tuple[Callable[[Any], Any], Sequence[Any]]:
    """The function and arguments to submit: unchanged when no fault is asked for."""
    if not faults:
        return fn, args
    return Faulty(fn), list(zip(args, faults.plan(len(args))))
