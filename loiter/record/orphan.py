"""A worker process ends with the process that started it, however that one dies.

Runs in each worker process, from the pool's initializer. A caller killed by
SIGKILL (or stopped before it could shut its pool down) would otherwise leave
its workers running their tasks to the end, for as long as those take.

Two guards: Linux's parent-death signal, which the kernel sends even while a
task holds the GIL in C code, and a watcher thread for everything else. The
signal is tied to the *thread* that forked the worker, not to its process: it
is only asked for when that thread is the caller's main thread. The watcher
waits on a pidfd of the caller (Linux), so it wakes only when the caller is
gone, also under forkserver, whose server outlives the caller while its
workers live; elsewhere it looks at the parent pid now and then.
"""

from __future__ import annotations

import ctypes
import os
import select
import signal
import sys
import threading
import time
from collections.abc import Callable

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
WATCH_EVERY = 0.1  # seconds between two looks at the parent: a wake-up costs microseconds


def die_with_caller(caller_pid: int, caller_main: int, start_method: str) -> None:
    """Make this worker exit as soon as the caller is gone.

    ``caller_pid`` and ``caller_main`` (the caller's main thread ident) are read
    in the caller; a forked child keeps the ident of the thread that forked it.
    """
    linux = sys.platform == "linux"
    if linux and start_method == "fork" and threading.get_ident() == caller_main:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    try:
        caller = os.pidfd_open(caller_pid) if hasattr(os, "pidfd_open") else None
    except ProcessLookupError:
        os._exit(1)
    except OSError:  # a Linux older than 5.3
        caller = None
    if start_method != "forkserver" and os.getppid() != caller_pid:
        os._exit(1)  # it died before the guards were up (the pid may be another's by now)
    if caller is not None:
        _watcher(_wait_for_exit, caller)
    elif start_method != "forkserver":  # under forkserver the parent is the server
        _watcher(_watch_parent, caller_pid)


def _watcher(watch: Callable[[int], None], arg: int) -> None:
    threading.Thread(target=watch, args=(arg,), name="loiter-orphan-watch", daemon=True).start()


def _wait_for_exit(pidfd: int) -> None:
    """A pidfd turns readable when its process has ended."""
    select.select([pidfd], [], [])
    os._exit(1)


def _watch_parent(parent: int) -> None:
    """An orphan is adopted by another process: its parent pid changes."""
    while os.getppid() == parent:
        time.sleep(WATCH_EVERY)
    os._exit(1)
