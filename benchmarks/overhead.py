"""Recording overhead: raw executor.map versus the traced one, measured side by side.

    python benchmarks/overhead.py [--tasks 20000] [--repeat 5]

Prints the best-of-N wall time of each and their ratios (targets: <= 1.15x for
threads, <= 1.05x for processes, <= 1.3x for ``map(chunksize=64)`` on processes,
measured over 5x the tasks: a raw chunked task is ~2 us), plus memory per recorded task. "traced" is
the run itself; "+freeze" adds turning the recording into a Trace, done once
after the run.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import time
import tracemalloc

from loiter.record.traced import TracedExecutor

# (label, pool class, chunksize, target ratio, tasks as a multiple of --tasks)
CASES = (
    ("thread", cf.ThreadPoolExecutor, 1, 1.15, 1),
    ("process", cf.ProcessPoolExecutor, 1, 1.05, 1),
    ("process/64", cf.ProcessPoolExecutor, 64, 1.3, 5),
)


def noop(x: int) -> int:
    return x


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def measure(pool_cls, chunksize: int, tasks: int, repeat: int) -> tuple[float, float, float]:
    with pool_cls(4) as pool:
        list(pool.map(noop, range(100)))  # start the workers
        frozen: list[float] = []

        def raw() -> None:
            for _ in pool.map(noop, range(tasks), chunksize=chunksize):
                pass

        def traced() -> None:
            ex = TracedExecutor(pool)
            for _ in ex.map(noop, range(tasks), chunksize=chunksize):
                pass
            frozen.append(timed(ex.freeze))

        # Interleave so drift on a shared machine hits both alike.
        raw_t, traced_t = [], []
        for _ in range(repeat):
            raw_t.append(timed(raw))
            traced_t.append(timed(traced) - frozen[-1])
    return min(raw_t), min(traced_t), min(frozen)


def memory_per_task(tasks: int) -> float:
    with cf.ThreadPoolExecutor(4) as pool:
        ex = TracedExecutor(pool)
        tracemalloc.start()
        before = tracemalloc.take_snapshot()
        for _ in ex.map(noop, range(tasks)):
            pass
        after = tracemalloc.take_snapshot()
        tracemalloc.stop()
    recorded = sum(s.size_diff for s in after.compare_to(before, "filename"))
    return recorded / tasks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"{args.tasks} no-op tasks through map, best of {args.repeat}, 4 workers")
    header = f"{'executor':<12}{'raw s':>8}{'traced s':>10}{'ratio':>7}{'+freeze':>9}{'target':>8}"
    print(header)
    for label, pool_cls, chunksize, target, scale in CASES:
        raw, traced, freeze = measure(pool_cls, chunksize, args.tasks * scale, args.repeat)
        ratio, with_freeze = traced / raw, (traced + freeze) / raw
        verdict = "PASS" if ratio <= target else "FAIL"
        print(
            f"{label:<12}{raw:>8.3f}{traced:>10.3f}{ratio:>6.2f}x{with_freeze:>8.2f}x"
            f"{target:>7.2f}x  {verdict}"
        )
    print(f"memory per recorded task: {memory_per_task(args.tasks):.0f} bytes (target < 500)")


if __name__ == "__main__":
    main()
