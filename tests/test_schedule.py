"""The ideal schedule on hand-computed examples."""

from __future__ import annotations

import pytest

from loiter.schedule import ideal_schedule


def test_book_scenario_with_three_workers() -> None:
    tasks = ideal_schedule([0, 1, 2, 3, 4], 3, "map")
    assert [t.started for t in tasks] == [0, 0, 0, 0, 1]
    assert [t.finished for t in tasks] == [0, 1, 2, 3, 5]
    assert [t.delivered for t in tasks] == [0, 1, 2, 3, 5]


def test_slow_first_map_holds_results_behind_the_slowest() -> None:
    tasks = ideal_schedule([4, 3, 2, 1, 0], 3, "map")
    assert [t.started for t in tasks] == [0, 0, 0, 2, 3]
    assert [t.finished for t in tasks] == [4, 3, 2, 3, 3]
    assert [t.delivered for t in tasks] == [4, 4, 4, 4, 4]


def test_slow_first_as_completed_delivers_at_finish() -> None:
    tasks = ideal_schedule([4, 3, 2, 1, 0], 3, "as_completed")
    assert [t.delivered for t in tasks] == [4, 3, 2, 3, 3]


def test_consumer_delay_turns_held_time_into_backlog() -> None:
    tasks = ideal_schedule([1, 1], 2, "as_completed", consumer_delay=0.5)
    assert [t.delivered for t in tasks] == [1, 1.5]


def test_unknown_strategy_is_refused() -> None:
    with pytest.raises(ValueError, match="no ideal schedule"):
        ideal_schedule([1], 1, "telepathy")
