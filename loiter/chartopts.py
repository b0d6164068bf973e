"""The chart options every drawing command shares (--style, --lanes, --dpi, --open).

Kept out of cli.py so the commands stay short; no matplotlib here, so
``--help`` stays instant.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from .params import Whole
from .styles import LANES, STYLE_NAMES


@dataclass(frozen=True)
class ChartOptions:
    """How to draw: the look, the rows, the resolution, and whether to show the result."""

    style: str = "light"
    lanes: str = "auto"
    dpi: int | None = None  # None: the output's own default (120 for charts, 72 for GIFs)
    open: bool = False


def chart_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Add the shared options to a command; it receives them as one ``chart`` argument."""

    @functools.wraps(fn)
    def command(*args: Any, style: str, lanes: str, dpi: int | None, open_: bool, **kw: Any) -> Any:
        return fn(*args, chart=ChartOptions(style, lanes, dpi, open_), **kw)

    def choice(name: str, choices: tuple[str, ...], default: str, help: str) -> Any:
        return click.option(
            name, type=click.Choice(choices), default=default, show_default=True, help=help
        )

    options = (
        choice("--style", STYLE_NAMES, "light", "Look: light, dark, or projector (big type)."),
        choice("--lanes", LANES, "auto", "Rows: per task, per worker, or auto (above 40 tasks)."),
        click.option(
            "--dpi",
            type=Whole(30, 600),
            default=None,
            help="Resolution of PNG charts and animations [default: 120; 72 for GIF].",
        ),
        click.option(
            "--open", "open_", is_flag=True, help="Show the result in the system viewer, if any."
        ),
    )
    for option in reversed(options):
        command = option(command)
    return command


def open_in_viewer(path: Path) -> None:
    """Hand the file to the desktop's viewer; without one (headless), say so and carry on."""
    import shutil
    import subprocess

    if sys.platform == "win32":  # pragma: no cover - no Windows CI
        os.startfile(path)  # type: ignore[attr-defined]
        return
    opener = shutil.which("open" if sys.platform == "darwin" else "xdg-open")
    if opener is None:
        click.echo(f"loiter-viz: no system viewer found; open {path} yourself", err=True)
        return
    try:
        subprocess.Popen(
            [opener, str(path.resolve())],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # the viewer outlives us and never blocks the terminal
        )
    except OSError as exc:
        click.echo(f"loiter-viz: cannot start {opener} ({exc.strerror}); open {path}", err=True)
