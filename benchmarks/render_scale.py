"""Chart render time at scale: our Gantt versus one ``barh`` per task, measured side by side.

    python benchmarks/render_scale.py [--sizes 100,1000,10000,100000] [--naive-max 10000]

Times figure build + save to PNG (dpi 100) of one ``map`` run of N tasks on 8
workers, all segments drawn (queued, running, held/stall, delivery markers):
per-task rows (``--lanes tasks``) and worker lanes (``--lanes workers``). The
naive baseline draws each task with its own ``barh`` call (the usual first
attempt) and all deliveries with one ``plot``; it runs up to ``--naive-max``.
Targets on a 2-core machine: 10k < 0.5 s, 100k < 3 s, >= 15x faster than
naive at 10k. Peak memory (tracemalloc, tasks view) grows about 2 KB per
task (one path per segment, no per-task artists), a fifteenth of naive's.
"""

from __future__ import annotations

import argparse
import gc
import io
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from helpers.fixtures import many_tasks
from matplotlib.figure import Figure

from loiter.model.trace import Run
from loiter.render.gantt import figure_for, render

DPI = 100


def ours(run: Run, lanes: str) -> bytes:
    return render(figure_for(run, lanes=lanes), "png", DPI)


def naive(run: Run) -> bytes:
    """One barh call per task (its queued, running and held segments), as people first write it."""
    fig = Figure(figsize=(10, 6))
    ax = fig.add_subplot()
    for t in run.tasks:
        lefts = [t.submitted, t.started, t.finished]
        rights = [t.started, t.finished, t.delivered]
        ax.barh(
            [t.index] * 3,
            [b - a for a, b in zip(lefts, rights)],
            left=lefts,
            color=["#dddddd", "#0072B2", "#D55E00"],
        )
    ax.plot([t.delivered for t in run.tasks], [t.index for t in run.tasks], "kD", markersize=2)
    ax.invert_yaxis()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()


def best_of(repeat: int, fn: Callable[[], bytes]) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()  # the previous measurement's garbage is not this one's cost
        t0 = time.perf_counter()
        data = fn()
        times.append(time.perf_counter() - t0)
        assert data.startswith(b"\x89PNG")
    return min(times)


def peak_mb(fn: Callable[[], bytes]) -> float:
    """Peak Python memory of one call (traced separately: tracing slows allocation)."""
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,10000,100000")
    parser.add_argument("--naive-max", type=int, default=10_000)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    targets = {10_000: 0.5, 100_000: 3.0}
    print(
        f"{'tasks':>8} {'tasks view':>11} {'worker lanes':>13}"
        f" {'naive barh':>11} {'naive/ours':>11} {'peak MB ours':>13} {'naive':>7}"
    )
    verdicts = []
    for n in sizes:
        run = many_tasks(n, workers=8, strategy="map")
        repeat = 3 if n <= 10_000 else 1
        rows = best_of(repeat, lambda: ours(run, "tasks"))  # noqa: B023
        lanes = best_of(repeat, lambda: ours(run, "workers"))  # noqa: B023
        slow = best_of(1, lambda: naive(run)) if n <= args.naive_max else None  # noqa: B023
        ratio = f"{slow / rows:10.1f}x" if slow else f"{'—':>11}"
        slow_s = f"{slow:10.3f}s" if slow else f"{'—':>11}"
        mem = peak_mb(lambda: ours(run, "tasks"))  # noqa: B023
        naive_mem = f"{peak_mb(lambda: naive(run)):7.0f}" if slow else f"{'—':>7}"  # noqa: B023
        print(f"{n:>8} {rows:>10.3f}s {lanes:>12.3f}s {slow_s} {ratio} {mem:13.0f} {naive_mem}")
        if n in targets:
            worst = max(rows, lanes)
            verdicts.append(
                f"{n} tasks: {worst:.2f}s (target < {targets[n]}s) "
                + ("ok" if worst < targets[n] else "MISSED")
            )
        if n == 10_000 and slow:
            verdicts.append(
                f"10000 tasks: {slow / rows:.0f}x faster than naive (target >= 15x) "
                + ("ok" if slow / rows >= 15 else "MISSED")
            )
    print("\n".join(verdicts))


if __name__ == "__main__":
    main()
