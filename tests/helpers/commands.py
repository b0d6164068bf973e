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


def in_session(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """The CLI started as a terminal starts it: in its own session (a signal to the group
    reaches its workers too), Ctrl-C at its default, stdout unbuffered so a test can read on."""
    from helpers.fixtures import signals_default

    return subprocess.Popen(
        [sys.executable, "-m", "loiter", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={
            **os.environ,
            "MPLBACKEND": "Agg",
            "COLUMNS": "120",
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        },
        start_new_session=True,
        preexec_fn=signals_default,
    )
