"""Terminates fork-started children: a pool worker (as CPython's test_killed_child), a Process."""

import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

fork = multiprocessing.get_context("fork")
pool = ProcessPoolExecutor(1, mp_context=fork)
future = pool.submit(time.sleep, 5)
(worker,) = pool._processes.values()
time.sleep(0.2)  # the worker is asleep in the task
worker.terminate()
try:
    future.result(timeout=10)
except BrokenProcessPool:
    print("broken pool")
pool.shutdown()

child = fork.Process(target=time.sleep, args=(5,))
child.start()
time.sleep(0.2)
child.terminate()
child.join()
print("child exit code", child.exitcode)
