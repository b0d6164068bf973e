"""Ends with sys.exit(3) after using a pool, or raises (``raise``), or waits to be stopped."""

import sys
import time
from concurrent.futures import ThreadPoolExecutor


def nap(n: float) -> float:
    time.sleep(n)
    return n


how = sys.argv[1]
pool = ThreadPoolExecutor(2)
print(list(pool.map(nap, [0.05, 0.0])), flush=True)
if how == "exit":
    sys.exit(3)
if how == "raise":
    raise LookupError("the program's own error")
if how == "hang":
    print("waiting", flush=True)
    list(pool.map(nap, [3.0, 0.0]))
