"""The names the command line offers, with no imports, so ``loiter-viz --help`` stays instant.

The modules that implement them (executors.py, strategies.py) use these
tuples; a test checks they match what is implemented.
"""

EXECUTORS = ("thread", "process", "dask")
STRATEGY_NAMES = (
    "map",
    "as_completed",
    "wait",
    "callbacks",
    "bounded",
    "sequential",
    "dask_native",
)
DEFAULT_STRATEGIES = ("map", "as_completed")
