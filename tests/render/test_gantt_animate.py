"""The replay: bounded frames, a valid multi-frame GIF, bars that grow, atomic output."""

from __future__ import annotations

import numpy as np
import pytest
from helpers.fixtures import slow_first_map
from matplotlib.colors import to_rgba
from PIL import Image

from loiter.render import animate as anim
from loiter.render.styles import LIGHT


def test_frame_times_sweep_from_zero_to_the_end_at_the_chosen_speed() -> None:
    times, fps = anim.frame_times(4.0, speed=2.0)
    assert times[0] == 0.0 and times[-1] == 4.0
    assert times == sorted(times)
    # 4 s of run at 2x is 2 s on screen.
    assert (len(times) - 1) / fps == pytest.approx(2.0, rel=0.1)


def test_frame_count_is_bounded_for_long_runs() -> None:
    times, fps = anim.frame_times(3600.0, speed=1.0)
    assert len(times) <= anim.MAX_FRAMES and fps >= 1
    assert len(anim.frame_times(0.0, speed=1.0)[0]) >= 2


@pytest.mark.parametrize("speed", [0.0, -1.0, float("nan"), float("inf")])
def test_speed_must_be_positive_and_finite(speed: float) -> None:
    with pytest.raises(ValueError, match="speed"):
        anim.frame_times(1.0, speed)


def stall_pixels(frame: Image.Image) -> int:
    rgb = np.asarray(frame.convert("RGB"), dtype=float) / 255
    return int((np.abs(rgb - np.array(to_rgba(LIGHT.stall)[:3])).max(axis=2) < 0.03).sum())


def test_animation_writes_a_gif_whose_bars_grow(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(anim.shutil, "which", lambda name: None)  # no ffmpeg: GIF only
    out = tmp_path / "replay.gif"
    written = anim.animate(slow_first_map(), out, speed=4.0, dpi=40)
    assert written == [out]
    assert not list(tmp_path.glob(".*"))  # no temp file left behind
    gif = Image.open(out)
    assert gif.format == "GIF" and gif.n_frames > 5
    gif.seek(0)
    first = gif.copy()
    gif.seek(gif.n_frames - 1)
    last = gif.copy()
    # Stalls happen between 2 s and 4 s: none drawn at t=0, all of them at the end.
    assert stall_pixels(last) > stall_pixels(first) + 200
    assert gif.info["duration"] >= 1000 * anim.HOLD_SECONDS - 1  # the end holds


def test_bad_speed_leaves_no_file(tmp_path) -> None:
    with pytest.raises(ValueError):
        anim.animate(slow_first_map(), tmp_path / "x.gif", speed=0.0)
    assert not list(tmp_path.iterdir())


def test_with_ffmpeg_the_gif_is_also_encoded_as_mp4(tmp_path, monkeypatch) -> None:
    """A stand-in ffmpeg records its arguments and writes the output file it was given."""
    import stat

    bindir = tmp_path / "bin"
    bindir.mkdir()
    args_file = tmp_path / "args.txt"
    fake = bindir / "ffmpeg"
    fake.write_text(
        f'#!/bin/sh\necho "$@" > {args_file}\nfor last; do :; done\necho mp4 > "$last"\n'
    )
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", str(bindir))
    out = tmp_path / "out" / "replay.gif"
    written = anim.animate(slow_first_map(), out, speed=8.0, dpi=30)
    assert written == [out, out.with_suffix(".mp4")]
    assert out.with_suffix(".mp4").read_text() == "mp4\n"
    args = args_file.read_text().split()
    assert args[args.index("-i") + 1] == str(out)  # encoded from the finished GIF
    assert sorted(p.name for p in out.parent.iterdir()) == ["replay.gif", "replay.mp4"]
