"""Fidelity: measured runs versus the ideal schedule (loiter/schedule.py) at unit 0.05 s.

For the default scenarios and strategies on 3 workers, after a warm-up round:
p95 |started - ideal| and p95 |delivered - ideal| over every task, and the
worst measured/ideal makespan.
"""

from __future__ import annotations

from loiter.analyze.schedule import ideal_schedule
from loiter.execute.runner import Experiment, run_one
from loiter.model.names import DEFAULT_STRATEGIES
from loiter.model.scenarios import DEFAULT_SCENARIOS, preset

from .result import Result

UNIT = 0.05
WORKERS = 3
TARGET_MS = {"thread": 2.0, "process": 5.0}


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def errors(kind: str, rounds: int) -> tuple[list[float], list[float], list[float]]:
    """|start error|, |delivery error| per task (seconds) and makespan ratio per run."""
    exp = Experiment([], DEFAULT_STRATEGIES, kind, WORKERS, UNIT)
    start, deliver, makespan = [], [], []
    for round_ in range(rounds + 1):
        for name in DEFAULT_SCENARIOS:
            scenario = preset(name)
            for strategy in DEFAULT_STRATEGIES:
                run = run_one(scenario, strategy, exp)
                if round_ == 0:
                    continue  # warm-up: imports, caches, first forks
                seconds = [n * UNIT for n in scenario.args]
                ideal = ideal_schedule(seconds, WORKERS, strategy)
                for task, want in zip(run.tasks, ideal):
                    start.append(abs(task.started - want.started))
                    deliver.append(abs(task.delivered - want.delivered))
                makespan.append(run.summary().makespan / max(t.delivered for t in ideal))
    return start, deliver, makespan


def measure(rounds: int = 3) -> list[Result]:
    results = []
    for kind in ("thread", "process"):
        start, deliver, makespan = errors(kind, rounds)
        n = f"{len(start)} tasks"
        results += [
            Result(
                f"fidelity {kind}: p95 |start error|", p95(start) * 1e3, TARGET_MS[kind], "ms", n
            ),
            Result(
                f"fidelity {kind}: p95 |delivery error|",
                p95(deliver) * 1e3,
                TARGET_MS[kind],
                "ms",
                n,
            ),
            Result(
                f"fidelity {kind}: makespan measured/ideal",
                max(makespan),
                1.02,
                "x",
                f"worst of {len(makespan)} runs",
            ),
        ]
    return results
