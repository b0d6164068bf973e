"""Chart options on the command line: --style, --lanes, --dpi, --open, --animate, animate."""

from __future__ import annotations

import stat
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from helpers.commands import cli
from helpers.fixtures import sample_trace
from matplotlib.colors import to_rgba
from PIL import Image

from loiter.model import tracefile
from loiter.render.styles import DARK


@pytest.fixture
def trace_file(tmp_path) -> Path:
    return tracefile.save(sample_trace(), tmp_path / "t.json")


def test_plot_in_dark_style_at_a_chosen_dpi(trace_file, tmp_path) -> None:
    small = cli("plot", str(trace_file), "-o", "s.png", "--dpi", "40", cwd=tmp_path)
    dark = cli(
        "plot", str(trace_file), "-o", "d.png", "--style", "dark", "--dpi", "80", cwd=tmp_path
    )
    assert small.returncode == 0 and dark.returncode == 0, dark.stderr
    a, b = Image.open(tmp_path / "s.png"), Image.open(tmp_path / "d.png")
    assert b.size[0] == pytest.approx(2 * a.size[0], abs=2)
    corner = np.asarray(b.convert("RGB"))[2, 2] / 255
    assert np.allclose(corner, to_rgba(DARK.background)[:3], atol=0.02)


def test_bad_style_or_lanes_is_one_line_and_exit_2(trace_file, tmp_path) -> None:
    for args in (["--style", "neon"], ["--lanes", "rows"], ["--dpi", "5"]):
        result = cli("plot", str(trace_file), *args, cwd=tmp_path)
        assert result.returncode == 2
        assert len(result.stderr.strip().splitlines()) == 1
        assert args[0] in result.stderr


def test_open_without_a_viewer_still_succeeds(trace_file, tmp_path, monkeypatch) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    result = cli("plot", str(trace_file), "-o", "c.png", "--open", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "c.png").exists()
    assert "no system viewer" in result.stderr


@pytest.mark.skipif(sys.platform != "linux", reason="xdg-open is the Linux viewer")
def test_open_hands_the_chart_to_the_system_viewer(trace_file, tmp_path, monkeypatch) -> None:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    seen = tmp_path / "opened.txt"
    viewer = bindir / "xdg-open"
    viewer.write_text(f'#!/bin/sh\necho "$1" > {seen}\n')
    viewer.chmod(viewer.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", str(bindir))
    result = cli("plot", str(trace_file), "-o", "c.png", "--open", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for _ in range(100):  # the viewer runs detached
        if seen.exists() and seen.read_text().strip():
            break
        time.sleep(0.05)
    assert seen.read_text().strip() == str(tmp_path / "c.png")


def test_animate_command_writes_a_gif(trace_file, tmp_path) -> None:
    result = cli(
        "animate", str(trace_file), "-o", "r.gif", "--speed", "8", "--dpi", "40", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert "r.gif" in result.stdout
    gif = Image.open(tmp_path / "r.gif")
    assert gif.format == "GIF" and gif.n_frames > 1


@pytest.mark.parametrize(
    ("args", "needle"),
    [(["--speed", "0"], "--speed"), (["--speed", "nan"], "--speed"), (["-o", "x.png"], "--output")],
)
def test_animate_rejects_bad_input_in_one_line(trace_file, tmp_path, args, needle) -> None:
    result = cli("animate", str(trace_file), *args, cwd=tmp_path)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and needle in result.stderr
    assert not list(tmp_path.glob("*.gif"))


def test_run_animate_writes_chart_trace_and_gif(tmp_path) -> None:
    result = cli(
        "-q", "--durations", "2,1", "--unit", "0.02", "--animate", "--lanes", "workers",
        "--dpi", "40", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    out = tmp_path / "plots"
    assert {p.name for p in out.iterdir()} == {
        "loiter-thread-3w.png",
        "loiter-thread-3w.json",
        "loiter-thread-3w.gif",
    }
    assert Image.open(out / "loiter-thread-3w.gif").n_frames > 1
