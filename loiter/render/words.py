"""Every sentence and number the renderers show, in one place: charts, tables and reports agree.

Pure functions of the data: no rich, no matplotlib.
"""

from __future__ import annotations

import math
import textwrap
from typing import Any

from ..model.names import CLOCK
from ..model.trace import (
    CANCELLED,
    ERROR,
    STALL_EPSILON,
    TIMED_OUT,
    UNDELIVERED,
    Run,
    Stall,
    Summary,
    Task,
    Trace,
)


def seconds(value: float | None, digits: int | None = None, *, unit: str = "") -> str:
    """The one duration formatter.

    ``digits=None``: for people, one unit per size so neighbours read alike
    (``4.0s``, ``250ms``); ``digits=k``: fixed decimals for aligned columns,
    followed by ``unit``. A time that never happened is a dash.
    """
    if value is None:
        return "—"
    if digits is not None:
        return f"{value:.{digits}f}{unit}"
    if abs(value) >= 0.9995:
        return f"{value:.1f}s"
    return f"{value * 1000:.0f}ms"


def setup(run: Run) -> str:
    """What ran where, for a figure's title: ``loiter on a thread pool, 3 workers, unit 0.5s``."""
    if run.executor == "asyncio":
        limit = "no limit" if run.options.get("limit") == "unlimited" else f"{run.workers} slots"
        where = f"an asyncio event loop, {limit}"
    else:
        where = f"a {run.executor} pool, {run.workers} workers"
    return f"{run.workload} on {where}, unit {run.unit:g}s"


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def verdict(run: Run, summary: Summary | None = None, *, width: int | None = None) -> str:
    """The panel's lesson: how much finished work sat waiting, and why.

    ``width``: wrap into lines of at most that many characters, between phrases
    where it can (a chart's panel is narrower than a big run's verdict).
    """
    phrases = verdict_phrases(run, summary or run.summary())
    if width is None:
        return " ".join(phrases)
    lines: list[str] = []
    for phrase in phrases:
        if lines and len(lines[-1]) + 1 + len(phrase) <= width:
            lines[-1] += " " + phrase
        else:  # a phrase wider than the panel on its own is broken between its words
            lines += textwrap.wrap(phrase, width, break_on_hyphens=False)
    return "\n".join(lines)


def verdict_phrases(run: Run, s: Summary) -> list[str]:
    """The verdict as phrases a line may break between (never inside one)."""
    clauses = []
    if held := held_phrases(held_parts(run, s)):
        clauses.append(held)
    if run.loop_blocked:
        blocked = sum(b - a for a, b in run.loop_blocked)
        clauses.append([f"the event loop was blocked {seconds(blocked)}"])
    if run.error:
        clauses.append([f"raised {run.error.split(':')[0]} to the caller"])
    if not clauses:
        clauses.append(["none held:", "each result delivered as it finished"])
    bad = [f"{n:,} {k.replace('_', ' ')}" for k, n in s.outcomes.items() if k != "ok"]
    if bad:
        clauses.append([*(f"{b}," for b in bad[:-1]), bad[-1]])
    for clause in clauses[:-1]:
        clause[-1] += ";"
    return [f"{run.strategy}:", *(p for clause in clauses for p in clause)]


def held_parts(run: Run, s: Summary) -> list[tuple[str, float]]:
    """Held time by cause, as (phrase, seconds): parts that do not overlap, so they add up.

    Only parts above noise are named (a wake-up latency per task is not a backlog).
    """
    parts = []
    if s.stalled_tasks:
        n = s.stalled_tasks
        parts.append((f"in ordering stalls ({n:,} result{'s' if n != 1 else ''})", s.total_stall))
    noise = STALL_EPSILON * max(1, len(run.tasks))
    if s.held_submitting > noise:
        parts.append(("while the caller was still submitting", s.held_submitting))
    if s.backlog > noise:
        parts.append(("while the caller was busy", s.backlog))
    return parts


def held_phrases(parts: list[tuple[str, float]]) -> list[str]:
    """``held 3.0s in all:``, ``2.0s in ordering stalls (4 results)``, ``+ 1.0s while the
    caller was busy``: one phrase per part, any number of parts.

    Rounded so the shown parts sum to the shown total (largest remainder), in one unit.
    """
    if not parts:
        return []
    total, *shown = _summing([v for _, v in parts])
    phrases = [f"{value} {phrase}" for value, (phrase, _) in zip(shown, parts)]
    if len(phrases) == 1:
        return [f"held {phrases[0]}"]
    # Each wrapped line starts with its "+", so it reads as one more part.
    return [f"held {total} in all:", phrases[0], *(f"+ {p}" for p in phrases[1:])]


