"""The ``loiter-viz`` command line.

Parsing and validation live here; everything heavy (rich, matplotlib, the
runner) is imported inside the commands so ``--help`` stays instant. Usage
errors are one line on stderr and exit 2; runtime errors one line and exit 1.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from .executors import EXECUTORS
from .scenarios import DEFAULT_SCENARIOS, SCENARIOS
from .strategies import DEFAULT_STRATEGIES, STRATEGIES

FORMATS = ("png", "svg", "pdf")
MAX_WORKERS = 1024
MAX_TASKS = 100_000
F = TypeVar("F", bound=Callable[..., Any])


class RuntimeFailure(click.ClickException):
    """A problem with the environment (files, folders), not with the command line."""

    exit_code = 1


class Seconds(click.ParamType):
    """A finite number of seconds greater than zero (NaN and inf are not durations)."""

    name = "seconds"

    def __init__(self, maximum: float) -> None:
        self.maximum = maximum

    def convert(self, value: Any, param: Any, ctx: Any) -> float:
        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number (expected seconds > 0)", param, ctx)
        if not math.isfinite(number) or not 0 < number <= self.maximum:
            self.fail(
                f"{value!r} is out of range (expected 0 < seconds <= {self.maximum:g})", param, ctx
            )
        return number


class Durations(click.ParamType):
    """Comma-separated durations in units: ``3,1,2``."""

    name = "n,n,..."

    def convert(self, value: Any, param: Any, ctx: Any) -> tuple[float, ...]:
        if isinstance(value, tuple):
            return value
        parts = [p.strip() for p in str(value).split(",")]
        if not any(parts):
            self.fail("is empty (expected numbers like 3,1,2)", param, ctx)
        if len(parts) > MAX_TASKS:
            self.fail(f"has {len(parts)} durations (at most {MAX_TASKS})", param, ctx)
        out = []
        for part in parts:
            try:
                number = float(part)
            except ValueError:
                self.fail(f"{part!r} is not a number (expected numbers like 3,1,2)", param, ctx)
            if not math.isfinite(number) or not 0 <= number <= 3600:
                self.fail(f"{part!r} is out of range (each duration 0 to 3600 units)", param, ctx)
            out.append(int(number) if number.is_integer() else number)
        return tuple(out)


class Names(click.ParamType):
    """Comma-separated names from a fixed set, order kept, duplicates dropped."""

    name = "name,..."

    def __init__(self, choices: tuple[str, ...]) -> None:
        self.choices = choices

    def convert(self, value: Any, param: Any, ctx: Any) -> tuple[str, ...]:
        if isinstance(value, tuple):
            return value
        names = [n.strip() for n in str(value).split(",") if n.strip()]
        if not names:
            self.fail(f"is empty (choose from {', '.join(self.choices)})", param, ctx)
        for name in names:
            if name not in self.choices:
                self.fail(f"{name!r} is not one of {', '.join(self.choices)}", param, ctx)
        return tuple(dict.fromkeys(names))


strategy_option = click.option(
    "--strategy",
    "-s",
    type=Names(tuple(STRATEGIES)),
    default=",".join(DEFAULT_STRATEGIES),
    show_default=True,
    help=f"How results are consumed (comma-separated: {', '.join(STRATEGIES)}).",
)


def unit_option(default: float) -> Callable[[F], F]:
    return click.option(
        "--unit",
        "-u",
        type=Seconds(60.0),
        default=default,
        show_default=True,
        help="Seconds per duration unit.",
    )


def output_options(command: F) -> F:
    """``--out DIR`` and ``--format``: where and how a command writes its chart and trace."""
    command = click.option(
        "--format",
        "-f",
        "fmt",
        type=click.Choice(FORMATS),
        default="png",
        show_default=True,
        help="Chart file format.",
    )(command)
    return click.option(
        "--out",
        "-o",
        "out_dir",
        type=click.Path(path_type=Path),
        default=Path("plots"),
        show_default=True,
        help="Folder for the chart and the trace.",
    )(command)


RUN_EXAMPLES = """
\b
Examples:
  loiter-viz --workers 3                      # book and slow-first, map vs as_completed
  loiter-viz --durations 3,1,2 --unit 0.2     # your own durations, in 0.2 s units
  loiter-viz --executor process --scenario slow-first --format svg
  loiter-viz plot plots/loiter-thread-3w.json -o slide.pdf
"""


class DefaultGroup(click.Group):
    """``loiter-viz [OPTIONS]`` means ``loiter-viz run [OPTIONS]``; other commands by name."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (
            args[0] not in self.commands and args[0] not in ("--help", "-h", "--version")
        ):
            args = ["run", *args]
        return super().parse_args(ctx, args)

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        run = self.commands["run"]
        with click.Context(run, info_name=ctx.info_name, parent=ctx.parent) as run_ctx:
            run.format_help(run_ctx, formatter)
        self.format_commands(ctx, formatter)


