"""Terminal tables: a summary per run and the per-task timestamps (pure functions of a Trace)."""

from __future__ import annotations

from rich.table import Table

from .trace import ERROR, OK, STALL_EPSILON, Run, Trace, worker_labels


def seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def summary_table(trace: Trace) -> Table:
    """One row per run: the numbers a lecture compares between strategies."""
    table = Table(title="Runs (seconds)", title_justify="left", header_style="bold")
    for name, justify in (
        ("strategy", "left"),
        ("scenario", "left"),
        ("makespan", "right"),
        ("1st result", "right"),
        ("stall", "right"),
        ("stalled", "right"),
        ("outcomes", "left"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for run in trace:
        s = run.summary()
        stall_style = "bold red" if s.stalled_tasks else "green"
        outcomes = ", ".join(f"{n} {k}" for k, n in s.outcomes.items())
        table.add_row(
            run.strategy,
            run.scenario,
            seconds(s.makespan),
            seconds(s.first_result),
            f"[{stall_style}]{s.total_stall:.3f}[/]",
            f"[{stall_style}]{s.stalled_tasks}[/]",
            outcomes,
        )
    errors = [line for run in trace for line in _failures(run)]
    if errors:
        table.caption = "\n".join(errors)
        table.caption_style = "red"
        table.caption_justify = "left"
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


def task_table(run: Run) -> Table:
    """Every task of one run with its four timestamps and what they imply."""
    table = Table(
        title=f"{run.label}  ({run.executor}, {run.workers} workers, unit {run.unit:g}s;"
        " times in seconds)",
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
            outcome += f" [dim]{task.error}[/]"
        table.add_row(
            str(task.index),
            str(task.arg),
            seconds(task.submitted),
            seconds(task.started),
            seconds(task.finished),
            seconds(task.delivered),
            seconds(task.held),
            f"[bold red]{stall.seconds:.3f}[/]" if stall.seconds > STALL_EPSILON else "0",
            workers.get(task.worker or "", "—"),
            outcome,
        )
    return table


def fidelity_table(trace: Trace) -> Table:
    """Per run: how far the measurement is from the ideal schedule (loiter.schedule)."""
    from .schedule import fidelity, ideal_for

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
        if ideal is None:
            table.add_row(run.strategy, run.scenario, *["—"] * 5)
            continue
        f = fidelity(run, ideal)
        ratio = "—" if f.makespan_ratio is None else f"{f.makespan_ratio:.2f}"
        table.add_row(
            run.strategy,
            run.scenario,
            seconds(f.start_max),
            seconds(f.start_p95),
            seconds(f.deliver_max),
            seconds(f.deliver_p95),
            ratio,
        )
    return table
