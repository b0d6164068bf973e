"""Commands that read a saved trace and run nothing: plot, log, summary, animate, export, advise."""

from __future__ import annotations

from pathlib import Path

import click

from loiter.cli.errors import RuntimeFailure
from loiter.cli.options import (
    FORMATS,
    ChartOptions,
    chart_options,
    json_option,
    no_color_option,
    output_option,
    trace_argument,
)
from loiter.cli.outputs import (
    announce,
    check_outputs,
    load_trace,
    make_console,
    print_advice_json,
    print_book_log,
    print_json,
    ready_to_write,
    save_chart,
    write_animation,
)
from loiter.cli.params import PathArg, Seconds


@click.command()
@trace_argument
def log(trace_file: Path) -> None:
    """Print the book's text log of a saved trace, rebuilt from its timestamps.

    \b
    Example:
      loiter-viz log plots/loiter-thread-3w.json
    """
    print_book_log(load_trace(trace_file))


@click.command()
@trace_argument
@json_option
@no_color_option
def summary(trace_file: Path, as_json: bool, no_color: bool) -> None:
    """Print the per-run summaries of a saved trace and compare strategies.

    \b
    Example:
      loiter-viz summary plots/loiter-thread-3w.json --json
    """
    trace = load_trace(trace_file)
    if as_json:
        print_json(trace)
    else:
        from loiter.render.terminal.tables import Summaries

        make_console(no_color).print(Summaries(trace))


@click.command()
@trace_argument
@output_option("Chart file [default: the trace's path with the format's suffix].")
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(FORMATS),
    default=None,
    help="Chart format [default: from --output's suffix, else png].",
)
@click.option("--ideal", is_flag=True, help="Draw each run's ideal schedule behind it.")
@chart_options
def plot(
    trace_file: Path, output: Path | None, fmt: str | None, ideal: bool, chart: ChartOptions
) -> None:
    """Re-render a saved trace without running anything.

    \b
    Example:
      loiter-viz plot plots/loiter-thread-3w.json -o slow-first.svg
    """
    if fmt is None:
        suffix = output.suffix.lstrip(".").lower() if output else ""
        fmt = suffix if suffix in FORMATS else "png"
    output = output or trace_file.with_suffix(f".{fmt}")
    check_outputs(trace_file, **{"--output": output})
    trace = load_trace(trace_file)
    ready_to_write(output)
    announce(save_chart(trace, output, fmt, chart, ideal=ideal))


@click.command("animate")
@trace_argument
@output_option("GIF file [default: the trace's path with .gif]; an MP4 beside it with ffmpeg.")
@click.option(
    "--speed",
    type=Seconds(1000.0, what="speed"),
    default=None,
    help="Replay speed: 2 plays twice as fast as the run was [default: 1; a run shorter "
    "than 2.5 s slows down to last that long, its speed in the corner].",
)
@chart_options
def animate_command(
    trace_file: Path, output: Path | None, speed: float | None, chart: ChartOptions
) -> None:
    """Replay a saved trace as an animation: bars grow, results pop into the caller lane.

    \b
    Example:
      loiter-viz animate plots/loiter-thread-3w.json -o lecture.gif --speed 0.5
    """
    output = output or trace_file.with_suffix(".gif")
    if output.suffix.lower() != ".gif":
        raise click.BadParameter(f"{output}: must end in .gif", param_hint="'--output'")
    check_outputs(trace_file, **{"--output": output, "its MP4": output.with_suffix(".mp4")})
    trace = load_trace(trace_file)
    ready_to_write(output)
    write_animation(trace, output, speed, chart)


@click.command()
@trace_argument
@click.option(
    "--to",
    "fmt",
    type=click.Choice(("chrome", "csv")),
    required=True,
    help="chrome: Trace Event JSON for Perfetto / chrome://tracing; csv: one row per task.",
)
@click.option(
    "--output",
    "-o",
    type=PathArg(dir_okay=False, path_type=Path),
    help="File to write [default: the trace's path with .chrome.json or .csv].",
)
def export(trace_file: Path, fmt: str, output: Path | None) -> None:
    """Convert a saved trace to an open format, without running anything.

    \b
    Example:
      loiter-viz export plots/loiter-thread-3w.json --to chrome   # open in ui.perfetto.dev
    """
    import json

    from loiter.model.atomic import write_atomic
    from loiter.render.export import to_chrome, to_csv

    output = output or trace_file.with_suffix(".chrome.json" if fmt == "chrome" else ".csv")
    check_outputs(trace_file, **{"--output": output})
    trace = load_trace(trace_file)
    ready_to_write(output)
    data = json.dumps(to_chrome(trace)) if fmt == "chrome" else to_csv(trace)
    try:
        announce(write_atomic(output, data.encode()))
    except OSError as exc:
        raise RuntimeFailure(f"{output}: cannot write export ({exc.strerror})") from None


@click.command()
@trace_argument
@json_option
@no_color_option
def advise(trace_file: Path, as_json: bool, no_color: bool) -> None:
    """Replay a trace's task durations under other strategies and worker counts.

    \b
    Examples:
      loiter-viz advise plots/loiter-thread-3w.json
      loiter-viz advise plots/loiter-thread-3w.json --json   # for scripts
    """
    from loiter.analyze.advise import ASSUMPTIONS
    from loiter.analyze.advise import advise as advise_trace
    from loiter.model.safetext import safe
    from loiter.render.terminal.advice import advice_table

    advised = advise_trace(load_trace(trace_file))
    if as_json:
        print_advice_json(advised)
        return
    console = make_console(no_color)
    for advice in advised:
        console.print(advice_table(advice))
        console.print(
            f"[bold]Advice:[/] {safe(advice.recommendation, markup=True)}", highlight=False
        )
        for note in advice.notes:
            console.print(f"[bold]Note:[/] {note}", highlight=False)
        for warning in advice.warnings:
            console.print(f"[bold red]Warning:[/] {warning}", highlight=False)
    console.print("[dim]Assumes: " + "; ".join(ASSUMPTIONS) + ".[/]", highlight=False)
