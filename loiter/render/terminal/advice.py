"""The advise table: the measured run, then the best alternatives, each with its change."""

from __future__ import annotations

from collections.abc import Sequence

from rich import box
from rich.table import Table

from loiter.analyze.advise import Advice, Prediction
from loiter.model.safetext import safe


def advice_table(advice: Advice, limit: int = 6) -> Table:
    """The measured run, then the ``limit`` best alternatives, each with its change against it.

    Alternatives with the same worker count and the same numbers share a row,
    which names each of them on a line of its own.
    """
    run, m = advice.run, advice.measured
    rows = merged(advice.predictions)
    hidden = len(rows) - limit
    table = Table(
        title=safe(
            f"What if? {run.scenario} / {m.label} on {run.executor} x{run.workers}", markup=True
        )
        + " (seconds; +/- is the change against the run as measured)",
        title_justify="left",
        header_style="bold",
        box=box.SIMPLE_HEAD,
        caption=f"+{hidden} more, ranked lower" if hidden > 0 else None,
        caption_justify="left",
    )
    table.add_column("strategy")
    for name in ("workers", "makespan +/-", "1st result +/-", "stall"):
        table.add_column(name, justify="right", no_wrap=True)
    table.add_row(
        "as measured",
        str(m.workers),
        f"{m.makespan:.3f}",
        f"{m.first_result:.3f}",
        f"{m.total_stall:.3f}",
        style="dim",
    )
    for labels, p in rows[:limit]:
        table.add_row(
            labels,
            str(p.workers),
            _with_change(p.makespan, m.makespan),
            _with_change(p.first_result, m.first_result),
            f"{p.total_stall:.3f}",
        )
    return table


def merged(predictions: Sequence[Prediction]) -> list[tuple[str, Prediction]]:
    """One row per distinct outcome: ``(labels, first prediction)``, in rank order.

    A strategy that does no better with more workers than with fewer is left out;
    setups with the same worker count and numbers share a row, which names
    them all, one a line ("as_completed\nwait\ncallbacks").
    """
    groups: dict[tuple[int, str], list[Prediction]] = {}
    seen: set[tuple[str, str]] = set()
    for p in sorted(predictions, key=lambda p: p.workers):  # stable: rank order within a count
        numbers = f"{p.makespan:.3f} {p.first_result:.3f} {p.total_stall:.3f}"
        if (p.strategy, numbers) not in seen:
            seen.add((p.strategy, numbers))
            groups.setdefault((p.workers, numbers), []).append(p)
    rank = {id(p): i for i, p in enumerate(predictions)}
    rows = []
    for group in sorted(groups.values(), key=lambda g: rank[id(g[0])]):
        group.sort(key=lambda p: rank[id(p)])
        rows.append(("\n".join(p.label for p in group), group[0]))
    return rows


def _with_change(value: float, measured: float) -> str:
    """``0.080 -0.041``: the prediction and its change against the measured run, coloured."""
    delta = value - measured
    colour = "green" if delta < 0 else "red" if delta > 0 else "white"
    return f"{value:.3f} [{colour}]{delta:+.3f}[/]"
