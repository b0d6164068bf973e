"""The option groups commands share, declared once: pool, scenarios, consumer, outputs, chart.

A command takes the groups it has the concept of, so ``run``, ``predict`` and
``sweep`` spell an option the same way. No matplotlib or rich here, so
``--help`` stays instant.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

from loiter.cli.params import (
    MAX_WORKERS,
    Durations,
    Names,
    PathArg,
    PoolSize,
    Seconds,
    Whole,
    WorkerCounts,
)
from loiter.model.names import DEFAULT_STRATEGIES, EXECUTORS, STRATEGY_NAMES, TRACE_VERSIONS
from loiter.model.scenarios import DEFAULT_SCENARIOS, SCENARIOS
from loiter.model.tracecheck import MAX_TASKS
from loiter.render.styles import LANES, STYLE_NAMES


@dataclass(frozen=True)
class ChartOptions:
    """How to draw: the look, the rows, the resolution, and whether to show the result."""

    style: str = "light"
    lanes: str = "auto"
    dpi: int | None = None  # None: the output's own default (120 for charts, 72 for GIFs)
    open: bool = False


def chart_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Add the shared options to a command; it receives them as one ``chart`` argument."""

    @functools.wraps(fn)
    def command(*args: Any, style: str, lanes: str, dpi: int | None, open_: bool, **kw: Any) -> Any:
        return fn(*args, chart=ChartOptions(style, lanes, dpi, open_), **kw)

    def choice(name: str, choices: tuple[str, ...], default: str, help: str) -> Any:
        return click.option(
            name, type=click.Choice(choices), default=default, show_default=True, help=help
        )

    options = (
        choice("--style", STYLE_NAMES, "light", "Look: light, dark, or projector (big type)."),
        choice("--lanes", LANES, "auto", "Rows: per task, per worker, or auto (above 40 tasks)."),
        click.option(
            "--dpi",
            type=Whole(30, 600),
            default=None,
            help="Resolution of PNG charts and animations [default: 120; 72 for GIF].",
        ),
        click.option(
            "--open", "open_", is_flag=True, help="Show the result in the system viewer, if any."
        ),
    )
    for option in reversed(options):
        command = option(command)
    return command


FORMATS = ("png", "svg", "pdf", "html")  # html: the interactive report, one file, offline
F = TypeVar("F", bound=Callable[..., Any])


def stack(*decorators: Callable[[F], F]) -> Callable[[F], F]:
    """Apply click options in the order they are listed (first = first in --help)."""

    def apply(command: F) -> F:
        for decorate in reversed(decorators):
            command = decorate(command)
        return command

    return apply


def workers_option(*, sweep: bool = False) -> Callable[[F], F]:
    """``--workers``: one pool size, or (sweep) the counts to sweep."""
    if sweep:
        return click.option(
            "--workers",
            "-w",
            type=WorkerCounts(),
            default="1-4",
            show_default=True,
            help="Worker counts to sweep, e.g. 1-8 or 1,2,4.",
        )
    return click.option(
        "--workers",
        "-w",
        type=PoolSize(1, MAX_WORKERS),
        default=3,
        show_default=True,
        help="Pool size (max_workers); asyncio: the semaphore's size, 0 for no limit.",
    )


def executor_option(*, sweep: bool = False) -> Callable[[F], F]:
    """``--executor``: where tasks run (sweep: several, comma-separated)."""
    return click.option(
        "--executor",
        "-e",
        type=Names(EXECUTORS) if sweep else click.Choice(EXECUTORS),
        default="thread,process" if sweep else "thread",
        show_default=True,
        help="Executors (comma-separated)." if sweep else "Where the tasks run.",
    )


workload_option = click.option(
    "--workload",
    metavar="loiter|spin|flags|MOD:FN",
    default="loiter",
    show_default=True,
    help="loiter (sleeps, I/O-like), spin (CPU-bound, shows the GIL), flags (downloads from a "
    "local server) or module:function called with each argument.",
)

strategy_option = click.option(
    "--strategy",
    "-s",
    type=Names(STRATEGY_NAMES),
    default=",".join(DEFAULT_STRATEGIES),
    show_default=True,
    help=f"How results are consumed (comma-separated: {', '.join(STRATEGY_NAMES)}).",
)


