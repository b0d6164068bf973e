"""CPython's concurrent.futures tests, every executor the suite makes wrapped by loiter.traced.

Run as ``python stdlib_suite_traced.py TEST...`` (the arguments of ``python -m test``).
Exits with regrtest's status; refuses to pass if no executor was wrapped.
"""

import runpy
import sys

from test.test_concurrent_futures import util

import loiter

wrapped = 0
plain_setup = util.ExecutorMixin.setUp


def traced_setup(self):
    global wrapped
    plain_setup(self)
    self.executor = loiter.traced(self.executor)
    wrapped += 1


util.ExecutorMixin.setUp = traced_setup
try:
    sys.argv[0] = "test"
    runpy.run_module("test", run_name="__main__", alter_sys=True)
finally:
    print(f"loiter.traced wrapped {wrapped} executors", file=sys.stderr)
    if not wrapped:
        sys.exit(99)