def _summing(values: list[float]) -> list[str]:
    """The total, then each value, in one unit, rounded so the values add up to the total."""
    total = sum(values)
    steps = 10 if total >= 0.9995 else 1000  # per second: tenths of a second, or milliseconds
    exact = [v * steps for v in values]
    counts = [math.floor(x) for x in exact]
    # Largest remainder: the rounding spare goes to the parts closest to their next step.
    spare = round(total * steps) - sum(counts)
    for i in sorted(range(len(exact)), key=lambda i: counts[i] - exact[i])[:spare]:
        counts[i] += 1
    return [f"{n / 10:.1f}s" if steps == 10 else f"{n}ms" for n in [sum(counts), *counts]]


def timings(summary: Summary) -> str:
    return f"first result {seconds(summary.first_result)} · makespan {seconds(summary.makespan)}"


def task_note(task: Task, stall: Stall) -> str:
    """The words beside one task's row: its stall and its fate."""
    notes = []
    if stall.seconds > STALL_EPSILON:
        culprit = f" for #{stall.blocked_on}" if stall.blocked_on is not None else ""
        notes.append(f"waited {seconds(stall.seconds)}{culprit}")
    if task.outcome == ERROR:
        notes.append(f"raised {(task.error or 'an exception').split(':')[0]}")
    elif task.outcome == CANCELLED:
        notes.append("cancelled, never ran")
    elif task.outcome == UNDELIVERED:
        notes.append("never delivered")
    elif task.outcome == TIMED_OUT:
        notes.append("timed out")
    return " · ".join(notes)


def call_label(arg: Any) -> str:
    """A task's row label: ``loiter(4)`` for a duration, else the argument, short."""
    return f"loiter({arg:g})" if isinstance(arg, (int, float)) else str(arg)[:18]


def compare(a: Run, b: Run, sa: Summary | None = None, sb: Summary | None = None) -> str:
    """One line on how ``b`` did against ``a`` on the same scenario: first result and stalls."""
    sa, sb = sa or a.summary(), sb or b.summary()
    line = f"{b.scenario}: {b.strategy}"
    if sa.first_result is None or sb.first_result is None:
        line += " delivered no result to compare"
    elif abs(sa.first_result - sb.first_result) < 0.0005:
        line += f" delivered its first result when {a.strategy} did"
    else:
        way = "sooner" if sa.first_result > sb.first_result else "later"
        gap = abs(sa.first_result - sb.first_result)
        line += f" delivered its first result {seconds(gap, 3, unit='s')} {way} than {a.strategy}"
    if sb.stalled_tasks:
        stall = seconds(sb.total_stall, 3, unit="s")
        return line + f" and stalled {sb.stalled_tasks} task(s) for {stall}"
    return line + " and held nothing" + (" either" if not sa.stalled_tasks else "")


def comparisons(trace: Trace, summaries: list[Summary] | None = None) -> list[str]:
    """Per scenario, every other strategy against the first one run.

    ``summaries`` (one per run, in order) saves recomputing them for big runs.
    """
    known: list[Summary | None] = list(summaries) if summaries else [None] * len(trace.runs)
    firsts: dict[str, tuple[Run, Summary | None]] = {}
    lines = []
    for run, summary in zip(trace.runs, known, strict=True):
        base, base_summary = firsts.setdefault(run.scenario, (run, summary))
        if base is not run:
            lines.append(compare(base, run, base_summary, summary))
    return lines


def clock_note(run: Run) -> str | None:
    """A warning when clock uncertainty is as large as the effects the chart shows.

    The effect is the largest ordering stall, or the unit when there is
    none; a worker's timestamps are only as good as its offset estimate.
    """
    clock = run.options.get(CLOCK)
    if not clock:
        return None
    worst = max(c["uncertainty"] for c in clock.values())
    stall = max((s.seconds for s in run.stalls()), default=0.0)
    effect = stall if stall > 0 else run.unit
    if worst <= effect:
        return None
    return f"clock uncertainty up to {worst * 1e3:.1f} ms: larger than the effects shown"


def flags_report(run: Run) -> str:
    """The book's closing line: ``20 flags downloaded in 0.62s`` plus the outcome counts."""
    from ..workloads.flags.download import tally

    makespan = run.summary().makespan or 0.0
    counts = ", ".join(f"{n} {k}" for k, n in tally(run).items())
    return f"{run.label}: {len(run.tasks)} flags in {seconds(makespan, 2, unit='s')} ({counts})"
