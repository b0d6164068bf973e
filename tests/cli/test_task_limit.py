"""How many tasks the command line takes: up to 10,000,000 (``--durations 0*10000000``)."""

from __future__ import annotations

import click
import pytest

from loiter.cli.params import MAX_TASKS, Durations


def test_ten_million_tasks_are_accepted() -> None:
    durations = Durations().convert("0*9999999,2", None, None)
    assert MAX_TASKS == 10_000_000
    assert len(durations) == MAX_TASKS and durations[0] == 0 and durations[-1] == 2


def test_one_more_is_refused() -> None:
    with pytest.raises(click.BadParameter, match="at most 10000000"):
        Durations().convert("0*9999999,2,3", None, None)
