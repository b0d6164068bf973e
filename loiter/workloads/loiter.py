"""What runs in the workers: the book's ``loiter`` and a CPU-bound ``spin``, both interruptible.

Runs in the worker (a thread, or a separate process): Ctrl-C sets ``STOP``,
which wakes every sleeping call in that process at once.
"""

from __future__ import annotations

import signal
import threading
import time

# Set when the run is interrupted, so sleeping loiter calls in this process end at once.
STOP = threading.Event()


class Interrupted(Exception):
    """A loiter call cut short because the run was stopped."""


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


def stop_on_sigint() -> None:
    """Process-pool initializer: Ctrl-C wakes this worker's loiter calls instead of killing it.

    The Event is set from a fresh thread: setting it inside the handler could
    deadlock if the signal lands while this thread holds the Event's lock.
    """
    signal.signal(signal.SIGINT, lambda *_: threading.Thread(target=STOP.set).start())
