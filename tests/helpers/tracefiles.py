"""Comparing a trace with what its file gives back: format 2 keeps times to 1 µs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import pytest

from loiter.model.trace import INTERVAL_LISTS, Run, Trace

TIMES = ("submitted", "started", "finished", "delivered")
# Half the file's resolution, plus the float error of a time of up to a day.
RESOLUTION = 0.5e-6 + 1e-10


def assert_same_but_rounded(loaded: Trace, recorded: Trace) -> None:
    """Equal in every field, each time within the file's rounding of the recorded one."""
    assert len(loaded.runs) == len(recorded.runs)
    for a, b in zip(loaded.runs, recorded.runs, strict=True):
        assert _bare(a) == _bare(b)
        assert len(a.tasks) == len(b.tasks)
        for x, y in zip(a.tasks, b.tasks, strict=True):
            assert [getattr(x, n) for n in TIMES] == pytest.approx(
                [getattr(y, n) for n in TIMES], abs=RESOLUTION
            ), x.index
            assert x == replace(y, **{n: getattr(x, n) for n in TIMES})
        assert [w.index for w in a.caller_blocked] == [w.index for w in b.caller_blocked]
        assert _flat(a.caller_blocked) == pytest.approx(_flat(b.caller_blocked), abs=RESOLUTION)
        for name in INTERVAL_LISTS:
            assert _flat(getattr(a, name)) == pytest.approx(_flat(getattr(b, name)), abs=RESOLUTION)


def _bare(run: Run) -> Run:
    return replace(run, tasks=[], caller_blocked=[], **{name: [] for name in INTERVAL_LISTS})


def _flat(spans: Sequence[Sequence[Any]]) -> list[float]:
    """The first two numbers of each: [from, to] or a wait's [ask, got]."""
    return [x for span in spans for x in span[:2]]
