"""Run every benchmark, print measured figures beside their targets, write results.json.

    python -m benchmarks [--quick] [--full] [--skip NAME,...] [--json benchmarks/results.json]

``--full`` runs the many-tasks case with 1,000,000 tasks (about 2 minutes here)
instead of 100,000; ``LOITER_BENCH_TASKS=N`` picks any count.

Each ratio is measured side by side in the same run (both sides interleaved),
so load on a shared machine hits both alike.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

from .result import Result

HERE = Path(__file__).resolve().parent


def overhead(quick: bool) -> list[Result]:
    from .overhead import CASES, measure, memory_per_task

    tasks = 5_000 if quick else 20_000
    results = []
    for label, pool_cls, chunksize, target, scale in CASES:
        raw, traced, freeze = measure(pool_cls, chunksize, tasks * scale, 3 if quick else 5)
        detail = (
            f"{traced:.3f} s traced (+{freeze:.3f} s freeze) vs {raw:.3f} s raw, "
            f"{tasks * scale} tasks"
        )
        results.append(
            Result(f"recording overhead, {label} pool", traced / raw, target, "x", detail)
        )
    per_task = memory_per_task(tasks)
    results.append(Result("memory per recorded task", per_task, 500, "B/task"))
    return results


def fidelity(quick: bool) -> list[Result]:
    from .fidelity import measure

    return measure(rounds=1 if quick else 3)


def tracefile_io(quick: bool) -> list[Result]:
    from .tracefile_io import measure

    return measure(repeat=1 if quick else 3)


def tracefile_million(quick: bool) -> list[Result]:
    from .tracefile_million import measure

    return measure(repeat=1 if quick else 3)


def startup(quick: bool) -> list[Result]:
    from .startup import measure

    return measure(repeat=3 if quick else 10)


def rendering(quick: bool) -> list[Result]:
    """The pictures' own benchmark (benchmarks/render_scale.py), when it is there."""
    try:
        from helpers.fixtures import many_tasks  # render_scale puts tests/ on sys.path

        from .render_scale import best_of, ours
    except ImportError:
        return []
    results = []
    for n, target in ((10_000, 0.5), (100_000, 3.0)):
        run = many_tasks(n, workers=8, strategy="map")
        for lanes in ("tasks", "workers"):
            took = best_of(1 if quick else 3, lambda: ours(run, lanes))  # noqa: B023
            results.append(Result(f"render {n} tasks, {lanes} rows", took, target, "s"))
    return results


def many_tasks_cli(quick: bool) -> list[Result]:
    from .many_tasks import TASKS, measure

    return measure(int(os.environ.get("LOITER_BENCH_TASKS", TASKS)))


def chart_process(quick: bool) -> list[Result]:
    from .chart_process import measure

    return measure(1 if quick else 3)


def html_report(quick: bool) -> list[Result]:
    from .html_report import measure

    return measure()


def zero_code(quick: bool) -> list[Result]:
    from .zero_code import measure

    return measure(5_000 if quick else 20_000, 3 if quick else 5)


BENCHMARKS: dict[str, Callable[[bool], list[Result]]] = {
    "overhead": overhead,
    "fidelity": fidelity,
    "tracefile": tracefile_io,
    "tracefile-1m": tracefile_million,
    "startup": startup,
    "rendering": rendering,
    "many": many_tasks_cli,
    "chart": chart_process,
    "html": html_report,
    "zero-code": zero_code,
}


def machine() -> dict[str, object]:
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "system": f"{platform.system()} {platform.release()}",
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def show(result: Result) -> str:
    value = (
        f"{result.measured:.2f}{result.unit}"
        if result.unit == "x"
        else (f"{result.measured:.3g} {result.unit}")
    )
    target = f"<= {result.target:g}{result.unit if result.unit == 'x' else ' ' + result.unit}"
    verdict = "PASS" if result.met else "FAIL"
    return f"{result.name:<48} {value:>12} {target:>14}  {verdict:<7} {result.detail}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (a smoke test)")
    parser.add_argument(
        "--full", action="store_true", help="the many-tasks case at 1,000,000 tasks (minutes)"
    )
    parser.add_argument("--skip", default="", help=f"comma-separated: {', '.join(BENCHMARKS)}")
    parser.add_argument("--json", type=Path, default=HERE / "results.json")
    args = parser.parse_args()
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    unknown = skip - set(BENCHMARKS)
    if unknown:
        parser.error(
            f"--skip: unknown {', '.join(sorted(unknown))} (choose from {', '.join(BENCHMARKS)})"
        )
    if args.full:
        os.environ["LOITER_BENCH_TASKS"] = "1000000"
    sys.path.insert(0, str(HERE.parent / "tests"))
    info = machine()
    print(f"loiter-viz benchmarks: Python {info['python']}, {info['cpus']} CPUs, {info['system']}")
    print(f"{'benchmark':<48} {'measured':>12} {'target':>14}  verdict")
    results: list[Result] = []
    for name, bench in BENCHMARKS.items():
        if name in skip:
            continue
        for result in bench(args.quick):
            print(show(result), flush=True)
            results.append(result)
    met = sum(r.met for r in results)
    print(f"{met} of {len(results)} targets met")
    from loiter.model.atomic import write_atomic

    payload = {"machine": info, "results": [r.as_dict() for r in results]}
    write_atomic(args.json, json.dumps(payload, indent=1).encode() + b"\n")
    print(f"written: {args.json}")


if __name__ == "__main__":
    main()
