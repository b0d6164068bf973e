"""``%load_ext loiter`` and ``%%loiter``: a cell traced unchanged, its Trace as the cell's value."""

from __future__ import annotations

import pytest

IPython = pytest.importorskip("IPython")

CELL = """%%loiter
from concurrent.futures import ThreadPoolExecutor
import time
with ThreadPoolExecutor(2) as pool:
    out = list(pool.map(time.sleep, [0.2, 0.0]))
"""


@pytest.fixture
def shell():
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    assert shell.run_cell("%load_ext loiter").success
    yield shell
    InteractiveShell.clear_instance()


def test_the_cell_runs_in_the_notebook_and_its_trace_is_the_value(shell) -> None:
    result = shell.run_cell(CELL)
    assert result.success and shell.user_ns["out"] == [None, None]
    trace = result.result
    assert trace is shell.user_ns["_loiter_trace"]
    (run,) = trace.runs
    assert (run.scenario, run.strategy, run.workers) == ("<%%loiter cell>:4", "map", 2)
    assert run.summary().total_stall == pytest.approx(0.2, abs=0.06)  # #1 held behind #0
    assert "<img" in trace._repr_html_()  # shown inline like a traced run


def test_the_cells_exception_is_its_own_and_the_trace_is_kept(shell) -> None:
    result = shell.run_cell(CELL.replace("[0.2, 0.0]", "[0.0]") + "raise LookupError('mine')\n")
    assert isinstance(result.error_in_exec, LookupError)
    assert len(shell.user_ns["_loiter_trace"].runs) == 1
