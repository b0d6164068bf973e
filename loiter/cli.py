"""The ``loiter-viz`` command line.

Parsing and validation live here; everything heavy (rich, matplotlib, the
runner) is imported inside the commands so ``--help`` stays instant. Usage
errors are one line on stderr and exit 2; runtime errors one line and exit 1.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from .chartopts import ChartOptions, chart_options, open_in_viewer
from .flags.cli import flag_options, reject_flag_options, serve
from .names import DEFAULT_STRATEGIES, EXECUTORS, STRATEGY_NAMES
from .params import (
    MAX_TASKS,
    MAX_WORKERS,
    ArgList,
    Durations,
    Indices,
    Names,
    Number,
    PathArg,
    Seconds,
    Whole,
    WorkerCounts,
)
from .scenarios import DEFAULT_SCENARIOS, SCENARIOS

FORMATS = ("png", "svg", "pdf")
F = TypeVar("F", bound=Callable[..., Any])


class RuntimeFailure(click.ClickException):
    """A problem with the environment (files, folders), not with the command line."""

    exit_code = 1


strategy_option = click.option(
    "--strategy",
    "-s",
    type=Names(STRATEGY_NAMES),
    default=",".join(DEFAULT_STRATEGIES),
    show_default=True,
    help=f"How results are consumed (comma-separated: {', '.join(STRATEGY_NAMES)}).",
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
        type=PathArg(path_type=Path),
        default=Path("plots"),
        show_default=True,
        help="Folder for the chart and the trace.",
    )(command)


RUN_EXAMPLES = """
\b
Examples:
  loiter-viz --workers 3                      # book and slow-first, map vs as_completed
  loiter-viz --durations 3,1,2 --unit 0.2     # your own durations, in 0.2 s units
  loiter-viz --scenario slow-first --ideal --style projector   # with the ideal schedule
  loiter-viz -s map,bounded --buffersize 2 --consumer-delay 0.5
  loiter-viz --workload spin -e process       # CPU-bound: processes beat the GIL
  loiter-viz --workload flags --workers 20 -s sequential,map,as_completed
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
    type=Whole(1, MAX_WORKERS),
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
    help="One custom scenario instead, e.g. 3,1,2 or 0*1000 (in units).",
)
@click.option(
    "--seed",
    type=Whole(0),
    default=0,
    show_default=True,
    help="Order of the 'shuffled' scenario, which tasks --error-rate fails; flags: server delays.",
)
@unit_option(0.5)
@output_options
@click.option(
    "--trace",
    "trace_path",
    type=PathArg(dir_okay=False, path_type=Path),
    help="Where to write the trace JSON [default: next to the chart].",
)
# -- how results are consumed, which workload, what fails (issue 5) --
@click.option(
    "--workload",
    metavar="loiter|spin|flags|MOD:FN",
    default="loiter",
    show_default=True,
    help="loiter (sleeps), spin (CPU-bound, shows the GIL), flags (downloads from a "
    "local server) or module:function.",
)
@click.option("--args", "task_args", type=ArgList(), help="Arguments for a module:function.")
@click.option(
    "--chunksize",
    type=Whole(1, MAX_TASKS),
    default=1,
    show_default=True,
    help="map on process pools: calls sent to a worker together.",
)
@click.option(
    "--buffersize",
    type=Whole(1, MAX_TASKS),
    help="bounded: tasks submitted ahead of the consumer [default: --workers].",
)
@click.option(
    "--consumer-delay",
    type=Seconds(60.0),
    help="Seconds the caller works on each result before asking for the next.",
)
@click.option("--timeout", type=Seconds(3600.0), help="Seconds the caller waits in all.")
@click.option("--fail-at", type=Indices(), help="Tasks (by index) that raise.")
@click.option(
    "--error-rate",
    type=Number(0, 1),
    default=0.0,
    help="Share of tasks that raise, picked with --seed.",
)
@click.option(
    "--crash-at",
    type=Indices(),
    help="Tasks whose worker process dies (os._exit); process pools only.",
)
@click.option(
    "--ideal", is_flag=True, help="Compare with the ideal schedule: fidelity table and chart."
)
@click.option("--quiet", "-q", is_flag=True, help="Print only the paths of the files written.")
@click.option(
    "--animate", is_flag=True, help="Also write a GIF replaying the run (MP4 too with ffmpeg)."
)
@chart_options
@click.option("--log", "book", is_flag=True, help="Print the book's text log, rebuilt from events.")
@click.option("--json", "as_json", is_flag=True, help="Print only the summary, as JSON, on stdout.")
@click.option("--no-color", is_flag=True, help="No colours (NO_COLOR and FORCE_COLOR also work).")
@click.option(
    "--scheduler",
    metavar="tcp://HOST:PORT",
    help="With --executor dask: use this running cluster instead of a local one.",
)
@flag_options
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
    workload: str,
    task_args: tuple[Any, ...] | None,
    chunksize: int,
    buffersize: int | None,
    consumer_delay: float | None,
    timeout: float | None,
    fail_at: tuple[int, ...] | None,
    error_rate: float,
    crash_at: tuple[int, ...] | None,
    ideal: bool,
    animate: bool,
    chart: ChartOptions,
    book: bool,
    as_json: bool,
    no_color: bool,
    scheduler: str | None,
    **flag_opts: Any,
) -> None:
    """Run loiter through a pool under each strategy, then draw and save what happened."""
    from .scenarios import custom

    if task_args is not None and (durations is not None or scenarios):
        raise click.UsageError("use either --args or --durations/--scenario, not both")
    check_dask(executor, strategy, scheduler)
    flags = None
    if workload == "flags":
        from .flags.cli import plan

        if durations is not None or scenarios or task_args is not None:
            raise click.UsageError(
                "--durations, --scenario and --args are for other workloads, not --workload flags"
            )
        if fail_at or crash_at:
            raise click.UsageError("--fail-at and --crash-at are not for --workload flags")
        flags = plan(seed, error_rate, **flag_opts)
        chosen = [flags.scenario]
    else:
        reject_flag_options(click.get_current_context(), flag_opts)
        chosen = [custom(task_args)] if task_args else choose_scenarios(durations, scenarios, seed)
    stem = f"{'flags' if flags else 'loiter'}-{executor}-{workers}w"
    chart_path = out_dir / f"{stem}.{fmt}"
    trace_path = trace_path or chart_path.with_suffix(".json")
    exp = experiment(
        chosen,
        strategy,
        executor,
        workers,
        unit,
        workload=workload,
        args_given=task_args is not None,
        chunksize=chunksize,
        buffersize=buffersize,
        consumer_delay=consumer_delay,
        timeout=timeout,
        faults=None
        if flags
        else faults(chosen, strategy, executor, fail_at, error_rate, seed, crash_at),
        scheduler=scheduler,
    )
    for folder in {chart_path.parent, trace_path.parent, *([flags.downloads] if flags else [])}:
        ensure_writable(folder)  # after every option is checked: a typo creates nothing

    from .runner import RunStopped, pool_broke, run_experiment
    from .tables import Summaries, fidelity_table, task_table

    console = make_console(no_color)
    quiet = quiet or as_json
    if not quiet:
        total = len(chosen) * len(strategy)
        detail = f"{len(flags.countries)} flags" if flags else f"unit {unit:g}s"
        console.print(
            f"[bold]loiter-viz[/]: {total} run(s) on a {executor} pool of {workers}, {detail}",
            highlight=False,
        )
    # FORCE_COLOR makes rich treat a pipe as a terminal: colour yes, live frames no.
    live = not quiet and console.is_terminal and sys.stdout.isatty()
    try:
        if flags is not None:
            trace = flags.run(exp, console, quiet)
        else:
            trace = run_experiment(
                exp,
                on_run=None if quiet or live else lambda r: console.print(task_table(r)),
                watch=live_watch(console, exp) if live else None,
            )
    except RunStopped as stopped:
        save_partial(stopped, trace_path)
    except OSError as exc:  # e.g. a --scheduler nobody listens on
        raise RuntimeFailure(f"--executor {executor}: {exc}") from exc
    if book and not as_json:
        print_book_log(trace)
    if not quiet:
        console.print(Summaries(trace))
        if ideal:
            console.print(fidelity_table(trace))
    write_outputs(trace, chart_path, trace_path, fmt, chart, ideal=ideal, echo=not as_json)
    if as_json:
        print_json(trace)
    if animate:
        write_animation(trace, chart_path.with_suffix(".gif"), 1.0, chart)
    broken = [r.label for r in trace if pool_broke(r)]
    if broken:
        raise RuntimeFailure(
            f"a worker process died and broke the pool in {', '.join(broken)} "
            "(BrokenProcessPool); the trace and chart show what was lost"
        )