@click.group(cls=DefaultGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="loiter-viz", prog_name="loiter-viz")
def cli() -> None:
    """See when concurrent.futures tasks are submitted, started, finished and delivered."""


@cli.command(epilog=RUN_EXAMPLES)
@click.option(
    "--workers",
    "-w",
    type=click.IntRange(1, MAX_WORKERS),
    default=3,
    show_default=True,
    help="Pool size (max_workers).",
)
@click.option(
    "--executor",
    "-e",
    type=click.Choice(EXECUTORS),
    default="thread",
    show_default=True,
    help="Where the tasks run.",
)
@strategy_option
@click.option(
    "--scenario",
    "scenarios",
    type=click.Choice(SCENARIOS),
    multiple=True,
    help=f"Preset durations (repeatable) [default: {', '.join(DEFAULT_SCENARIOS)}].",
)
@click.option(
    "--durations",
    "-d",
    type=Durations(),
    default=None,
    help="One custom scenario instead, e.g. 3,1,2 (in units).",
)
@click.option(
    "--seed",
    type=click.IntRange(0),
    default=0,
    show_default=True,
    help="Order of the 'shuffled' scenario.",
)
@unit_option(0.5)
@output_options
@click.option(
    "--trace",
    "trace_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the trace JSON [default: next to the chart].",
)
@click.option("--quiet", "-q", is_flag=True, help="Print only the paths of the files written.")
def run(
    workers: int,
    executor: str,
    strategy: tuple[str, ...],
    scenarios: tuple[str, ...],
    durations: tuple[float, ...] | None,
    seed: int,
    unit: float,
    out_dir: Path,
    fmt: str,
    trace_path: Path | None,
    quiet: bool,
) -> None:
    """Run loiter through a pool under each strategy, then draw and save what happened."""
    from .scenarios import custom, preset

    if durations is not None and scenarios:
        raise click.UsageError("use either --durations or --scenario, not both")
    chosen = (
        [custom(durations)]
        if durations
        else [preset(name, seed) for name in (scenarios or DEFAULT_SCENARIOS)]
    )
    stem = f"loiter-{executor}-{workers}w"
    chart_path = out_dir / f"{stem}.{fmt}"
    trace_path = trace_path or chart_path.with_suffix(".json")
    for folder in {chart_path.parent, trace_path.parent}:
        ensure_writable(folder)

    from rich.console import Console

    from .runner import Experiment, run_experiment
    from .tables import summary_table, task_table

    console = Console()
    exp = Experiment(chosen, strategy, executor, workers, unit)
    if not quiet:
        total = len(chosen) * len(strategy)
        console.print(
            f"[bold]loiter-viz[/]: {total} run(s) on a {executor} pool of {workers}, "
            f"unit {unit:g}s",
            highlight=False,
        )
    trace = run_experiment(exp, on_run=None if quiet else lambda r: console.print(task_table(r)))
    if not quiet:
        console.print(summary_table(trace))
    write_outputs(trace, chart_path, trace_path, fmt)


@cli.command()
@click.argument("trace_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Chart file [default: the trace's path with the format's suffix].",
)
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(FORMATS),
    default=None,
    help="Chart format [default: from --output's suffix, else png].",
)
def plot(trace_file: Path, output: Path | None, fmt: str | None) -> None:
    """Re-render a saved trace without running anything.

    \b
    Example:
      loiter-viz plot plots/loiter-thread-3w.json -o slow-first.svg
    """
    trace = load_trace(trace_file)
    if fmt is None:
        suffix = output.suffix.lstrip(".").lower() if output else ""
        fmt = suffix if suffix in FORMATS else "png"
    output = output or trace_file.with_suffix(f".{fmt}")
    ensure_writable(output.parent)
    click.echo(save_chart(trace, output, fmt))


class WorkerCounts(click.ParamType):
    """Worker counts: ``1-8``, ``1,2,4`` or both (``1-4,8``)."""

    name = "range"

    def convert(self, value: Any, param: Any, ctx: Any) -> list[int]:
        from .sweep import parse_workers

        if isinstance(value, list):
            return value
        try:
            counts = parse_workers(str(value))
        except ValueError as exc:
            self.fail(f"{exc} (expected e.g. 1-8 or 1,2,4)", param, ctx)
        if counts[-1] > MAX_WORKERS:
            self.fail(f"{counts[-1]} is more than {MAX_WORKERS} workers", param, ctx)
        return counts


