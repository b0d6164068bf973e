"""Watching must not change the program's memory: traced and untraced peaks side by side.

Each figure is a fresh process's own peak RSS (VmHWM), so nothing is inherited
from pytest; a control run that keeps every argument shows the measure can see
the 300 MB a recording that kept them would cost.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

PROGRAM = Path(__file__).parent / "programs" / "megabytes.py"
MB_KIB = 1024


def peak_kib(mode: str, direction: str) -> int:
    done = subprocess.run(
        [sys.executable, str(PROGRAM), mode, direction],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return int(done.stdout)


def test_the_measure_sees_a_program_that_keeps_its_arguments() -> None:
    assert peak_kib("hoarding", "arguments") - peak_kib("raw", "arguments") > 250 * MB_KIB


@pytest.mark.parametrize("direction", ["arguments", "results"])
def test_300_megabytes_through_a_traced_bounded_loop_cost_what_they_cost_untraced(
    direction: str,
) -> None:
    traced, raw = peak_kib("traced", direction), peak_kib("raw", direction)
    assert traced - raw < 10 * MB_KIB, f"traced {traced} KiB vs untraced {raw} KiB"