def check_dask(executor: str, strategy: tuple[str, ...], scheduler: str | None) -> None:
    """Dask options need the dask executor, and the dask executor needs the extra."""
    if scheduler is not None and not scheduler.strip():
        raise click.BadParameter("is empty (expected tcp://HOST:PORT)", param_hint="'--scheduler'")
    if executor != "dask" and (scheduler or "dask_native" in strategy):
        raise click.UsageError("--scheduler and --strategy dask_native need --executor dask")
    if executor == "dask":
        from .dask_executor import INSTALL_HINT, available

        if not available():
            raise click.UsageError(INSTALL_HINT)


def choose_scenarios(
    durations: tuple[float, ...] | None, scenarios: tuple[str, ...], seed: int
) -> list[Any]:
    """--durations or the named presets (default: the book's two)."""
    from .scenarios import custom, preset

    if durations is not None and scenarios:
        raise click.UsageError("use either --durations or --scenario, not both")
    if durations:
        return [custom(durations)]
    return [preset(name, seed) for name in (scenarios or DEFAULT_SCENARIOS)]


def experiment(
    chosen: list[Any],
    strategy: tuple[str, ...],
    executor: str,
    workers: int,
    unit: float,
    *,
    workload: str = "loiter",
    args_given: bool = False,
    chunksize: int = 1,
    buffersize: int | None = None,
    consumer_delay: float | None = None,
    timeout: float | None = None,
    faults: Any = None,
    scheduler: str | None = None,
) -> Any:
    """The Experiment the options describe; the workload is imported and checked here."""
    from .runner import Experiment
    from .strategies import POOLLESS, Options
    from .workloads import WORKLOADS, Faults, WorkloadError, check_importable, resolve

    if args_given and workload in WORKLOADS:
        raise click.UsageError(
            f"--args is for a module:function workload; {workload} takes --durations"
        )
    if chunksize != 1 and "map" not in strategy:
        raise click.UsageError("--chunksize is for --strategy map (on process pools)")
    if buffersize is not None and "bounded" not in strategy:
        raise click.UsageError("--buffersize is for --strategy bounded")
    try:
        fn = None if workload == "flags" else resolve(workload, unit)  # flags: set by its server
        if fn is not None and executor == "process" and any(s not in POOLLESS for s in strategy):
            check_importable(fn)
    except WorkloadError as exc:
        raise click.BadParameter(str(exc), param_hint="'--workload'") from None
    options = Options(
        chunksize=chunksize,
        buffersize=buffersize or workers,
        consumer_delay=consumer_delay or 0.0,
        timeout=timeout,
    )
    return Experiment(
        chosen,
        strategy,
        executor,
        workers,
        unit,
        workload,
        fn,
        options,
        faults or Faults(),
        scheduler,
    )


