"""Replay a run as an animation: time sweeps left to right, bars grow, deliveries pop.

The chart is rendered twice, empty and finished; each frame is the finished
one left of "now" and the empty one right of it, plus a line, rings and a
clock drawn with Pillow. No redraw per frame, so 120 frames render in about a
second. The GIF is written with Pillow (matplotlib's own dependency, no
external binary); ffmpeg, when on PATH, turns it into an MP4 as well. Files
appear atomically.
"""

from __future__ import annotations

import io
import math
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import findfont
from matplotlib.patches import Rectangle
from PIL import Image, ImageDraw, ImageFont

from loiter.model.atomic import in_place, replacing, write_atomic
from loiter.model.trace import Run, Trace
from loiter.render.gantt import Panel, build
from loiter.render.styles import Style, get_style
from loiter.render.words import seconds

MAX_FRAMES = 120  # bounds render time whatever the run's length
MAX_FPS = 15
HOLD_SECONDS = 2.0  # the finished chart stays up before the loop restarts
POP_SECONDS = 0.25  # of replayed time, how long a fresh delivery is highlighted
MIN_SCREEN_SECONDS = 2.5  # a shorter run is slowed down to last this long on screen


def auto_speed(end: float) -> float:
    """1 (real time), or the fastest round speed (0.5, 0.2, 0.1, 0.05...) that makes a short
    run last MIN_SCREEN_SECONDS on screen: 0.25 s at real time is 5 frames and a blink."""
    wanted = max(end, 1e-3) / MIN_SCREEN_SECONDS
    if wanted >= 1:
        return 1.0
    ladder = (m * 10.0**-k for k in range(7) for m in (1.0, 0.5, 0.2))
    return next((s for s in ladder if s <= wanted), 1e-7)


def speed_label(speed: float) -> str:
    """What the GIF's corner says: ``0.1x`` (nothing at real time)."""
    return "" if speed == 1 else f"{speed:g}x"


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
    """Frames composed from two renders: the empty chart and the finished one.

    A frame at time t shows the finished chart left of t and the empty one right
    of it, in every panel, then draws the "now" line, rings on fresh deliveries
    and a clock with Pillow: no matplotlib redraw per frame, so 120 frames cost
    about as much as two renders.
    """

    def __init__(self, fig: Figure, panels: list[Panel], st: Style, dpi: int, speed: float) -> None:
        self.panels, self.st, self.px = panels, st, dpi / 72
        self.pop, self.speed = POP_SECONDS * speed, speed_label(speed)
        curtains = [
            p.ax.add_patch(Rectangle(
                (0, 0), 1e12, 1, transform=p.ax.get_xaxis_transform(), zorder=6,
                facecolor=st.background, edgecolor="none",
            ))
            for p in panels
        ]  # fmt: skip
        verdicts = [t for p in panels for t in p.ax.texts if t.get_gid() == "verdict"]
        self.empty = self._render(fig, curtains + verdicts, curtains)
        self.full = self._render(fig, curtains + verdicts, verdicts)
        self.palette = _palette(self.full)
        height = self.full.shape[0]
        # Each panel's plotting area in image rows/columns (images count rows from the top).
        self.boxes = [
            (int(ax.bbox.x0), int(ax.bbox.x1), height - int(ax.bbox.y1), height - int(ax.bbox.y0))
            for ax in (p.ax for p in panels)
        ]
        self.height = height
        self.font = ImageFont.truetype(
            findfont("DejaVu Sans"), max(8, round(11 * st.scale * self.px))
        )

    @staticmethod
    def _render(fig: Figure, artists: list[Any], shown: list[Any]) -> np.ndarray:
        for artist in artists:
            artist.set_visible(artist in shown)
        canvas = fig.canvas
        assert isinstance(canvas, FigureCanvasAgg)  # attached by animate(): frames are pixels
        canvas.draw()
        return np.asarray(canvas.buffer_rgba())[:, :, :3].copy()

    def frame(self, t: float, last: bool) -> Image.Image:
        if last:
            return Image.fromarray(self.full).quantize(
                palette=self.palette, dither=Image.Dither.NONE
            )
        pixels = self.empty.copy()
        lines: list[list[tuple[int, int]]] = []
        rings: list[tuple[float, float]] = []
        for p, (x0, x1, top, bottom) in zip(self.panels, self.boxes):
            now = int(np.clip(round(p.ax.transData.transform((t, 0))[0]), x0, x1))
            pixels[top:bottom, x0:now] = self.full[top:bottom, x0:now]
            lines.append([(now, top), (now, bottom)])
            xs = p.deliveries[:, 0]
            fresh = (xs <= t) & (xs > t - self.pop)
            # A fresh delivery rings on its task's row and where the caller receives it.
            rows = np.r_[p.deliveries[fresh, 1], np.full(int(fresh.sum()), p.caller_row)]
            if len(rows):
                centres = p.ax.transData.transform(
                    np.column_stack([np.r_[xs[fresh], xs[fresh]], rows])
                )
                rings.extend((cx, self.height - cy) for cx, cy in centres)
        image = Image.fromarray(pixels)
        draw = ImageDraw.Draw(image)
        st, px = self.st, self.px
        for line in lines:
            draw.line(line, fill=st.foreground, width=max(1, round(1.5 * st.scale * px)))
        r = 8 * st.scale * px
        for cx, cy in rings:
            draw.ellipse(
                [cx - r, cy - r, cx + r, cy + r],
                outline=st.stall,
                width=max(1, round(2.5 * st.scale * px)),
            )
        draw.text(
            (image.width - 4, 2),
            f"t = {seconds(t)}",
            fill=st.foreground,
            font=self.font,
            anchor="ra",
        )
        if self.speed:  # the replay is not real time: say how much slower (or faster)
            draw.text((4, 2), self.speed, fill=st.foreground, font=self.font, anchor="la")
        return image.quantize(palette=self.palette, dither=Image.Dither.NONE)


