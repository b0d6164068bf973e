"""The GIL, measured: CPU-bound ``spin`` tasks on threads versus processes, side by side.

    python benchmarks/gil.py [--workers 2] [--units 4] [--unit 0.1] [--repeat 3]

Runs ``workers`` equal spin tasks with one worker and with ``workers``
workers, on each executor, and prints the speedup (best of N). Target:
threads about 1.0x (they take turns on one GIL), processes close to
``workers``x when that many cores are free (load from other programs lowers it).
"""

from __future__ import annotations

import argparse

from loiter.execute.runner import Experiment, run_experiment
from loiter.model.scenarios import Scenario


def makespan(kind: str, workers: int, tasks: int, units: float, unit: float) -> float:
    scenario = Scenario("cpu", (units,) * tasks)
    exp = Experiment([scenario], ["as_completed"], kind, workers, unit, workload="spin")
    return run_experiment(exp).runs[0].summary().makespan or 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--units", type=float, default=4)
    parser.add_argument("--unit", type=float, default=0.1)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    n = args.workers
    print(f"{n} spin tasks of {args.units:g} x {args.unit:g}s; best of {args.repeat}")
    for kind in ("thread", "process"):
        one = min(makespan(kind, 1, n, args.units, args.unit) for _ in range(args.repeat))
        many = min(makespan(kind, n, n, args.units, args.unit) for _ in range(args.repeat))
        print(
            f"{kind:8} 1 worker {one:6.3f}s   {n} workers {many:6.3f}s   "
            f"speedup {one / many:4.2f}x (ideal {n}x)"
        )


if __name__ == "__main__":
    main()