@cli.command()
@click.option(
    "--workers",
    "-w",
    type=WorkerCounts(),
    default="1-4",
    show_default=True,
    help="Worker counts to sweep, e.g. 1-8 or 1,2,4.",
)
@click.option(
    "--executor",
    "-e",
    type=Names(EXECUTORS),
    default="thread,process",
    show_default=True,
    help="Executors (comma-separated).",
)
@click.option(
    "--workload",
    type=click.Choice(("loiter", "spin")),
    default="loiter",
    show_default=True,
    help="loiter sleeps (I/O-like); spin burns CPU (shows the GIL).",
)
@strategy_option
@click.option(
    "--scenario",
    type=click.Choice(SCENARIOS),
    default=None,
    help="Preset durations [default: 3,1,2,1,3,1,2,1].",
)
@click.option("--durations", "-d", type=Durations(), default=None, help="Custom durations.")
@click.option(
    "--repeat",
    "-r",
    type=click.IntRange(1, 100),
    default=1,
    show_default=True,
    help="Runs per grid point (bands show min-max).",
)
@unit_option(0.1)
@output_options
def sweep(
    workers: list[int],
    executor: tuple[str, ...],
    workload: str,
    strategy: tuple[str, ...],
    scenario: str | None,
    durations: tuple[float, ...] | None,
    repeat: int,
    unit: float,
    out_dir: Path,
    fmt: str,
) -> None:
    """Run a grid of worker counts x executors x strategies; chart how it scales.

    \b
    Example (the GIL in one picture):
      loiter-viz sweep --workload spin --workers 1-4 --repeat 3 --unit 0.05
    """
    from .scenarios import Scenario, custom, preset
    from .sweep import SWEEP_ARGS, Sweep

    if durations is not None and scenario:
        raise click.UsageError("use either --durations or --scenario, not both")
    chosen = (
        custom(durations)
        if durations
        else preset(scenario)
        if scenario
        else Scenario("mixed", SWEEP_ARGS)
    )
    ensure_writable(out_dir)
    grid = Sweep(chosen, workers, executor, strategy, workload, unit, repeat)
    trace = run_with_progress(grid)
    stem = f"sweep-{workload}-{workers[0]}-{workers[-1]}w"
    write_outputs(trace, out_dir / f"{stem}.{fmt}", out_dir / f"{stem}.json", fmt, sweep=True)


def run_with_progress(grid: Any) -> Any:
    """The sweep with a rich progress bar (runs done / total, ETA) on stderr."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from .sweep import run_sweep

    columns = (
        *Progress.get_default_columns()[:1],
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        bar = progress.add_task("sweep", total=grid.total)

        def advance(run: Any) -> None:
            progress.update(
                bar, advance=1, description=f"{run.executor} x{run.workers} {run.strategy}"
            )

        return run_sweep(grid, on_run=advance)


@cli.command()
@click.argument("trace_file", type=click.Path(dir_okay=False, path_type=Path))
def advise(trace_file: Path) -> None:
    """Replay a trace's task durations under other strategies and worker counts.

    \b
    Example:
      loiter-viz advise plots/loiter-thread-3w.json
    """
    from rich.console import Console

    from .advise import ASSUMPTIONS, advice_table
    from .advise import advise as advise_trace

    console = Console()
    for advice in advise_trace(load_trace(trace_file)):
        console.print(advice_table(advice))
        console.print(f"[bold]Advice:[/] {advice.recommendation}", highlight=False)
        for warning in advice.warnings:
            console.print(f"[bold red]Warning:[/] {warning}", highlight=False)
    console.print("[dim]Assumes: " + "; ".join(ASSUMPTIONS) + ".[/]", highlight=False)


def load_trace(path: Path) -> Any:
    """Load a trace file, turning any problem into a one-line runtime error."""
    from .tracefile import TraceError, load

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
    probe = folder / ".loiter-write-test"
    try:
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise RuntimeFailure(f"{folder}: cannot write there ({exc.strerror})") from None


def save_chart(trace: Any, path: Path, fmt: str, sweep: bool = False) -> Path:
    from .atomic import write_atomic
    from .gantt import figure_for, render

    if sweep:
        from .sweepplot import sweep_figure as figure_for
    try:
        return write_atomic(path, render(figure_for(trace), fmt))
    except OSError as exc:
        raise RuntimeFailure(f"{path}: cannot write chart ({exc.strerror})") from None


def write_outputs(
    trace: Any, chart_path: Path, trace_path: Path, fmt: str, sweep: bool = False
) -> None:
    """The trace first (it is the data), then the chart; print each path."""
    from .tracefile import save

    try:
        click.echo(save(trace, trace_path))
    except OSError as exc:
        raise RuntimeFailure(f"{trace_path}: cannot write trace ({exc.strerror})") from None
    click.echo(save_chart(trace, chart_path, fmt, sweep))


def main(argv: list[str] | None = None) -> None:
    """Entry point: click's parsing, but our one-line errors and exit codes."""
    try:
        code = cli.main(args=argv, prog_name="loiter-viz", standalone_mode=False)
    except click.UsageError as exc:
        click.echo(f"loiter-viz: error: {_one_line(exc.format_message())}", err=True)
        sys.exit(2)
    except click.ClickException as exc:
        click.echo(f"loiter-viz: error: {_one_line(exc.format_message())}", err=True)
        sys.exit(exc.exit_code)
    except (KeyboardInterrupt, click.Abort):
        click.echo("loiter-viz: interrupted", err=True)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)


def _one_line(message: str) -> str:
    return " ".join(message.split())
