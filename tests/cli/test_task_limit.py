"""How many tasks the command line takes: up to 10,000,000 (``--durations 0*10000000``)."""

from __future__ import annotations

import click
import pytest

import loiter
from loiter.cli.params import Durations
from loiter.model.tracecheck import MAX_TASKS


def test_ten_million_tasks_are_accepted() -> None:
    durations = Durations().convert("0*9999999,2", None, None)
    assert MAX_TASKS == 10_000_000
    assert len(durations) == MAX_TASKS and durations[0] == 0 and durations[-1] == 2


def test_one_more_is_refused() -> None:
    with pytest.raises(click.BadParameter, match="at most 10000000"):
        Durations().convert("0*9999999,2,3", None, None)


def test_the_library_takes_as_many_as_the_command_line() -> None:
    """``loiter.run`` checks what it is given before running anything: the same limit."""
    from loiter.execute.arguments import tasks

    tasks([0] * MAX_TASKS, 0.001, timed=True)  # no error: ten million are accepted
    with pytest.raises(ValueError, match="durations must hold 1 to 10000000 tasks, got 10000001"):
        loiter.run([0] * (MAX_TASKS + 1))
