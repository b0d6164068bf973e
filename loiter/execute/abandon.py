"""Work the caller gave up on: stop a pool without waiting for it, and know what was left running.

A thread cannot be killed: one still in a call that ignores STOP (a request
waiting on a slow server, a task that never returns) is left to end unseen,
so stopping never waits more than a grace period. Python would still wait for
it at exit (concurrent.futures joins its threads); :func:`left_running` tells
the CLI to end past it once the trace is saved.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import os
import signal
import threading
import time
import weakref
from collections.abc import Sequence
from typing import Any

from loiter.workloads.loiter import STOP

# How long stopped workers get to end on their own before they are terminated.
GRACE = 0.5
# After the caller's --timeout, how long work still running may go on (and be recorded).
LINGER = 1.0
# A task the run abandoned (see :func:`settle`), as its trace says.
ABANDONED = "abandoned: still running when the run ended"
# The run option that counts them, read by the CLI to say so.
ABANDONED_COUNT = "abandoned"

# Pool threads stopping left running; weakly, so a thread that ends is forgotten.
_left: weakref.WeakSet[threading.Thread] = weakref.WeakSet()


def settle(
    pool: cf.Executor, running: Sequence[cf.Future[Any]], timeout: float | None
) -> list[int]:
    """Shut ``pool`` down once its work ends, as ``shutdown(wait=True)`` does.

    With a ``timeout`` the caller has stopped waiting: what still runs gets
    LINGER seconds, then is abandoned (and what waits to start, cancelled).
    Returns the positions in ``running`` of the futures abandoned.
    """
    if timeout is not None and running:
        cf.wait(set(running), LINGER)
        if not all(future.done() for future in running):
            abandoned = [k for k, future in enumerate(running) if future.running()]
            stop_pool(pool)
            return abandoned
    pool.shutdown(wait=True)
    return []


def stop_pool(pool: cf.Executor) -> None:
    """Cancel what has not started, wake sleeping loiter calls, and leave no worker behind."""
    STOP.set()  # thread workers share this process's Event
    procs = list((getattr(pool, "_processes", None) or {}).values())
    for proc in procs:  # a terminal's Ctrl-C reaches them too; kill(1) of the parent does not
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGINT)
    pool.shutdown(wait=False, cancel_futures=True)
    deadline = time.monotonic() + GRACE
    for proc in procs:
        proc.join(max(0.0, deadline - time.monotonic()))
        if proc.is_alive():  # a user function that does not sleep on STOP
            proc.kill()
            proc.join()
    threads = list(getattr(pool, "_threads", ()) or ())
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    alive = [thread for thread in threads if thread.is_alive()]
    _left.update(alive)
    if not alive:
        pool.shutdown(wait=True)


def left_running() -> list[threading.Thread]:
    """Pool threads that stopping left running and that Python would wait for at exit."""
    return [thread for thread in _left if thread.is_alive()]
