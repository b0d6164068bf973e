"""When an event loop was blocked, from its own lag: a timer that fires far later than due.

A chain of ``call_later`` callbacks, not a task: the program's
``asyncio.all_tasks()`` never sees it, so code that waits for every task
still ends.
"""

from __future__ import annotations

import asyncio

from loiter.record.worker import now

# The loop lag that counts as "blocked": well above a loaded machine's wake-up noise.
LAG_TICK = 0.005
LAG_THRESHOLD = 0.02
_TICK_NS = round(LAG_TICK * 1e9)


class LagWatcher:
    """Ticks on ``loop`` from :meth:`start` to :meth:`stop`; ``blocked`` holds (from, to) in ns.

    A tick that wakes more than ``LAG_THRESHOLD`` late means the loop was
    blocked (by a task that never awaits) from the tick's due time until it
    woke. At :meth:`stop` the pending tick counts up to that moment.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.blocked: list[tuple[int, int]] = []
        self._asked = 0
        self._handle: asyncio.TimerHandle | None = None

    def start(self) -> LagWatcher:
        self._asked = now()
        self._handle = self.loop.call_later(LAG_TICK, self._tick)
        return self

    def _note(self, woke: int) -> None:
        if (woke - self._asked - _TICK_NS) / 1e9 > LAG_THRESHOLD:
            self.blocked.append((self._asked + _TICK_NS, woke))

    def _tick(self) -> None:
        self._note(now())
        self.start()

    def stop(self) -> list[tuple[int, int]]:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
            self._note(now())
        return self.blocked
