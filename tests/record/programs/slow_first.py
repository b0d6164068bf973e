"""A program that knows nothing of loiter: map, then submit + as_completed, then wait.

``python slow_first.py UNIT`` sleeps 3, 1, 2 units per task on 3 threads.
"""

import sys
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, as_completed, wait

DURATIONS = (3, 1, 2)


def nap(n: int) -> int:
    time.sleep(n * UNIT)
    return n * 10


def main() -> None:
    with ThreadPoolExecutor(max_workers=3) as pool:
        print("map", list(pool.map(nap, DURATIONS)))
        futures = [pool.submit(nap, n) for n in DURATIONS]
        print("as_completed", [f.result() for f in as_completed(futures)])
        pending = {pool.submit(nap, n) for n in DURATIONS}
        order = []
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            order += sorted(f.result() for f in done)
        print("wait", order)


UNIT = float(sys.argv[1]) if len(sys.argv) > 1 else 0.1

if __name__ == "__main__":
    main()
