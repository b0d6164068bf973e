"""Where commands put things: folders checked before running, traces first, charts atomically."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from loiter.cli.errors import RuntimeFailure, Stopped
from loiter.cli.options import ChartOptions, trace_format


def check_outputs(read: Path | None = None, **outputs: Path | None) -> None:
    """Before anything runs: no two outputs (nor the input ``read``) on one file, and each
    output a place a file can go (not a folder, a socket, a name too long): exit 2, not an
    error after a long run."""
    from loiter.model.atomic import output_problem

    distinct(**{"the trace read": read}, **outputs)
    for what, path in outputs.items():
        if path is not None and (problem := output_problem(path)) is not None:
            raise click.UsageError(f"{_name(what)}: {path}: {problem}")


def ready_to_write(*outputs: Path | None) -> None:
    """Once the options are checked: each new file's folder created and writable; a device,
    FIFO or /dev/stdout, written in place, needs no folder (/dev is not ours to write)."""
    from loiter.model.atomic import in_place

    folders = [
        Path(os.path.realpath(path)).parent if path.is_symlink() else path.parent
        for path in outputs
        if path is not None and not in_place(path)
    ]
    for folder in dict.fromkeys(folders):
        ensure_writable(folder)


def announce(*paths: Path) -> None:
    """Print where each output went, except one that went to our own stdout (``-o
    /dev/stdout``): there the contents are the output, and a path after them would spoil it."""
    for path in paths:
        if not _is_stdout(path):
            click.echo(path)


def _is_stdout(path: Path) -> bool:
    try:
        ours, theirs = os.fstat(sys.stdout.fileno()), os.stat(path)
    except (OSError, ValueError):  # no real stdout (a test's capture), or no such file
        return False
    return (ours.st_dev, ours.st_ino) == (theirs.st_dev, theirs.st_ino)


def distinct(**paths: Path | None) -> None:
    """Refuse, before anything runs, two outputs (or an input and an output) on one file.

    ``paths`` maps a description ("--trace", "the chart", "the trace read") to its path;
    the same file under another spelling, a symlink or a hard link counts as the same.
    """
    seen: dict[str, str] = {}
    for what, path in paths.items():
        if path is None:
            continue
        key = os.path.realpath(path)
        for other, other_key in seen.items():
            if key == other_key or _same_file(key, other_key):
                raise click.UsageError(
                    f"{_name(what)} and {_name(other)} are the same file ({path}): "
                    "one would destroy the other; give them different paths"
                )
        seen[what] = key


def _name(what: str) -> str:
    return what.replace("_", " ")


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist yet
        return False


def load_trace(path: Path) -> Any:
    """Load a trace file, turning any problem into a one-line runtime error."""
    from loiter.model.tracefile import TraceError, load

    try:
        return load(path)
    except TraceError as exc:
        raise RuntimeFailure(str(exc)) from None


def ensure_writable(folder: Path) -> None:
    """Create the folder, or fail before running anything if files cannot go there."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise RuntimeFailure(f"{folder}: exists and is not a folder") from None
    except OSError as exc:
        raise RuntimeFailure(f"{folder}: cannot create folder ({exc.strerror})") from None
    import tempfile

    try:  # a probe of its own: commands writing into one folder at once must not collide
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".loiter-write-test.")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise RuntimeFailure(f"{folder}: cannot write there ({exc.strerror})") from None


def save_partial(stopped: Any, trace_path: Path) -> None:
    """Keep what was recorded before Ctrl-C or a dead worker, then stop with its exit code."""
    from loiter.model.tracefile import save

    try:
        saved = f"partial trace saved to {save(stopped.trace, trace_path, trace_format())}"
    except OSError as exc:
        saved = f"partial trace NOT saved ({trace_path}: {exc.strerror})"
    raise Stopped(f"{stopped.reason}; {saved}", 128 + stopped.signum)


def save_chart(
    trace: Any,
    path: Path,
    fmt: str,
    chart: ChartOptions | None = None,
    *,
    ideal: bool = False,
    title: str | None = None,
    sweep: bool = False,
) -> Path:
    """Draw and write atomically; ``ideal`` adds the ideal schedule as ghost outlines,
    ``sweep`` draws a sweep's scaling lines instead of Gantt panels; ``fmt`` html writes the
    interactive report (one panel per run, whatever the command)."""
    from loiter.model.atomic import write_atomic

    chart = chart or ChartOptions()
    try:
        written = write_atomic(path, chart_bytes(trace, fmt, chart, ideal, title, sweep))
    except OSError as exc:
        raise RuntimeFailure(f"{path}: cannot write chart ({exc.strerror})") from None
    if chart.open:
        open_in_viewer(written)
    return written


