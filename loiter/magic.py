"""``%%loiter``: run a Jupyter cell unchanged, tracing every executor it uses, and show the trace.

``%load_ext loiter`` registers it. The cell's value is the cell's Trace, so
Jupyter displays it inline as it displays any traced run (summary and chart);
it is also kept as ``_loiter_trace`` in the notebook's namespace.
"""

from __future__ import annotations

from typing import Any

from loiter.record.autotrace import trace

# The file name a cell's call sites show (``<%%loiter cell>:4 map``).
CELL = "<%%loiter cell>"


def loiter_cell(line: str, cell: str, *, shell: Any) -> Any:
    """Run ``cell`` in the notebook's namespace under :func:`loiter.trace`; return its Trace.

    The cell's own exception propagates (Jupyter shows it) once its trace is kept.
    """
    code = compile(shell.transform_cell(cell), CELL, "exec")
    try:
        with trace() as tracer:
            exec(code, shell.user_global_ns, shell.user_ns)
    finally:
        shell.user_ns["_loiter_trace"] = tracer.trace
    return tracer.trace


def register(ipython: Any) -> None:
    ipython.register_magic_function(
        lambda line, cell: loiter_cell(line, cell, shell=ipython), "cell", "loiter"
    )
