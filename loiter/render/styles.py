"""Chart styles: one palette and one set of sizes per audience (screen, dark slides, projector).

Every colour the Gantt uses comes from a Style, so a style is the whole look.
Colours are the Okabe-Ito set (readable with every common colour-vision
deficiency): workers get the cool ones, held time the warm ones, so "waiting"
never looks like "working". No matplotlib import here: ``--help`` stays instant.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

OKABE_ITO_COOL = ("#0072B2", "#56B4E9", "#009E73", "#CC79A7")
# Beyond four workers: Paul Tol's muted set, also colour-blind safe, none warm like the stalls.
TOL_MUTED = ("#332288", "#88CCEE", "#44AA99", "#117733", "#882255", "#AA4499")


@dataclass(frozen=True)
class Style:
    """Colours and sizes of one look; ``scale`` multiplies every font and line."""

    name: str
    background: str = "white"
    foreground: str = "#222222"
    grid: str = "#00000022"
    workers: tuple[str, ...] = OKABE_ITO_COOL + TOL_MUTED
    queued: str = "#999999"
    backlog: str = "#F0E442"
    stall: str = "#D55E00"
    caller: tuple[str, str] = ("#4D4D4D", "#8C8C8C")  # alternating, so waits stay distinct
    caller_text: str = "white"
    submitting: str = "#C8C8DC"  # the caller submitting, and results held meanwhile (dotted)
    marker: str = "black"
    ideal: str = "#444444"
    scale: float = 1.0
    bar: float = 0.72  # bar height as a share of the row
    row_inches: float = 0.42
    width_inches: float = 7.0  # per panel
    extra_rc: dict[RcKeyType, Any] = field(default_factory=dict)

    def worker_color(self, i: int) -> str:
        return self.workers[i % len(self.workers)]

    def rc(self) -> dict[RcKeyType, Any]:
        """matplotlib rcParams for this style (applied while the figure is built)."""
        s = self.scale
        return {
            "font.size": 10 * s,
            "axes.titlesize": 11.5 * s,
            "axes.labelsize": 10 * s,
            "xtick.labelsize": 9 * s,
            "ytick.labelsize": 9 * s,
            "legend.fontsize": 9 * s,
            "figure.titlesize": 14 * s,
            "axes.linewidth": 0.8 * s,
            "lines.linewidth": 1.2 * s,
            "hatch.linewidth": 0.8 * s,
            "hatch.color": self.queued,
            "figure.facecolor": self.background,
            "axes.facecolor": self.background,
            "savefig.facecolor": self.background,
            "axes.edgecolor": self.foreground,
            "axes.labelcolor": self.foreground,
            "axes.titlecolor": self.foreground,
            "text.color": self.foreground,
            "xtick.color": self.foreground,
            "ytick.color": self.foreground,
            "grid.color": self.grid,
            "legend.labelcolor": self.foreground,
            # Scenario names, arguments and errors are data: a "$" is a dollar, never mathtext.
            "text.parse_math": False,
            **self.extra_rc,
        }


LIGHT = Style("light")
DARK = Style(
    "dark",
    background="#1B1E23",
    foreground="#E8E8E8",
    grid="#FFFFFF26",
    queued="#8A8F98",
    caller=("#C9CCD1", "#8A8F98"),
    caller_text="#1B1E23",
    marker="white",
    ideal="#C9CCD1",
)
# Projector: big type, fat bars, pure black on white, nothing thin or pale.
PROJECTOR = Style(
    "projector",
    foreground="black",
    grid="#00000040",
    queued="#666666",
    backlog="#E6C800",
    caller=("#222222", "#6E6E6E"),
    ideal="black",
    scale=1.55,
    bar=0.84,
    row_inches=0.6,
    width_inches=9.5,
    extra_rc={"font.weight": "bold", "axes.titleweight": "bold", "axes.labelweight": "bold"},
)
STYLES = {s.name: s for s in (LIGHT, DARK, PROJECTOR)}
STYLE_NAMES = tuple(STYLES)
# Rows of a panel: one per task, one per worker, or chosen by the task count.
LANES = ("tasks", "workers", "auto")


def get_style(style: str | Style | None) -> Style:
    """A Style from its name (None means light); an unknown name is a ValueError."""
    if style is None:
        return LIGHT
    if isinstance(style, Style):
        return style
    try:
        return STYLES[style]
    except KeyError:
        raise ValueError(
            f"unknown style {style!r} (choose from {', '.join(STYLE_NAMES)})"
        ) from None