def faults(
    chosen: list[Any],
    strategy: tuple[str, ...],
    executor: str,
    fail_at: tuple[int, ...] | None,
    error_rate: float,
    seed: int,
    crash_at: tuple[int, ...] | None,
) -> Any:
    """Which tasks fail, checked against the tasks there are and where they run."""
    from .workloads import Faults

    tasks = max(len(s.args) for s in chosen)
    for name, indices in (("--fail-at", fail_at), ("--crash-at", crash_at)):
        for index in indices or ():
            if index >= tasks:
                raise click.BadParameter(
                    f"task {index} does not exist (indices 0 to {tasks - 1})", param_hint=name
                )
    if crash_at and executor != "process":
        raise click.UsageError(
            "--crash-at needs --executor process (os._exit in a thread ends loiter-viz itself)"
        )
    if crash_at and "sequential" in strategy:
        raise click.UsageError(
            "--crash-at cannot be used with the sequential strategy (it runs in loiter-viz itself)"
        )
    return Faults(tuple(fail_at or ()), error_rate, seed, tuple(crash_at or ()))


PREDICT_EXAMPLES = """
\b
Examples:
  loiter-viz predict --scenario slow-first --strategy map,as_completed
  loiter-viz predict -e process --strategy map --chunksize 2 --durations 1,1,1,1,4,1
  loiter-viz predict --strategy bounded --buffersize 2 --consumer-delay 0.5
"""
# The options of ``run`` that shape a prediction (nothing else runs).
PREDICT_OPTIONS = (
    "workers",
    "executor",
    "strategy",
    "scenarios",
    "durations",
    "seed",
    "unit",
    "out_dir",
    "fmt",
    "trace_path",
    "quiet",
    "chunksize",
    "buffersize",
    "consumer_delay",
    "style",
    "lanes",
    "dpi",
    "open_",
)


