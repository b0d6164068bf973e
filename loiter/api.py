"""The convenience methods of the data (``trace.plot()``, ``trace.advise()``, Jupyter's repr).

The model never imports a renderer or an analysis at load time; its methods
import this module inside the call, the one documented edge back up the layers.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from .analyze.advise import Advice
    from .model.trace import Run, Trace


def plot(target: Run | Trace, *, title: str | None = None) -> Figure:
    from .render.gantt import figure_for

    return figure_for(target, title=title)


def advise(trace: Trace) -> list[Advice]:
    from .analyze.advise import advise as advise_all

    return advise_all(trace)


def advise_run(run: Run) -> Advice:
    from .analyze.advise import advise_run as advise_one

    return advise_one(run)


def html(target: Run | Trace) -> str:
    from .render.html.report import notebook_html

    return notebook_html(target)


def save(trace: Trace, path: str | os.PathLike[str]) -> Path:
    from .model.tracefile import save as save_file

    return save_file(trace, path)
