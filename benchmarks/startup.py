"""Start-up: ``loiter-viz --help`` against ``python -c pass``, best of N each, interleaved."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

from .result import Result


def command() -> list[str]:
    """The installed console script next to this Python, else ``python -m loiter``."""
    script = Path(sys.executable).with_name("loiter-viz")
    found = str(script) if script.exists() else shutil.which("loiter-viz")
    return [found] if found else [sys.executable, "-m", "loiter"]


def timed(argv: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t0


def measure(repeat: int = 10) -> list[Result]:
    bare, ours = [], []
    for _ in range(repeat):  # interleaved, so load on a shared machine hits both alike
        bare.append(timed([sys.executable, "-c", "pass"]))
        ours.append(timed([*command(), "--help"]))
    ratio = min(ours) / min(bare)
    detail = f"{min(ours) * 1e3:.0f} ms vs {min(bare) * 1e3:.0f} ms"
    return [Result("start-up: loiter-viz --help / python -c pass", ratio, 2.0, "x", detail)]
