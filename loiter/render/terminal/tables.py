"""Terminal tables: a summary per run and the per-task timestamps (pure functions of a Trace)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from rich.console import Console, ConsoleOptions, JustifyMethod, RenderResult
from rich.table import Table
from rich.text import Text

from loiter.model.safetext import safe
from loiter.model.trace import ERROR, OK, STALL_EPSILON, Run, Summary, Trace, worker_labels
from loiter.render.words import comparisons, percent, seconds

# (header, justify, cell) per summary column; seconds carry their unit, hyperfine style.
_SUMMARY_COLUMNS: tuple[tuple[str, JustifyMethod, Callable[[Run, Summary], str]], ...] = (
    ("strategy", "left", lambda r, s: safe(r.strategy, markup=True)),
    ("scenario", "left", lambda r, s: safe(r.scenario, markup=True)),
    ("makespan", "right", lambda r, s: seconds(s.makespan, 3, unit=" s")),
    ("1st result", "right", lambda r, s: seconds(s.first_result, 3, unit=" s")),
    ("stall", "right", lambda r, s: _stall(s, seconds(s.total_stall, 3, unit=" s"))),
    ("max stall", "right", lambda r, s: _stall(s, seconds(s.max_stall, 3, unit=" s"))),
    ("stalled", "right", lambda r, s: _stall(s, str(s.stalled_tasks))),
    ("backlog", "right", lambda r, s: seconds(s.backlog, 3, unit=" s")),
    ("submitting", "right", lambda r, s: seconds(s.held_submitting, 3, unit=" s")),
    ("util", "right", lambda r, s: percent(s.utilisation)),
    ("caller idle", "right", lambda r, s: seconds(s.caller_blocked, 3, unit=" s")),
    ("outcomes", "left", lambda r, s: ", ".join(f"{n} {k}" for k, n in s.outcomes.items())),
)


def _stall(s: Summary, text: str) -> str:
    return f"[bold red]{text}[/]" if s.stalled_tasks else f"[green]{text}[/]"


# Below this width the one-row-per-run table would wrap its cells into garbage.
WIDE_TABLE = 150


class Summaries:
    """Per-run summaries: a table on wide terminals, aligned blocks on narrow ones."""

    def __init__(self, trace: Trace) -> None:
        self.trace = trace

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if options.max_width >= WIDE_TABLE:
            yield summary_table(self.trace)
        else:
            for run in self.trace:
                yield Text(
                    safe(f"{run.label} ({run.executor}, {run.workers} workers)"), style="bold"
                )
                yield summary_block(run)
        for line in (line for run in self.trace for line in _failures(run)):
            yield Text(safe(line), style="red", overflow="fold")
        for line in comparisons(self.trace):
            yield Text(safe(line), overflow="fold")


def summary_table(trace: Trace) -> Table:
    """One row per run: the numbers a lecture compares between strategies."""
    table = Table(title="Runs", title_justify="left", header_style="bold")
    for name, justify, _ in _SUMMARY_COLUMNS:
        table.add_column(name, justify=justify, no_wrap=True)
    for run in trace:
        s = run.summary()
        table.add_row(*(cell(run, s) for _, _, cell in _SUMMARY_COLUMNS))
    return table


def _failures(run: Run, most: int = 3) -> list[str]:
    """What went wrong in a run: what the caller got, else the first failed tasks."""
    if run.error:
        return [f"{run.label}: the caller got {run.error}"]
    failed = [t for t in run.tasks if t.outcome == ERROR and t.error]
    lines = [f"{run.label}: #{t.index} raised {t.error}" for t in failed[:most]]
    if len(failed) > most:
        lines.append(f"{run.label}: and {len(failed) - most} more failed tasks")
    return lines


def summary_block(run: Run) -> Table:
    """One run as aligned ``name  value`` lines, hyperfine style; fits 60 columns."""
    s = run.summary()
    grid = Table.grid(padding=(0, 2), pad_edge=True)
    grid.add_column(no_wrap=True)
    grid.add_column(justify="right", no_wrap=True)
    grid.add_column(overflow="fold")
    for name, _, cell in _SUMMARY_COLUMNS[2:-1]:
        grid.add_row(name, cell(run, s), "")
    grid.add_row("outcomes", "", _SUMMARY_COLUMNS[-1][2](run, s))
    return grid


def summary_json(trace: Trace) -> dict[str, Any]:
    """The summary for scripts: one object per run, plus the comparison lines."""
    runs = [
        {
            "scenario": run.scenario,
            "strategy": run.strategy,
            "executor": run.executor,
            "workers": run.workers,
            "unit": run.unit,
            "error": run.error,
            **asdict(summary := run.summary()),
            "backlog": summary.backlog,
        }
        for run in trace
    ]
    return {"runs": runs, "comparisons": comparisons(trace)}


def task_table(run: Run) -> Table:
    """Every task of one run with its four timestamps and what they imply."""
    table = Table(
        title=safe(f"{run.label}  ({run.executor}, {run.workers} workers, ", markup=True)
        + f"unit {run.unit:g}s; times in seconds)",
        title_justify="left",
        header_style="bold",
    )
    for name in (
        "#",
        "arg",
        "submit",
        "start",
        "finish",
        "deliver",
        "held",
        "stall",
        "worker",
        "outcome",
    ):
        table.add_column(name, justify="left" if name in ("worker", "outcome") else "right")
    workers = worker_labels([run])
    for task, stall in zip(run.tasks, run.stalls()):
        outcome = task.outcome if task.outcome == OK else f"[red]{task.outcome}[/]"
        if task.error:
            outcome += f" [dim]{safe(task.error, markup=True)}[/]"
        table.add_row(
            str(task.index),
            safe(task.arg, markup=True),
            seconds(task.submitted, 3),
            seconds(task.started, 3),
            seconds(task.finished, 3),
            seconds(task.delivered, 3),
            seconds(task.held, 3),
            f"[bold red]{seconds(stall.seconds, 3)}[/]" if stall.seconds > STALL_EPSILON else "0",
            workers.get(task.worker or "", "—"),
            outcome,
        )
    return table


def fidelity_table(trace: Trace) -> Table:
    """Per run: how far the measurement is from the ideal schedule (loiter.analyze.fidelity)."""
    from loiter.analyze.fidelity import fidelity
    from loiter.analyze.schedule import ideal_for

    table = Table(
        title="Measured vs ideal schedule (seconds; |measured - ideal| over delivered tasks)",
        title_justify="left",
        header_style="bold",
    )
    for name in ("strategy", "scenario", "start max", "start p95", "deliver max", "deliver p95"):
        table.add_column(name, justify="left" if name in ("strategy", "scenario") else "right")
    table.add_column("makespan ×ideal", justify="right")
    for run in trace:
        ideal = ideal_for(run)
        names = (safe(run.strategy, markup=True), safe(run.scenario, markup=True))
        if ideal is None:
            table.add_row(*names, *["—"] * 5)
            continue
        f = fidelity(run, ideal)
        ratio = "—" if f.makespan_ratio is None else f"{f.makespan_ratio:.2f}"
        table.add_row(
            *names,
            seconds(f.start_max, 3),
            seconds(f.start_p95, 3),
            seconds(f.deliver_max, 3),
            seconds(f.deliver_p95, 3),
            ratio,
        )
    return table