def chart_bytes(
    trace: Any, fmt: str, chart: ChartOptions, ideal: bool, title: str | None, sweep: bool
) -> bytes:
    """The chart file's contents: a matplotlib figure, or the HTML report."""
    if fmt == "html":
        from loiter.render.html.report import render_html

        return render_html(trace, style=chart.style, lanes=chart.lanes, title=title)
    from loiter.render.gantt import figure_for, render
    from loiter.render.gantt.geometry import IdealFor

    dpi = chart.dpi or 120
    ideal_for: IdealFor | None = None
    if ideal:
        from loiter.analyze.schedule import ideal_for
    if sweep:
        from loiter.render.sweepplot import sweep_figure

        figure = sweep_figure(trace, title=title)
    else:
        figure = figure_for(
            trace, title=title, style=chart.style, lanes=chart.lanes, ideal=ideal_for, dpi=dpi
        )
    return render(figure, fmt, dpi=dpi)


def write_outputs(
    trace: Any,
    chart_path: Path,
    trace_path: Path,
    fmt: str,
    chart: ChartOptions | None = None,
    *,
    ideal: bool = False,
    title: str | None = None,
    echo: bool = True,
    sweep: bool = False,
    saved: Path | None = None,
) -> None:
    """The trace first (it is the data; ``saved`` when it is on disk already), then the chart;
    print each path unless told not to."""
    saved = saved or save_trace(trace, trace_path)
    with after_saving(saved):
        written = save_chart(trace, chart_path, fmt, chart, ideal=ideal, title=title, sweep=sweep)
    if echo:
        announce(saved, written)


def save_trace(trace: Any, path: Path) -> Path:
    """Write the trace file (atomically) or fail with one line."""
    from loiter.model.tracefile import save

    try:
        return save(trace, path, trace_format())
    except OSError as exc:
        raise RuntimeFailure(f"{path}: cannot write trace ({exc.strerror})") from None


@contextmanager
def after_saving(saved: Path) -> Iterator[None]:
    """Work done once the trace is safe on disk: Ctrl-C, SIGTERM or SIGHUP here stop it with
    exit code 128 + signal, and say where the trace is."""
    try:
        yield
    except KeyboardInterrupt as exc:
        from loiter.execute.runner import stop_reason

        reason, signum = stop_reason(exc)
        raise Stopped(f"{reason}; trace saved to {saved}", 128 + signum) from None


def write_animation(trace: Any, path: Path, speed: float | None, chart: ChartOptions) -> None:
    from loiter.render.animate import animate

    try:
        written = animate(
            trace, path, speed=speed, style=chart.style, lanes=chart.lanes, dpi=chart.dpi or 72
        )
    except OSError as exc:
        raise RuntimeFailure(f"{path}: cannot write animation ({exc.strerror})") from None
    announce(*written)
    if chart.open:
        open_in_viewer(written[0])


def make_console(no_color: bool, *, stderr: bool = False) -> Any:
    """rich decides terminal or not (no control codes in pipes), NO_COLOR and FORCE_COLOR."""
    from rich.console import Console

    return Console(no_color=True, stderr=stderr) if no_color else Console(stderr=stderr)


def print_book_log(trace: Any) -> None:
    """Plain text, never through rich: the log must be exactly the book's lines."""
    from loiter.render.booklog import book_log

    click.echo(book_log(trace), nl=False)


def print_json(trace: Any) -> None:
    import json

    from loiter.render.terminal.tables import summary_json

    click.echo(json.dumps(summary_json(trace), indent=2))


def print_advice_json(advised: list[Any], limit: int = 6) -> None:
    """``advise --json``: per run, the measured setup, the best alternatives, the sentence."""
    import json
    from dataclasses import asdict

    from loiter.analyze.advise import ASSUMPTIONS

    runs = [
        {
            "scenario": a.run.scenario,
            "strategy": a.run.strategy,
            "executor": a.run.executor,
            "workers": a.run.workers,
            "measured": asdict(a.measured),
            "predictions": [asdict(p) for p in a.predictions[:limit]],
            "recommendation": a.recommendation,
            "warnings": a.warnings,
            "notes": a.notes,
        }
        for a in advised
    ]
    click.echo(json.dumps({"runs": runs, "assumptions": list(ASSUMPTIONS)}, indent=2))


def open_in_viewer(path: Path) -> None:
    """Hand the file to the desktop's viewer; without one (headless), say so and carry on."""
    import shutil
    import subprocess

    if sys.platform == "win32":  # pragma: no cover - no Windows CI
        os.startfile(path)
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
