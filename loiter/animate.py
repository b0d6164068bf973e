"""Replay a run as an animation: time sweeps left to right, bars grow, deliveries pop.

The static chart is drawn once; each frame only moves a curtain (a rectangle
in the background colour covering the future), a "now" line and the pop rings,
so a frame costs one redraw and a long run still renders in seconds. The GIF
is written with Pillow (matplotlib's own dependency, no external binary); an
MP4 is written too when ffmpeg is on PATH. Files appear atomically.
"""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from matplotlib.animation import FFMpegWriter
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from PIL import Image

from .gantt import Panel, build, secs
from .styles import Style, get_style
from .trace import Run, Trace

MAX_FRAMES = 120  # bounds render time whatever the run's length
MAX_FPS = 15
HOLD_SECONDS = 2.0  # the finished chart stays up before the loop restarts
POP_SECONDS = 0.25  # of replayed time, how long a fresh delivery is highlighted


def frame_times(end: float, speed: float, max_frames: int = MAX_FRAMES) -> tuple[list[float], int]:
    """Run times to show, evenly spaced from 0 to ``end``, and the frame rate.

    At most ``max_frames`` frames whatever the run's length: a long run gets a
    lower frame rate, never a longer render.
    """
    if not (math.isfinite(speed) and speed > 0):
        raise ValueError(f"speed must be a number > 0, not {speed!r}")
    length = max(end, 1e-3) / speed  # seconds the sweep lasts on screen
    frames = max(2, min(max_frames, math.ceil(length * MAX_FPS) + 1))
    fps = max(1, min(MAX_FPS, round((frames - 1) / length)))
    return [end * i / (frames - 1) for i in range(frames)], fps


class _Replay:
    """The moving parts added on top of a drawn figure."""

    def __init__(self, panels: list[Panel], st: Style, pop: float) -> None:
        self.panels = panels
        self.pop = pop
        self.curtains, self.nows, self.rings = [], [], []
        for p in panels:
            ax = p.ax
            curtain = Rectangle(
                (0, 0), 1e12, 1, transform=ax.get_xaxis_transform(), zorder=6,
                facecolor=st.background, edgecolor="none",
            )  # fmt: skip
            ax.add_patch(curtain)
            self.curtains.append(curtain)
            self.nows.append(ax.axvline(0, color=st.foreground, linewidth=1.5 * st.scale, zorder=7))
            (ring,) = ax.plot(
                [], [], linestyle="none", marker="o", markersize=16 * st.scale, zorder=8,
                markerfacecolor="none", markeredgecolor=st.stall, markeredgewidth=2.5 * st.scale,
            )  # fmt: skip
            self.rings.append(ring)
        self.verdicts = [t for p in panels for t in p.ax.texts if t.get_gid() == "verdict"]
        self.clock = panels[0].ax.get_figure().text(
            0.995, 0.995, "", ha="right", va="top", fontsize=11 * st.scale, family="monospace"
        ) if panels else None  # fmt: skip

    def show(self, t: float, last: bool) -> None:
        for p, curtain, now, ring in zip(self.panels, self.curtains, self.nows, self.rings):
            curtain.set_x(t)
            curtain.set_visible(not last)  # the notes right of the last delivery appear at the end
            now.set_xdata([t, t])
            now.set_visible(not last)
            xs = p.deliveries[:, 0]
            fresh = (xs <= t) & (xs > t - self.pop)
            # A fresh delivery rings both on its task's row and where the caller receives it.
            ring.set_data(
                np.r_[xs[fresh], xs[fresh]],
                np.r_[p.deliveries[fresh, 1], np.full(int(fresh.sum()), p.caller_row)],
            )
        for text in self.verdicts:
            text.set_visible(last)  # the lesson comes after the replay
        if self.clock is not None:
            self.clock.set_text(f"t = {secs(t)}")


def animate(
    trace: Trace | Run,
    path: str | os.PathLike[str],
    *,
    speed: float = 1.0,
    style: str | Style | None = None,
    lanes: str = "auto",
    dpi: int = 72,
    max_frames: int = MAX_FRAMES,
) -> list[Path]:
    """Write ``path`` (a GIF) and, with ffmpeg present, the same replay as MP4; return both."""
    st = get_style(style)
    target = Path(path)
    fig, panels = build(trace, style=st, lanes=lanes)
    FigureCanvasAgg(fig)
    end = max((p.end for p in panels), default=0.0)
    times, fps = frame_times(end, speed, max_frames)
    replay = _Replay(panels, st, POP_SECONDS * speed)
    fig.canvas.draw()
    fig.set_layout_engine("none")  # freeze the layout: frames must not jitter
    movie = FFMpegWriter(fps=fps) if shutil.which("ffmpeg") else None
    frames: list[Image.Image] = []
    written = [target] + ([target.with_suffix(".mp4")] if movie else [])
    with contextlib.ExitStack() as stack:
        gif, *mp4 = (stack.enter_context(_atomic(out)) for out in written)
        if movie:
            stack.enter_context(movie.saving(fig, str(mp4[0]), dpi))
        for t in times:
            replay.show(t, last=t >= end)
            fig.canvas.draw()
            frames.append(_snapshot(fig))
            if movie:
                movie.grab_frame()
        for _ in range(round(HOLD_SECONDS * fps) if movie else 0):
            movie.grab_frame()
        # Pillow, as matplotlib's PillowWriter uses, but with a longer last frame: the
        # finished chart holds without rendering it again and again.
        durations = [round(1000 / fps)] * (len(frames) - 1) + [round(HOLD_SECONDS * 1000)]
        frames[0].save(
            gif, format="GIF", save_all=True, append_images=frames[1:], duration=durations, loop=0
        )
    return written


def _snapshot(fig: Figure) -> Image.Image:
    """The canvas as a palette image (GIFs have 256 colours; the chart has far fewer)."""
    rgba = np.asarray(fig.canvas.buffer_rgba())
    return Image.fromarray(rgba[:, :, :3].copy()).quantize(colors=128, dither=Image.Dither.NONE)


@contextlib.contextmanager
def _atomic(target: Path) -> Iterator[Path]:
    """A temp path beside ``target`` (same suffix, for the writer) renamed over it on success."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.stem}.", suffix=target.suffix)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes it private; a chart is not
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
