"""What-if advice: known numbers on hand-written traces, and predictions checked by running them."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from functools import partial

import pytest
from helpers import UNIT
from helpers.fixtures import sample_trace, slow_first_as_completed, slow_first_map
from helpers.timing import quiet, yardstick

from loiter.analyze.advise import Prediction, advise, alternatives, gil_bound, simulate
from loiter.analyze.schedule import ideal_run, ideal_schedule
from loiter.cli import main
from loiter.execute.runner import Experiment, run_one
from loiter.model import tracefile
from loiter.model.options import Options
from loiter.model.scenarios import Scenario, preset
from loiter.workloads.loiter import loiter, spin, spin_rate


def test_every_strategy_marked_simulated_has_an_ideal_schedule() -> None:
    from loiter.analyze.schedule import ideal_schedule
    from loiter.model.names import SIMULATED, STRATEGY_NAMES

    assert {"map", "as_completed"} <= set(SIMULATED)
    for name in STRATEGY_NAMES:
        if name in SIMULATED:
            assert len(ideal_schedule([1.0], 1, name)) == 1
        else:
            with pytest.raises(ValueError):
                ideal_schedule([1.0], 1, name)


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


def assert_prediction_holds(pred: Prediction, measured, actual) -> None:
    """A prediction from ``measured`` against running it (``actual``), each judged on its noise.

    The alternative must run as the simulator's model says, step by step; the
    durations it is fed must be the measured ones within both runs' noise; then
    each number may be off by that much per task along its longest chain: a
    worker's lane, or the consumer's when it works on each result.
    """
    ys_actual, ys_measured = yardstick(actual), yardstick(measured)
    ys_actual.check(actual)
    ys_actual.check_stalls(actual)
    allowed = ys_actual.tolerance + ys_measured.tolerance
    for m, a in zip(measured.tasks, actual.tasks, strict=True):
        assert abs(m.ran - a.ran) <= allowed, (m, a)
    lane = max(Counter(t.worker for t in ys_actual.ideal).values())
    chain = len(actual.tasks) if actual.options.get("consumer_delay") else lane
    summary = actual.summary()
    assert abs(pred.makespan - summary.makespan) <= allowed * chain
    assert abs(pred.first_result - summary.first_result) <= allowed * lane
    stalled = max(1, summary.stalled_tasks)
    assert abs(pred.total_stall - summary.total_stall) <= allowed * lane * stalled


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

    def measure(unit: float):
        measured = run_one(scenario, "map", Experiment([], (), executor, 3, unit))
        alt = Experiment([], (), executor, alt_workers, unit)
        return measured, run_one(scenario, alt_strategy, alt)

    def judge(runs) -> None:
        measured, actual = runs
        (advice,) = advise(measured)
        (pred,) = [
            p for p in advice.predictions if (p.strategy, p.workers) == (alt_strategy, alt_workers)
        ]
        assert_prediction_holds(pred, measured, actual)

    quiet(measure, judge, UNIT)


MIXED = Scenario("mixed", (3, 1, 2, 1, 3, 1, 2, 1))


def _pick(predictions: list[Prediction], **setup: object) -> Prediction:
    (pred,) = [p for p in predictions if all(getattr(p, k) == v for k, v in setup.items())]
    return pred


@pytest.mark.parametrize(
    ("executor", "measured", "alternative"),
    [
        # chunksize: process pools pack map calls; the first result waits for its whole chunk
        ("process", Options(), dict(strategy="map", workers=3, chunksize=2)),
        ("process", Options(chunksize=3), dict(strategy="map", workers=3, chunksize=1)),
        # buffersize, with a busy consumer: the buffer decides how far ahead workers run
        (
            "thread",
            Options(consumer_delay=UNIT),
            dict(strategy="bounded", workers=3, buffersize=3),
        ),
        (
            "process",
            Options(consumer_delay=UNIT),
            dict(strategy="bounded", workers=4, buffersize=4),
        ),
    ],
)
def test_predicted_knob_matches_running_it(executor, measured, alternative) -> None:
    """Measure map, predict a chunksize or buffersize alternative, then run it."""
    knobs = {k: alternative[k] for k in ("chunksize", "buffersize") if k in alternative}

    def measure(unit: float):
        delay = unit if measured.consumer_delay else 0.0
        opts = replace(measured, consumer_delay=delay)
        run = run_one(MIXED, "map", Experiment([], (), executor, 3, unit, options=opts))
        alt_opts = Options(**knobs, consumer_delay=delay)
        alt = Experiment([], (), executor, alternative["workers"], unit, options=alt_opts)
        return run, run_one(MIXED, alternative["strategy"], alt)

    def judge(runs) -> None:
        run, actual = runs
        (advice,) = advise(run)
        assert_prediction_holds(_pick(advice.predictions, **alternative), run, actual)

    quiet(measure, judge, UNIT)


def test_consumer_delay_of_the_run_is_replayed() -> None:
    """Replaying a slow consumer's run as it was gives back what was measured."""

    def measure(unit: float):
        exp = Experiment([], (), "thread", 3, unit, options=Options(consumer_delay=unit))
        return run_one(MIXED, "map", exp)

    def judge(run) -> None:
        assert run.options["consumer_delay"] == run.unit
        (advice,) = advise(run)
        same = _pick(advice.predictions, strategy="map", workers=3)
        assert_prediction_holds(same, run, run)
        # The caller's 8 delays are what makes this run long: ignoring them would be far off.
        no_delay = simulate([t.ran for t in run.tasks], 3, "map")
        assert advice.measured.makespan - no_delay.makespan > 5 * run.unit

    quiet(measure, judge, UNIT)


