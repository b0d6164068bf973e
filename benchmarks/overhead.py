"""Recording overhead: raw executor.map versus the traced one, measured side by side.

    python benchmarks/overhead.py [--tasks 20000] [--repeat 5]

Prints the best-of-N wall time of each and their ratio (target: <= 1.15x for
threads, <= 1.05x for processes), plus memory per recorded task.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import time
import tracemalloc

from loiter.traced import TracedExecutor


def noop(x: int) -> int:
    return x


def best_of(repeat: int, fn) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def measure(kind: str, tasks: int, repeat: int) -> tuple[float, float]:
    pool_cls = cf.ThreadPoolExecutor if kind == "thread" else cf.ProcessPoolExecutor
    chunks = {"thread": 1, "process": 64}[kind]
    with pool_cls(4) as pool:
        list(pool.map(noop, range(100)))  # start the workers

        def raw() -> None:
            for _ in pool.map(noop, range(tasks), chunksize=chunks):
                pass

        def traced() -> None:
            ex = TracedExecutor(pool)
            for _ in ex.map(noop, range(tasks), chunksize=chunks):
                pass
            ex.freeze()

        # Interleave so drift on a shared machine hits both alike.
        raw_t, traced_t = [], []
        for _ in range(repeat):
            raw_t.append(best_of(1, raw))
            traced_t.append(best_of(1, traced))
    return min(raw_t), min(traced_t)


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
    print(f"{'executor':<10}{'raw s':>10}{'traced s':>10}{'ratio':>8}{'target':>8}")
    for kind, target in (("thread", 1.15), ("process", 1.05)):
        raw, traced = measure(kind, args.tasks, args.repeat)
        ratio = traced / raw
        verdict = "met" if ratio <= target else "MISSED"
        print(f"{kind:<10}{raw:>10.3f}{traced:>10.3f}{ratio:>7.2f}x{target:>7.2f}x  {verdict}")
    print(f"memory per recorded task: {memory_per_task(args.tasks):.0f} bytes (target < 500)")


if __name__ == "__main__":
    main()
