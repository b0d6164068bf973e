"""Clock offsets from round trips, the chart's warning, and --executor dask without Dask."""

from __future__ import annotations

import sys

import pytest
from helpers.fixtures import slow_first_as_completed, slow_first_map

from loiter.cli import main
from loiter.model.names import CLOCK
from loiter.record.clocks import best_offsets
from loiter.render.gantt import figure_for
from loiter.render.words import clock_note


def test_the_shortest_round_trip_gives_offset_and_uncertainty() -> None:
    samples = [
        (0, {"a": 5_000_000, "b": 900}, 4_000_000),  # a: rtt 4 ms
        (10_000_000, {"a": 12_000_000}, 11_000_000),  # a: rtt 1 ms, midpoint 10.5 ms
    ]
    clock = best_offsets(samples)
    assert clock["a"] == pytest.approx({"offset": 0.0015, "uncertainty": 0.0005})
    assert clock["b"] == pytest.approx({"offset": 900e-9 - 0.002, "uncertainty": 0.002})


def test_clock_note_only_when_uncertainty_exceeds_the_effects_shown() -> None:
    stalled, smooth = slow_first_map(), slow_first_as_completed()  # unit 1 s, stalls of seconds
    assert clock_note(stalled) is None  # no clock: one host
    stalled.options[CLOCK] = {"w": {"offset": 0.0, "uncertainty": 0.002}}
    assert clock_note(stalled) is None
    stalled.options[CLOCK]["v"] = {"offset": 0.1, "uncertainty": 3.0}
    assert clock_note(stalled) == "clock uncertainty up to 3000.0 ms: larger than the effects shown"
    smooth.options[CLOCK] = {"w": {"offset": 0.0, "uncertainty": 1.5}}  # no stall: the unit
    assert "1500.0 ms" in clock_note(smooth)
    texts = [t.get_text() for t in figure_for(stalled).axes[0].texts]
    assert clock_note(stalled) in texts


def test_dask_executor_without_dask_says_how_to_install(monkeypatch, capsys, tmp_path) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if the extra were missing
    with pytest.raises(SystemExit) as exit_info:
        main(["--executor", "dask", "--unit", "0.01", "-o", str(tmp_path)])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["loiter-viz: error: --executor dask needs Dask: pip install 'loiter-viz[dask]'"]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "args", [["--scheduler", "tcp://127.0.0.1:1"], ["--strategy", "dask_native"]]
)
def test_dask_options_need_the_dask_executor(capsys, tmp_path, args) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--executor", "thread", *args, "-o", str(tmp_path)])
    assert exit_info.value.code == 2
    assert "need --executor dask" in capsys.readouterr().err
