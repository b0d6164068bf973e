"""The classic trap: a progress bar over thread_map, a library that makes its own pool."""

import sys
import time

from tqdm.contrib.concurrent import thread_map


def nap(n: int) -> int:
    time.sleep(n * float(sys.argv[1]))
    return n * 10


print(thread_map(nap, [3, 1, 2], max_workers=3, disable=True))