def _replayed(seconds, workers, strategy, executor, **options):
    """A run exactly as the simulator says it goes, with the options a real run records."""
    ideal = ideal_schedule(
        seconds,
        workers,
        strategy,
        options.get("consumer_delay", 0.0),
        executor=executor,
        chunksize=options.get("chunksize", 1),
        buffersize=options.get("buffersize"),
    )
    return ideal_run(
        ideal,
        args=seconds,
        scenario="even",
        strategy=strategy,
        executor=executor,
        workers=workers,
        unit=1.0,
        options=options,
    )


@pytest.mark.parametrize("strategy", ["map", "as_completed", "wait", "callbacks", "bounded"])
@pytest.mark.parametrize("executor", ["thread", "process"])
@pytest.mark.parametrize("delay", [0.0, 0.4])
def test_simulated_stall_counts_as_a_run_summary(strategy, executor, delay) -> None:
    """The fast stall sum agrees with Run.summary() on the same ideal schedule."""
    seconds = [3.0, 0.5, 2.0, 1.0, 0.0, 2.5, 1.0, 4.0, 0.2]
    for workers, chunks, buffer in [(1, 1, None), (3, 2, 2), (4, 3, 5)]:
        knobs = dict(chunksize=chunks, buffersize=buffer)
        run = _replayed(seconds, workers, strategy, executor, consumer_delay=delay, **knobs)
        s = run.summary()
        p = simulate(seconds, workers, strategy, delay, executor=executor, **knobs)
        assert (p.makespan, p.first_result) == (s.makespan, s.first_result)
        assert p.total_stall == pytest.approx(s.total_stall, abs=1e-9)


def test_knobs_are_offered_only_where_they_act() -> None:
    thread = list(alternatives(_replayed([1.0] * 8, 2, "map", "thread"), 8))
    process = list(alternatives(_replayed([1.0] * 8, 2, "map", "process"), 8))
    assert {c for s, _, c, _ in thread} == {1}  # thread pools ignore chunksize
    assert {c for s, _, c, _ in process if s == "map"} >= {1, 2, 4}
    assert {c for s, _, c, _ in process if s != "map"} == {1}
    assert {b for s, _, _, b in process if s != "bounded"} == {None}
    assert {b for s, w, _, b in process if s == "bounded" and w == 2} == {2, 4}


def test_big_chunks_advise_chunksize_1() -> None:
    """Chunks of 5 on 2 processes: the first result waits for five calls."""
    run = _replayed([1.0] * 10, 2, "map", "process", chunksize=5)
    (advice,) = advise(run)
    assert advice.measured.label == "map chunksize=5"
    assert advice.recommendation.startswith(
        "use chunksize 1: first result 4.00 s sooner, 16.00 s of held results gone"
    )


def test_small_buffer_advises_a_bigger_one() -> None:
    """bounded with buffersize 1 keeps a worker idle: a buffer of one task per worker fixes it
    without more workers (said first); more workers, without a bound, go further."""
    run = _replayed([1.0] * 12, 3, "bounded", "thread", buffersize=1)
    (advice,) = advise(run)
    assert advice.measured.makespan == 6.0
    assert _pick(advice.predictions, strategy="bounded", workers=3, buffersize=3).makespan == 4.0
    assert advice.recommendation == (
        "bounded buffersize=1 is fine here: nothing delivers sooner; "
        "with buffersize 3 the makespan would drop from 6.00 s to 4.00 s; "
        "with map and 12 workers, to 1.00 s"
    )


def _two_then_one(fn) -> object:
    """Two equal tasks on 2 threads side by side, then a double one alone."""
    exp = Experiment([], (), "thread", 2, UNIT, workload="custom", fn=fn)
    return run_one(Scenario("gil", (2, 2, 4)), "map", exp)


@pytest.mark.slow
def test_gil_detected_from_durations_not_names() -> None:
    """Load elsewhere slows the lone task too, hiding the GIL's slowdown (never faking
    one): up to three tries to show it; sleeping tasks must never show it."""
    for _ in range(3):
        cpu = _two_then_one(partial(spin, unit=UNIT, rate=spin_rate()))
        if gil_bound(cpu):
            break
        assert not gil_bound(_two_then_one(partial(loiter, unit=UNIT)))
    else:
        raise AssertionError(f"the GIL never showed: {[t.ran for t in cpu.tasks]}")
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
    assert "as measured" in out
    assert "Advice: switch to as_completed: first result 2.00 s sooner" in out
    assert "Assumes: task durations" in out
    assert "never ran" in out  # failing_map's cancelled task


def test_cli_advise_missing_file_is_one_line_exit_1(tmp_path, capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["advise", str(tmp_path / "nope.json")])
    assert exit_.value.code == 1
    assert capsys.readouterr().err.count("\n") == 1
