"""The benchmarks' memory launcher reports the measured process's own peak, not its parent's."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MB = 1024  # KiB

pytestmark = pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="Linux only")


def launched(tmp_path: Path, script: str) -> tuple[int, int]:
    """The exit status and the launcher's peak (KiB) of a process running ``script``."""
    program, out = tmp_path / "program.py", tmp_path / "peak"
    program.write_text(script)
    argv = [sys.executable, "-m", "benchmarks.peak", str(out), str(program)]
    return subprocess.run(argv, cwd=ROOT).returncode, int(out.read_text())


def test_a_small_child_of_a_big_parent_reports_its_own_small_peak(tmp_path: Path) -> None:
    # ru_maxrss of this child would say about 300 MB: Linux carries the parent's mark over.
    held = bytearray(300 * MB * 1024)
    held[::4096] = b"x" * len(held[::4096])  # touched, so resident
    status, own = launched(tmp_path, "x = 1\n")
    assert status == 0
    assert own < 60 * MB, own


def test_a_child_that_allocates_reports_what_it_touched(tmp_path: Path) -> None:
    status, own = launched(
        tmp_path, "x = bytearray(200 * 2**20)\nx[::4096] = b'y' * (50 * 2**10)\n"
    )
    assert status == 0
    assert 200 * MB <= own < 260 * MB, own


def test_the_peak_is_written_when_the_program_exits_with_an_error(tmp_path: Path) -> None:
    status, own = launched(tmp_path, "raise SystemExit(3)\n")
    assert status == 3
    assert 0 < own < 60 * MB
