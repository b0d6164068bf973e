"""``loiter-viz trace SCRIPT`` against ``python SCRIPT`` and the loiter.traced wrapper, interleaved.

Each side is the script's own timing of its pool work (best of N), so start-up
and the trace's freeze, paid once after the program, are left out.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from .result import Result

PROGRAM = Path(__file__).resolve().parent / "traced_program.py"


def timed(argv: list[str]) -> float:
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    return float(out.split()[-1])


def measure(tasks: int = 20_000, repeat: int = 5) -> list[Result]:
    plain, wrapped, traced = [], [], []
    with tempfile.TemporaryDirectory() as out:
        zero_code = [sys.executable, "-m", "loiter", "trace", "--quiet", "--no-chart", "-o", out]
        for _ in range(repeat):  # interleaved, so load on a shared machine hits all alike
            plain.append(timed([sys.executable, str(PROGRAM), str(tasks)]))
            wrapped.append(timed([sys.executable, str(PROGRAM), str(tasks), "traced"]))
            traced.append(timed([*zero_code, str(PROGRAM), str(tasks)]))
    bare, library, ours = min(plain), min(wrapped), min(traced)
    detail = (
        f"{ours:.3f} s loiter-viz trace, {library:.3f} s loiter.traced, {bare:.3f} s python, "
        f"{tasks} tasks map + {tasks} as_completed"
    )
    # The bar: no more than the library's own cost (python's time is in the detail).
    return [Result("zero-code trace / loiter.traced, 20k tasks", ours / library, 1.1, "x", detail)]