def predict(**opts: Any) -> None:
    """Draw the ideal schedule (FIFO pool, zero overhead) without running anything.

    Guess first, then run the same options to compare.
    """
    executor, workers, unit = opts["executor"], opts["workers"], opts["unit"]
    chosen = choose_scenarios(opts["durations"], opts["scenarios"], opts["seed"])
    chart_path = opts["out_dir"] / f"predict-{executor}-{workers}w.{opts['fmt']}"
    trace_path = opts["trace_path"] or chart_path.with_suffix(".json")
    exp = experiment(
        chosen,
        opts["strategy"],
        executor,
        workers,
        unit,
        chunksize=opts["chunksize"],
        buffersize=opts["buffersize"],
        consumer_delay=opts["consumer_delay"],
    )
    for folder in {chart_path.parent, trace_path.parent}:
        ensure_writable(folder)
    from .runner import predict_experiment

    trace = predict_experiment(exp)
    if not opts["quiet"]:
        from .tables import Summaries, task_table

        console = make_console(False)
        for run in trace:
            console.print(task_table(run))
        console.print(Summaries(trace))
    title = f"predicted: loiter on a {executor} pool, {workers} workers, unit {unit:g}s"
    chart = ChartOptions(opts["style"], opts["lanes"], opts["dpi"], opts["open_"])
    write_outputs(trace, chart_path, trace_path, opts["fmt"], chart, title=title)


