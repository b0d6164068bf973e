"""loiter-viz: see when concurrent.futures tasks are submitted, started, finished and delivered.

The public API is small and stable; everything else is an implementation detail.
"""

from .runner import run
from .trace import Blocked, Run, Summary, Task, Trace
from .traced import TracedExecutor, TracedFuture, as_completed, traced, wait
from .tracefile import TraceError, load, save
from .workloads import loiter

__all__ = [
    "Blocked",
    "Run",
    "Summary",
    "Task",
    "Trace",
    "TraceError",
    "TracedExecutor",
    "TracedFuture",
    "as_completed",
    "load",
    "loiter",
    "run",
    "save",
    "traced",
    "wait",
]
