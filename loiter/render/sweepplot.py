"""Sweep charts: makespan, first result and ordering stall against worker count.

One line per (executor, strategy) through the median of the repeats, with a
min-max band; large fonts and the Okabe-Ito palette so a projector shows it.
Threads are solid, processes dashed, so the GIL story reads even in grey.
"""

from __future__ import annotations

import statistics
from typing import TYPE_CHECKING

import matplotlib
from matplotlib.figure import Figure

from loiter.analyze.sweepstats import METRICS, series
from loiter.model.trace import Trace

if TYPE_CHECKING:
    from matplotlib.axes import Axes

# Okabe-Ito, one colour per strategy.
STRATEGY_COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
EXECUTOR_STYLES = {"thread": ("-", "o"), "process": ("--", "s")}
FONT = 15


def plot_metric(trace: Trace, metric: str, *, ax: Axes) -> Axes:
    """One metric (a Summary attribute) against worker count, lines + min-max bands."""
    strategies = list(dict.fromkeys(r.strategy for r in trace))
    for (executor, strategy), by_w in series(trace).items():
        colour = STRATEGY_COLORS[strategies.index(strategy) % len(STRATEGY_COLORS)]
        line, marker = EXECUTOR_STYLES.get(executor, (":", "^"))
        xs = list(by_w)
        values = [sorted(getattr(s, metric) or 0.0 for s in by_w[w]) for w in xs]
        mid = [statistics.median(v) for v in values]
        ax.plot(
            xs,
            mid,
            line,
            marker=marker,
            color=colour,
            lw=2.5,
            ms=8,
            label=f"{executor} / {strategy}",
        )
        if any(len(v) > 1 for v in values):
            ax.fill_between(
                xs, [v[0] for v in values], [v[-1] for v in values], color=colour, alpha=0.18, lw=0
            )
    ax.set_title(METRICS[metric], fontsize=FONT + 1, fontweight="bold")
    ax.set_xlabel("workers", fontsize=FONT)
    ax.set_ylabel("seconds", fontsize=FONT)
    ax.tick_params(labelsize=FONT - 2)
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    return ax


def sweep_figure(trace: Trace, *, title: str | None = None) -> Figure:
    """The three metrics side by side, sharing the worker axis and one legend."""
    with matplotlib.rc_context({"text.parse_math": False}):  # names are data, never mathtext
        return _sweep_figure(trace, title)


def _sweep_figure(trace: Trace, title: str | None) -> Figure:
    fig = Figure(figsize=(18, 6.5), layout="constrained")
    axes = fig.subplots(1, len(METRICS), sharex=True)
    for ax, metric in zip(axes, METRICS):
        plot_metric(trace, metric, ax=ax)
        ax.xaxis.get_major_locator().set_params(integer=True)
    if trace.runs:
        first = trace.runs[0]
        fig.suptitle(
            title
            or f"{first.workload} ({first.scenario}, unit {first.unit:g}s): "
            "median and min-max of repeats",
            fontsize=FONT + 3,
            fontweight="bold",
        )
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(
            handles,
            labels,
            loc="outside lower center",
            ncol=min(4, len(labels)),
            fontsize=FONT,
            frameon=False,
        )
    return fig