cli.add_command(
    click.Command(
        "predict",
        params=[p for p in run.params if p.name in PREDICT_OPTIONS],
        callback=predict,
        help=predict.__doc__,
        epilog=PREDICT_EXAMPLES,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
)


def output_option(what: str) -> Any:
    """``--output/-o FILE`` for commands that re-render a saved trace."""
    return click.option("--output", "-o", type=PathArg(dir_okay=False, path_type=Path), help=what)


cli.add_command(serve)


@cli.command()
@click.argument("trace_file", type=PathArg(dir_okay=False, path_type=Path))
def log(trace_file: Path) -> None:
    """Print the book's text log of a saved trace, rebuilt from its timestamps.

    \b
    Example:
      loiter-viz log plots/loiter-thread-3w.json
    """
    print_book_log(load_trace(trace_file))


@cli.command()
@click.argument("trace_file", type=PathArg(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--no-color", is_flag=True, help="No colours (NO_COLOR and FORCE_COLOR also work).")
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
        from .tables import Summaries

        make_console(no_color).print(Summaries(trace))


def live_watch(console: Any, exp: Any) -> Any:
    """The live view for each run of ``exp`` (only on a terminal)."""
    from .live import expected_span, watching

    def watch(traced: Any, scenario: Any, strategy: str, events: Any) -> Any:
        durations = [a * exp.unit for a in scenario.args if isinstance(a, (int, float))]
        return watching(
            console,
            traced.recording,
            scenario.args,
            events,
            title=f"{scenario.name} / {strategy}  ({exp.executor}, {exp.workers} workers)",
            strategy=strategy,
            expected=expected_span(durations, exp.workers, strategy),
        )

    return watch


def make_console(no_color: bool) -> Any:
    """rich decides terminal or not (no control codes in pipes), NO_COLOR and FORCE_COLOR."""
    from rich.console import Console

    return Console(no_color=True) if no_color else Console()


def print_book_log(trace: Any) -> None:
    """Plain text, never through rich: the log must be exactly the book's lines."""
    from .booklog import book_log

    click.echo(book_log(trace), nl=False)


def print_json(trace: Any) -> None:
    import json

    from .tables import summary_json

    click.echo(json.dumps(summary_json(trace), indent=2))


@cli.command()
@click.argument("trace_file", type=PathArg(dir_okay=False, path_type=Path))
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
    trace = load_trace(trace_file)
    if fmt is None:
        suffix = output.suffix.lstrip(".").lower() if output else ""
        fmt = suffix if suffix in FORMATS else "png"
    output = output or trace_file.with_suffix(f".{fmt}")
    ensure_writable(output.parent)
    click.echo(save_chart(trace, output, fmt, chart, ideal=ideal))


@cli.command("animate")
@click.argument("trace_file", type=PathArg(dir_okay=False, path_type=Path))
@output_option("GIF file [default: the trace's path with .gif]; an MP4 beside it with ffmpeg.")
@click.option(
    "--speed",
    type=Seconds(1000.0, what="speed"),
    default=1.0,
    show_default=True,
    help="Replay speed: 2 plays twice as fast as the run was.",
)
@chart_options
def animate_command(
    trace_file: Path, output: Path | None, speed: float, chart: ChartOptions
) -> None:
    """Replay a saved trace as an animation: bars grow, results pop into the caller lane.

    \b
    Example:
      loiter-viz animate plots/loiter-thread-3w.json -o lecture.gif --speed 0.5
    """
    trace = load_trace(trace_file)
    output = output or trace_file.with_suffix(".gif")
    if output.suffix.lower() != ".gif":
        raise click.BadParameter(f"{output}: must end in .gif", param_hint="'--output'")
    ensure_writable(output.parent)
    write_animation(trace, output, speed, chart)


def write_animation(trace: Any, path: Path, speed: float, chart: ChartOptions) -> None:
    from .animate import animate

    try:
        written = animate(
            trace, path, speed=speed, style=chart.style, lanes=chart.lanes, dpi=chart.dpi or 72
        )
    except OSError as exc:
        raise RuntimeFailure(f"{path}: cannot write animation ({exc.strerror})") from None
    for out in written:
        click.echo(out)
    if chart.open:
        open_in_viewer(written[0])


@cli.command()
@click.argument("trace_file", type=PathArg(dir_okay=False, path_type=Path))
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

    from .atomic import write_atomic
    from .export import to_chrome, to_csv

    trace = load_trace(trace_file)
    output = output or trace_file.with_suffix(".chrome.json" if fmt == "chrome" else ".csv")
    ensure_writable(output.parent)
    data = json.dumps(to_chrome(trace)) if fmt == "chrome" else to_csv(trace)
    try:
        click.echo(write_atomic(output, data.encode()))
    except OSError as exc:
        raise RuntimeFailure(f"{output}: cannot write export ({exc.strerror})") from None


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
    metavar="loiter|spin|flags|MOD:FN",
    default="loiter",
    show_default=True,
    help="loiter sleeps (I/O-like), spin burns CPU (shows the GIL), flags downloads from a "
    "local server (its 20 countries), or module:function called with each duration.",
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
    type=Whole(1, 100),
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
    from dataclasses import replace

    from .scenarios import Scenario, custom, preset
    from .sweep import SWEEP_ARGS, Sweep
    from .workloads import WorkloadError, resolve

    if durations is not None and scenario:
        raise click.UsageError("use either --durations or --scenario, not both")
    chosen = (
        custom(durations)
        if durations
        else preset(scenario)
        if scenario
        else Scenario("mixed", SWEEP_ARGS)
    )
    if "dask" in executor:
        check_dask("dask", strategy, None)
    try:
        fn = None if workload == "flags" else resolve(workload, unit)  # flags: set by its server
    except WorkloadError as exc:
        raise click.BadParameter(str(exc), param_hint="'--workload'") from None
    ensure_writable(out_dir)  # after every option is checked: a typo creates nothing
    grid = Sweep(chosen, workers, executor, strategy, workload, unit, repeat, fn)
    if workload == "flags":
        from .flags.cli import default_plan

        flags = default_plan(out_dir / "downloads")
        with flags.task() as fn:
            trace = run_with_progress(replace(grid, scenario=flags.scenario, fn=fn))
    else:
        trace = run_with_progress(grid)
    name = workload if workload.isidentifier() else "custom"
    stem = f"sweep-{name}-{workers[0]}-{workers[-1]}w"
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
@click.argument("trace_file", type=PathArg(dir_okay=False, path_type=Path))
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


class Stopped(click.ClickException):
    """The run ended early; the partial trace is on disk (no chart: exit fast)."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def save_partial(stopped: Any, trace_path: Path) -> None:
    """Keep what was recorded before Ctrl-C or a dead worker, then stop with its exit code."""
    from .tracefile import save

    try:
        saved = f"partial trace saved to {save(stopped.trace, trace_path)}"
    except OSError as exc:
        saved = f"partial trace NOT saved ({trace_path}: {exc.strerror})"
    raise Stopped(f"{stopped.reason}; {saved}", 130 if stopped.interrupted else 1)


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
    ``sweep`` draws a sweep's scaling lines instead of Gantt panels."""
    from .atomic import write_atomic
    from .gantt import figure_for, render

    chart = chart or ChartOptions()
    ideal_for = None
    if ideal:
        from .schedule import ideal_for
    if sweep:
        from .sweepplot import sweep_figure

        figure = sweep_figure(trace, title=title)
    else:
        figure = figure_for(
            trace, title=title, style=chart.style, lanes=chart.lanes, ideal=ideal_for
        )
    try:
        written = write_atomic(path, render(figure, fmt, dpi=chart.dpi or 120))
    except OSError as exc:
        raise RuntimeFailure(f"{path}: cannot write chart ({exc.strerror})") from None
    if chart.open:
        open_in_viewer(written)
    return written


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
) -> None:
    """The trace first (it is the data), then the chart; print each path unless told not to."""
    from .tracefile import save

    try:
        saved = save(trace, trace_path)
    except OSError as exc:
        raise RuntimeFailure(f"{trace_path}: cannot write trace ({exc.strerror})") from None
    written = save_chart(trace, chart_path, fmt, chart, ideal=ideal, title=title, sweep=sweep)
    if echo:
        click.echo(saved)
        click.echo(written)


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


from .tracecmd import trace_command  # noqa: E402  (it uses the helpers above)

cli.add_command(trace_command)
