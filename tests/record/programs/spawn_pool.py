"""A process pool under spawn, running a function defined in this __main__."""

import multiprocessing
import sys
import time
from concurrent.futures import ProcessPoolExecutor


def nap(n: int) -> int:
    time.sleep(n * float(sys.argv[1]))
    return n * 10


if __name__ == "__main__":
    method = sys.argv[2] if len(sys.argv) > 2 else "spawn"
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context(method)) as pool:
        for warm_up in [pool.submit(nap, 1) for _ in range(2)]:
            warm_up.result()  # both workers are up: their start-up is not the lesson
        print(list(pool.map(nap, [2, 1, 1])))
