"""Ending past abandoned work: once its outputs are written, loiter-viz exits, whatever still runs.

A thread cannot be killed, and Python waits for every pool thread at exit
(concurrent.futures joins them): a task that never returns, abandoned after
``--timeout`` or Ctrl-C, would hold loiter-viz forever after its trace is
saved. The command then ends with ``os._exit`` and the status it would have had.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar, cast

import click

from loiter.cli.errors import Stopped

F = TypeVar("F", bound=Callable[..., Any])


def say_abandoned(trace: Any, timeout: float | None) -> None:
    """One line on stderr when a run abandoned tasks still running after the caller's timeout."""
    from loiter.execute.abandon import ABANDONED_COUNT, LINGER

    count = sum(run.options.get(ABANDONED_COUNT, 0) for run in trace)
    if count and timeout is not None:
        tasks = "task" if count == 1 else "tasks"
        click.echo(
            f"loiter-viz: abandoned {count} {tasks} still running {LINGER:g}s after "
            f"--timeout {timeout:g} (not waited for; the trace shows them until then)",
            err=True,
        )


def ends_past_abandoned(command: F) -> F:
    """The command, then an exit that does not wait for threads stopping left running."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            result = command(*args, **kwargs)
        except click.ClickException as exc:
            if not _left_running():
                raise
            # What main() would print, since it will not get the chance.
            click.echo(f"loiter-viz: error: {' '.join(exc.format_message().split())}", err=True)
            _exit(exc.status if isinstance(exc, Stopped) else exc.exit_code)
        if _left_running():
            _exit(0)
        return result

    return cast(F, run)


def _left_running() -> bool:
    from loiter.execute.abandon import left_running

    return bool(left_running())


def _exit(status: int) -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