def scenario_options(*, sweep: bool = False) -> Callable[[F], F]:
    """``--scenario`` and ``--durations`` (and, for runs, the ``--seed`` of shuffles and faults)."""
    if sweep:
        return stack(
            click.option(
                "--scenario",
                type=click.Choice(SCENARIOS),
                default=None,
                help="Preset durations [default: 3,1,2,1,3,1,2,1].",
            ),
            click.option(
                "--durations", "-d", type=Durations(), default=None, help="Custom durations."
            ),
        )
    return stack(
        click.option(
            "--scenario",
            "scenarios",
            type=click.Choice(SCENARIOS),
            multiple=True,
            help=f"Preset durations (repeatable) [default: {', '.join(DEFAULT_SCENARIOS)}].",
        ),
        click.option(
            "--durations",
            "-d",
            type=Durations(),
            default=None,
            help="One custom scenario instead, e.g. 3,1,2 or 0*1000 (in units).",
        ),
        click.option(
            "--seed",
            type=Whole(0),
            default=0,
            show_default=True,
            help="Order of the 'shuffled' scenario, which tasks --error-rate fails; "
            "flags: server delays.",
        ),
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


# How the caller consumes: the knobs that shape a run and its prediction alike.
consumer_options = stack(
    click.option(
        "--chunksize",
        type=Whole(1, MAX_TASKS),
        default=1,
        show_default=True,
        help="map on process pools: calls sent to a worker together.",
    ),
    click.option(
        "--buffersize",
        type=Whole(1, MAX_TASKS),
        help="bounded: tasks submitted ahead of the consumer [default: --workers].",
    ),
    click.option(
        "--consumer-delay",
        type=Seconds(60.0),
        help="Seconds the caller works on each result before asking for the next.",
    ),
)


def output_options(command: F) -> F:
    """``--out DIR``, ``--format``, ``--trace FILE`` and ``--trace-format``: where a command
    writes chart and trace."""
    return stack(
        click.option(
            "--out",
            "-o",
            "out_dir",
            type=PathArg(path_type=Path),
            default=Path("plots"),
            show_default=True,
            help="Folder for the chart and the trace.",
        ),
        click.option(
            "--format",
            "-f",
            "fmt",
            type=click.Choice(FORMATS),
            default="png",
            show_default=True,
            help="Chart file format (html: an interactive report, one file, offline).",
        ),
        click.option(
            "--trace",
            "trace_path",
            type=PathArg(dir_okay=False, path_type=Path),
            help="Where to write the trace JSON [default: next to the chart].",
        ),
        click.option(
            "--trace-format",
            type=click.Choice([str(v) for v in TRACE_VERSIONS]),
            default=str(TRACE_VERSIONS[-1]),
            show_default=True,
            expose_value=False,
            callback=_keep_trace_format,
            help="Trace file version: 1 for readers older than loiter-viz's format 2.",
        ),
    )(command)


TRACE_FORMAT = "loiter.trace_format"  # its key in click's Context.meta


def _keep_trace_format(ctx: click.Context, _param: click.Parameter, value: str) -> None:
    """Kept in the context, where the code that writes the trace reads it
    (:func:`trace_format`), rather than passed through every command."""
    ctx.meta[TRACE_FORMAT] = int(value)


def trace_format() -> int:
    """The ``--trace-format`` of the command running, else the newest version."""
    ctx = click.get_current_context(silent=True)
    return int(ctx.meta.get(TRACE_FORMAT, TRACE_VERSIONS[-1])) if ctx else TRACE_VERSIONS[-1]


def output_option(what: str) -> Callable[[F], F]:
    """``--output/-o FILE`` for commands that re-render a saved trace."""
    return click.option("--output", "-o", type=PathArg(dir_okay=False, path_type=Path), help=what)


trace_argument = click.argument("trace_file", type=PathArg(dir_okay=False, path_type=Path))
quiet_option = click.option(
    "--quiet", "-q", is_flag=True, help="Print only the paths of the files written."
)
json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print JSON on stdout instead of tables (for scripts)."
)
no_color_option = click.option(
    "--no-color", is_flag=True, help="No colours (NO_COLOR and FORCE_COLOR also work)."
)
