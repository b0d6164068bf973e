"""Named lists of task arguments (for loiter: durations in units): what a lecture compares."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

PRESETS: dict[str, tuple[int, ...]] = {
    # The book's executor.map(loiter, range(5)): completion order equals input order.
    "book": (0, 1, 2, 3, 4),
    # The slowest first: map holds every finished result behind it.
    "slow-first": (4, 3, 2, 1, 0),
}
SCENARIOS = (*PRESETS, "shuffled")
DEFAULT_SCENARIOS = ("book", "slow-first")


@dataclass(frozen=True)
class Scenario:
    """One argument per task, in submission order."""

    name: str
    args: tuple[Any, ...]


def preset(name: str, seed: int = 0) -> Scenario:
    """A preset by name; ``shuffled`` is range(5) in an order fixed by ``seed``."""
    if name == "shuffled":
        durations = list(range(5))
        random.Random(seed).shuffle(durations)
        return Scenario(name, tuple(durations))
    return Scenario(name, PRESETS[name])


def custom(args: tuple[Any, ...]) -> Scenario:
    return Scenario("custom", args)