def animate(
    trace: Trace | Run,
    path: str | os.PathLike[str],
    *,
    speed: float | None = None,
    style: str | Style | None = None,
    lanes: str = "auto",
    dpi: int = 72,
    max_frames: int = MAX_FRAMES,
) -> list[Path]:
    """Write ``path`` (a GIF) and, with ffmpeg present, the same replay as MP4; return both.

    ``speed`` None: real time, slowed down for a run shorter than MIN_SCREEN_SECONDS.
    """
    st = get_style(style)
    target = Path(path)
    fig, panels = build(trace, style=st, lanes=lanes)
    FigureCanvasAgg(fig)
    fig.set_dpi(dpi)
    end = max((p.end for p in panels), default=0.0)
    speed = auto_speed(end) if speed is None else speed
    times, fps = frame_times(end, speed, max_frames)
    fig.canvas.draw()
    fig.set_layout_engine("none")  # freeze the layout: frames must not jitter
    replay = _Replay(fig, panels, st, dpi, speed)
    frames = [replay.frame(t, last=t >= end) for t in times]
    # The last frame holds: the finished chart stays up before the loop restarts.
    durations = [round(1000 / fps)] * (len(frames) - 1) + [round(HOLD_SECONDS * 1000)]
    gif = io.BytesIO()
    frames[0].save(
        gif, format="GIF", save_all=True, append_images=frames[1:], duration=durations, loop=0
    )
    write_atomic(target, gif.getvalue())
    written = [target]
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg and not in_place(target):  # a GIF sent to a device cannot be read back
        written.append(_to_mp4(ffmpeg, target))
    return written


def _to_mp4(ffmpeg: str, gif: Path) -> Path:
    """The GIF re-encoded as H.264 (even dimensions, as the codec needs), for slides."""
    mp4 = gif.with_suffix(".mp4")
    with replacing(mp4) as tmp:
        subprocess.run(
            [ffmpeg, "-y", "-loglevel", "error", "-i", str(gif), "-f", "mp4",
             "-movflags", "+faststart", "-pix_fmt", "yuv420p",
             "-vf", "scale=trunc(iw/2)*2:trunc(ih/2)*2", str(tmp)],
            check=True, stdin=subprocess.DEVNULL, capture_output=True,
        )  # fmt: skip
    return mp4


def _palette(pixels: np.ndarray) -> Image.Image:
    """The chart's own most frequent colours: exact background and bar colours, no drift.

    Pillow maps to a palette through a 5-bit-per-channel cache, so only the most
    frequent colour of each 5-bit cell is kept (else white could become 252-grey).
    """
    colours, counts = np.unique(pixels.reshape(-1, 3), axis=0, return_counts=True)
    colours = colours[np.argsort(counts)[::-1]]
    _, first = np.unique(colours >> 3, axis=0, return_index=True)
    top = colours[np.sort(first)[:256]].astype(np.uint8)
    palette = Image.new("P", (1, 1))
    palette.putpalette(np.pad(top, ((0, 256 - len(top)), (0, 0))).ravel().tolist())
    return palette
