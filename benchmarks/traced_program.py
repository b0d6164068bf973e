"""A realistic script for the zero-code benchmark: 20,000 small tasks through map and as_completed.

``python traced_program.py N [traced]`` prints the seconds its pool work took
(shutdown and the trace's freeze excluded) on stdout; ``traced`` wraps the pool
in loiter.traced, the library way, for the comparison.
"""

import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed


def work(x: int) -> int:
    return x + 1


def main(tasks: int, wrap) -> float:
    with wrap(ThreadPoolExecutor(4)) as pool:
        started = time.perf_counter()
        total = sum(pool.map(work, range(tasks)))
        futures = [pool.submit(work, i) for i in range(tasks)]
        total += sum(f.result() for f in as_completed(futures))
        took = time.perf_counter() - started
    assert total == 2 * (tasks * (tasks + 1) // 2)
    return took


if __name__ == "__main__":
    if sys.argv[2:] == ["traced"]:
        import loiter

        wrap = loiter.traced
    else:
        wrap = lambda pool: pool  # noqa: E731
    print(f"{main(int(sys.argv[1]), wrap):.6f}")
