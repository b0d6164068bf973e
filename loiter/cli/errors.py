"""The CLI's failures: each becomes one line on stderr and its exit code (see main)."""

from __future__ import annotations

import click


class RuntimeFailure(click.ClickException):
    """A problem with the environment (files, folders), not with the command line."""

    exit_code = 1


class Stopped(click.ClickException):
    """The run ended early; the partial trace is on disk (no chart: exit fast)."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code
