"""Short runs replay slowly enough to be seen, and the GIF says how much slower.

A 0.25 s run at unit 0.05 played in real time is 5 frames and a blink; by
default it stretches to MIN_SCREEN_SECONDS on screen at a round speed, shown
in the top-left corner. Long runs keep real time; an explicit --speed wins.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers.fixtures import slow_first_map
from PIL import Image

from loiter.cli import main
from loiter.model import tracefile
from loiter.render import animate as anim


@pytest.mark.parametrize(
    ("end", "speed"),
    [(0.25, 0.1), (1.0, 0.2), (2.0, 0.5), (2.5, 1.0), (60.0, 1.0), (0.004, 0.001), (0.0, 0.0002)],
)
def test_auto_speed_stretches_short_runs_to_a_few_seconds(end: float, speed: float) -> None:
    assert anim.auto_speed(end) == pytest.approx(speed)
    if end:
        on_screen = end / anim.auto_speed(end)
        assert anim.MIN_SCREEN_SECONDS <= on_screen <= 2.5 * anim.MIN_SCREEN_SECONDS or speed == 1


def short_run():
    """slow-first at unit 0.05: 0.25 s from the first submit to the last delivery."""
    run = slow_first_map()
    for task in run.tasks:
        for name in ("submitted", "started", "finished", "delivered"):
            setattr(task, name, getattr(task, name) * 0.05 / 0.8)
    run.caller_blocked = [b._replace(ask=b.ask / 16, got=b.got / 16) for b in run.caller_blocked]
    run.unit = 0.05
    return run


def gif_frames(path) -> tuple[list[np.ndarray], list[int]]:
    gif = Image.open(path)
    frames, durations = [], []
    for i in range(gif.n_frames):
        gif.seek(i)
        frames.append(np.asarray(gif.convert("RGB")))
        durations.append(gif.info["duration"])
    return frames, durations


def test_a_short_run_replays_for_seconds_with_its_speed_in_the_corner(tmp_path, monkeypatch):
    monkeypatch.setattr(anim.shutil, "which", lambda name: None)
    run = short_run()
    assert run.summary().makespan == pytest.approx(0.25)
    anim.animate(run, tmp_path / "auto.gif", dpi=30)
    anim.animate(run, tmp_path / "real.gif", speed=1.0, dpi=30)
    auto, auto_ms = gif_frames(tmp_path / "auto.gif")
    real, _ = gif_frames(tmp_path / "real.gif")
    assert len(real) <= 6  # the blink
    sweep = sum(auto_ms[:-1]) / 1000  # the last frame is the hold
    # GIF frame times are whole centiseconds: 67 ms frames play as 60 ms.
    assert len(auto) > 30 and sweep == pytest.approx(anim.MIN_SCREEN_SECONDS, rel=0.15)
    # The first frames differ only in the corner that says "0.1x".
    differs = np.argwhere((auto[0] != real[0]).any(axis=2))
    height, width = auto[0].shape[:2]
    assert len(differs) > 10
    assert differs[:, 0].max() < height // 8 and differs[:, 1].max() < width // 4


def test_cli_animate_defaults_to_the_stretch_and_speed_still_wins(tmp_path, monkeypatch):
    monkeypatch.setattr(anim.shutil, "which", lambda name: None)
    trace = tracefile.save(tracefile.Trace([short_run()]), tmp_path / "t.json")
    for name, extra in (("auto", []), ("fast", ["--speed", "1"])):
        with pytest.raises(SystemExit) as exit_:
            main(
                ["animate", str(trace), "-o", str(tmp_path / f"{name}.gif"), "--dpi", "30", *extra]
            )
        assert exit_.value.code == 0
    assert len(gif_frames(tmp_path / "auto.gif")[0]) > 30
    assert len(gif_frames(tmp_path / "fast.gif")[0]) <= 6
