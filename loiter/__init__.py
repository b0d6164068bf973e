"""loiter-viz: see when concurrent.futures tasks are submitted, started, finished and delivered.

The only public API is whatever is exposed here: import from ``loiter`` itself,
so modules can move without breaking you. Names are imported on first use
(PEP 562), so ``loiter-viz --help`` and ``import loiter`` do not pay for the
runner, rich, matplotlib or concurrent.futures up front.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .analyze.advise import Advice, advise
    from .analyze.fidelity import fidelity
    from .analyze.schedule import IdealTask, ideal_for, ideal_schedule
    from .execute.dask import DaskPool
    from .execute.runner import Experiment, run
    from .model.options import Options
    from .model.scenarios import Scenario
    from .model.trace import Blocked, Run, Stall, Summary, Task, Trace
    from .model.tracefile import TraceError, load, save
    from .record.aiotrace import traced_loop
    from .record.autotrace import trace
    from .record.traced import TracedExecutor, TracedFuture, as_completed, traced, wait
    from .render.animate import animate
    from .render.booklog import book_log
    from .render.export import to_chrome, to_csv
    from .render.gantt import figure_for, plot_gantt
    from .render.html.report import render_html, write_report
    from .workloads.faults import Faults
    from .workloads.loiter import loiter, spin

# public name -> the module that defines it
_WHERE = {
    "run": "execute.runner",
    "Experiment": "execute.runner",
    "trace": "record.autotrace",
    "traced_loop": "record.aiotrace",
    "Blocked": "model.trace",
    "Run": "model.trace",
    "Summary": "model.trace",
    "Task": "model.trace",
    "Trace": "model.trace",
    "Stall": "model.trace",
    "Options": "model.options",
    "Scenario": "model.scenarios",
    "TracedExecutor": "record.traced",
    "TracedFuture": "record.traced",
    "as_completed": "record.traced",
    "traced": "record.traced",
    "wait": "record.traced",
    "TraceError": "model.tracefile",
    "load": "model.tracefile",
    "save": "model.tracefile",
    "loiter": "workloads.loiter",
    "spin": "workloads.loiter",
    "Faults": "workloads.faults",
    "DaskPool": "execute.dask",
    "ideal_schedule": "analyze.schedule",
    "ideal_for": "analyze.schedule",
    "IdealTask": "analyze.schedule",
    "fidelity": "analyze.fidelity",
    "advise": "analyze.advise",
    "Advice": "analyze.advise",
    "plot_gantt": "render.gantt",
    "figure_for": "render.gantt",
    "animate": "render.animate",
    "book_log": "render.booklog",
    "to_chrome": "render.export",
    "to_csv": "render.export",
    "render_html": "render.html.report",
    "write_report": "render.html.report",
}
__all__ = [
    "Advice",
    "Blocked",
    "DaskPool",
    "Experiment",
    "Faults",
    "IdealTask",
    "Options",
    "Run",
    "Scenario",
    "Stall",
    "Summary",
    "Task",
    "Trace",
    "TraceError",
    "TracedExecutor",
    "TracedFuture",
    "advise",
    "animate",
    "as_completed",
    "book_log",
    "fidelity",
    "figure_for",
    "ideal_for",
    "ideal_schedule",
    "load",
    "loiter",
    "plot_gantt",
    "render_html",
    "run",
    "save",
    "spin",
    "to_chrome",
    "to_csv",
    "trace",
    "traced",
    "traced_loop",
    "wait",
    "write_report",
]


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
