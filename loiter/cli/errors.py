"""The CLI's failures: each becomes one line on stderr and its exit code (see main)."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

import click


class RuntimeFailure(click.ClickException):
    """A problem with the environment (files, folders), not with the command line."""

    exit_code = 1


class Stopped(click.ClickException):
    """The run ended early; the partial trace is on disk (no chart: exit fast).

    Its exit status is the instance's (128 + signal): click's ``exit_code`` is per class.
    """

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised like Ctrl-C so every path that saves on Ctrl-C saves on these."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


# The signals that stop a run the way Ctrl-C does (``timeout``, a closed terminal, ``kill``).
STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


def catchable() -> list[signal.Signals]:
    """The stop signals this process was not told to ignore: under ``nohup`` SIGHUP stays
    ignored, as the user asked."""
    return [sig for sig in STOP_SIGNALS if signal.getsignal(sig) is not signal.SIG_IGN]


@contextmanager
def stop_signals_raise() -> Iterator[None]:
    """Inside the block SIGTERM and SIGHUP raise :class:`Terminated` in the main thread, once:
    a second signal while the trace is being saved is ignored, so the save completes. The
    previous handlers come back after the block (main() also runs inside test processes).

    A process forked inside the block (a fork-started pool worker, or a traced
    program's own child) inherits the handler but is not the run: there the
    signal gets the handler it would have had without loiter-viz, so a worker
    that is terminated dies of the signal, as its pool expects."""

    def stop(signum: int, frame: FrameType | None) -> None:
        if os.getpid() != owner:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            signal.raise_signal(signum)
            return
        for sig in previous:
            signal.signal(sig, signal.SIG_IGN)
        raise Terminated(signum)

    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set handlers; a caller's thread keeps its own
        return
    owner = os.getpid()
    previous = {sig: signal.signal(sig, stop) for sig in catchable()}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
