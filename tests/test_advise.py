"""What-if advice: known numbers on hand-written traces, and predictions checked by running them."""

from __future__ import annotations

from functools import partial

import pytest
from conftest import UNIT
from fixtures import sample_trace, slow_first_as_completed, slow_first_map

from loiter import tracefile
from loiter.advise import advise, gil_bound, simulate, simulated_strategies
from loiter.cli import main
from loiter.runner import Experiment, run_one
from loiter.scenarios import Scenario, preset
from loiter.workloads import loiter, spin, spin_rate

# Predicted vs actually run: pool hand-offs and wake-ups cost a few ms per task.
TOLERANCE = 0.03


def test_simulated_strategies_include_the_basics() -> None:
    assert {"map", "as_completed"} <= set(simulated_strategies())


def test_slow_first_map_advises_as_completed_with_numbers() -> None:
    run = slow_first_map()
    (advice,) = advise(run)
    ac = simulate([4, 3, 2, 1, 0], 3, "as_completed")
    assert ac.first_result == 2.0 and ac.total_stall == 0.0
    stall = run.summary().total_stall
    assert stall > 1.0
    assert advice.recommendation.startswith(
        f"switch to as_completed: first result 2.00 s sooner, {stall:.2f} s of held results gone"
    )
    # Ranked by makespan: five workers run every task at once, 4 s; nobody beats that.
    assert advice.predictions[0].makespan == 4.0
    assert all(a.makespan <= b.makespan for a, b in zip(advice.predictions, advice.predictions[1:]))


def test_as_completed_run_is_left_alone() -> None:
    (advice,) = advise(slow_first_as_completed())
    assert advice.recommendation.startswith("as_completed is fine here")


def test_map_in_completion_order_is_fine() -> None:
    run = run_one(preset("book"), "map", Experiment([], (), workers=5, unit=UNIT))
    (advice,) = advise(run)
    assert advice.recommendation.startswith("map is fine here: completion order already matches")
    assert not advice.warnings


def test_advise_trace_gives_one_advice_per_run() -> None:
    trace = sample_trace()
    assert [a.run for a in advise(trace)] == trace.runs


def _measure(scenario: Scenario, strategy: str, executor: str, workers: int):
    return run_one(scenario, strategy, Experiment([], (), executor, workers, UNIT)).summary()


@pytest.mark.parametrize(
    ("scenario", "executor", "alt_strategy", "alt_workers"),
    [
        (preset("slow-first"), "thread", "as_completed", 3),
        (preset("shuffled", seed=3), "thread", "as_completed", 4),
        (Scenario("mixed", (3, 1, 2, 1, 3, 1)), "thread", "map", 1),
        (preset("slow-first"), "process", "as_completed", 3),
    ],
)
def test_predicted_alternative_matches_running_it(scenario, executor, alt_strategy, alt_workers):
    """Measure map on 3 workers, predict an alternative, then run the alternative."""
    measured = run_one(scenario, "map", Experiment([], (), executor, 3, UNIT))
    (advice,) = advise(measured)
    (pred,) = [
        p for p in advice.predictions if (p.strategy, p.workers) == (alt_strategy, alt_workers)
    ]
    actual = _measure(scenario, alt_strategy, executor, alt_workers)
    assert pred.makespan == pytest.approx(actual.makespan, abs=TOLERANCE)
    assert pred.first_result == pytest.approx(actual.first_result, abs=TOLERANCE)
    assert pred.total_stall == pytest.approx(actual.total_stall, abs=TOLERANCE)


def _two_then_one(fn) -> object:
    """Two equal tasks on 2 threads side by side, then a double one alone."""
    exp = Experiment([], (), "thread", 2, UNIT, workload="custom", fn=fn)
    return run_one(Scenario("gil", (2, 2, 4)), "map", exp)


@pytest.mark.slow
def test_gil_detected_from_durations_not_names() -> None:
    cpu = _two_then_one(partial(spin, unit=UNIT, rate=spin_rate()))
    assert gil_bound(cpu)
    (advice,) = advise(cpu)
    assert any("GIL" in w for w in advice.warnings)
    sleepy = _two_then_one(partial(loiter, unit=UNIT))
    assert not gil_bound(sleepy)


def test_cli_advise_prints_table_advice_and_assumptions(tmp_path, capsys) -> None:
    path = tracefile.save(sample_trace(), tmp_path / "t.json")
    with pytest.raises(SystemExit) as exit_:
        main(["advise", str(path)])
    assert exit_.value.code == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "What if? slow-first / map on thread x3" in out
    assert "Advice: switch to as_completed: first result 2.00 s sooner" in out
    assert "Assumes: task durations" in out
    assert "never ran" in out  # failing_map's cancelled task


def test_cli_advise_missing_file_is_one_line_exit_1(tmp_path, capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["advise", str(tmp_path / "nope.json")])
    assert exit_.value.code == 1
    assert capsys.readouterr().err.count("\n") == 1
