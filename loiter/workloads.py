"""What runs in the workers: the book's ``loiter``, a CPU-bound ``spin``, or any function.

Also the faults a lecture asks for (a task that raises, a worker that dies),
planned in the caller so that a run is reproducible and the trace can say
which task was meant to fail.
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import pickle
import random
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

# Set when the run is interrupted, so sleeping loiter calls in this process end at once.
STOP = threading.Event()

WORKLOADS = ("loiter", "spin")


class Interrupted(Exception):
    """A loiter call cut short because the run was stopped."""


class WorkloadError(ValueError):
    """A workload that cannot be used; the message says why in one line."""


def loiter(n: float, unit: float = 1.0) -> float:
    """Fluent Python's ``loiter(n)``: do nothing for ``n`` units, return ``n * 10``.

    Sleeps on an Event rather than ``time.sleep`` so that Ctrl-C can wake it.
    """
    if STOP.wait(n * unit):
        raise Interrupted(f"loiter({n}) interrupted")
    return n * 10


_STEP = 1 << 15  # busy-loop iterations between checks for Ctrl-C


def _busy(count: int) -> None:
    i = 0
    while i < count:
        i += 1


def spin(n: float, unit: float = 1.0, rate: float | None = None) -> float:
    """CPU-bound ``loiter``: busy ``n`` units in pure Python, holding the GIL; returns ``n * 10``.

    ``rate`` is loop iterations per second from :func:`calibrate`; threads of
    one process take turns on the GIL, so they serialise where processes do not.
    """
    todo = round(n * unit * (rate or spin_rate()))
    for _ in range(todo // _STEP):
        _busy(_STEP)
        if STOP.is_set():
            raise Interrupted(f"spin({n}) interrupted")
    _busy(todo % _STEP)
    return n * 10


def calibrate(trials: int = 3, steps: int = 16) -> float:
    """Busy-loop iterations per second on one core, best of a few short trials (~30 ms).

    Timed in the same steps as :func:`spin`, after untimed ones: the
    interpreter specialises a function only after it has run a few times.
    """
    for _ in range(steps):
        _busy(_STEP)
    best = float("inf")
    for _ in range(trials):
        t0 = time.perf_counter()
        for _ in range(steps):
            _busy(_STEP)
        best = min(best, time.perf_counter() - t0)
    return steps * _STEP / best


_rate: list[float] = []


def spin_rate() -> float:
    """Calibrated once per process, then reused."""
    if not _rate:
        _rate.append(calibrate())
    return _rate[0]


def resolve(spec: str, unit: float) -> Callable[[Any], Any]:
    """``loiter``, ``spin`` (both in units of ``unit`` seconds) or ``module:function``."""
    if spec == "loiter":
        return partial(loiter, unit=unit)
    if spec == "spin":
        return partial(spin, unit=unit, rate=spin_rate())
    return import_function(spec)


def import_function(spec: str) -> Callable[[Any], Any]:
    """The function named ``package.module:function``, imported as ``python -m`` would."""
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise WorkloadError(
            f"{spec!r} is not one of {', '.join(WORKLOADS)} or a module:function path"
        )
    if "" not in sys.path and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())  # like python -m: modules next to you are found
    try:
        obj: Any = importlib.import_module(module_name)
    except Exception as exc:
        raise WorkloadError(f"cannot import module {module_name!r} ({exc})") from None
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise WorkloadError(f"module {module_name!r} has no attribute {attr!r}") from None
    if not callable(obj):
        raise WorkloadError(f"{spec!r} is not callable")
    return obj


def check_importable(fn: Callable[..., Any]) -> None:
    """Fail now, in the caller, if worker processes could not get the function."""
    target = fn.func if isinstance(fn, partial) else fn
    name = getattr(target, "__qualname__", repr(target))
    method = multiprocessing.get_start_method()
    if getattr(target, "__module__", None) == "__main__" and method != "fork":
        raise WorkloadError(
            f"{name} is defined in __main__, which worker processes started with "
            f"{method!r} cannot import; move it into a module"
        )
    try:
        pickle.dumps(fn)
    except Exception as exc:
        raise WorkloadError(
            f"{name} cannot be sent to worker processes ({exc}); "
            "use a function defined at the top level of a module"
        ) from None


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


def stop_on_sigint() -> None:
    """Process-pool initializer: Ctrl-C wakes this worker's loiter calls instead of killing it.

    The Event is set from a fresh thread: setting it inside the handler could
    deadlock if the signal lands while this thread holds the Event's lock.
    """
    signal.signal(signal.SIGINT, lambda *_: threading.Thread(target=STOP.set).start())
