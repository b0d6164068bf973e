"""Run the real command line in a subprocess, headless, at a fixed terminal width."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def cli(*args: str, cwd: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, "MPLBACKEND": "Agg", "COLUMNS": "120"}
    return subprocess.run(
        [sys.executable, "-m", "loiter", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=timeout,
    )
