"""What runs in the workers: the book's ``loiter`` (more workloads plug in here)."""

from __future__ import annotations

import signal
import threading

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


def stop_on_sigint() -> None:
    """Process-pool initializer: Ctrl-C wakes this worker's loiter calls instead of killing it.

    The Event is set from a fresh thread: setting it inside the handler could
    deadlock if the signal lands while this thread holds the Event's lock.
    """
    signal.signal(signal.SIGINT, lambda *_: threading.Thread(target=STOP.set).start())
