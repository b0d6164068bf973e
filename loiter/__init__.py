"""loiter-viz: see when concurrent.futures tasks are submitted, started, finished and delivered.

The public API is small and stable; everything else is an implementation detail.
Names are imported on first use (PEP 562), so ``loiter-viz --help`` and
``import loiter`` do not pay for the runner, rich or concurrent.futures up front.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .autotrace import trace
    from .runner import run
    from .trace import Blocked, Run, Summary, Task, Trace
    from .tracefile import TraceError, load, save
    from .tracing import TracedExecutor, TracedFuture, as_completed, traced, wait
    from .workloads import loiter

# public name -> the module that defines it
_WHERE = {
    "run": "runner",
    "trace": "autotrace",
    "Blocked": "trace",
    "Run": "trace",
    "Summary": "trace",
    "Task": "trace",
    "Trace": "trace",
    "TracedExecutor": "tracing",
    "TracedFuture": "tracing",
    "as_completed": "tracing",
    "traced": "tracing",
    "wait": "tracing",
    "TraceError": "tracefile",
    "load": "tracefile",
    "save": "tracefile",
    "loiter": "workloads",
}
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
    "trace",
    "traced",
    "wait",
]


# ``loiter.trace`` also names the data module: load it first, then drop the name so it means
# the function (resolved lazily); importing the module again no longer rebinds it.
importlib.import_module(".trace", __name__)
globals().pop("trace")


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'loiter' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext loiter``: the ``%%loiter`` cell magic (see loiter.magic)."""
    from .magic import register

    register(ipython)


def __dir__() -> list[str]:
    return [*globals(), *__all__]
