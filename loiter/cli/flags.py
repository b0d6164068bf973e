"""Command-line pieces for flags: ``serve``, and the ``--workload flags`` options of ``run``.

Only click is imported here; the server, httpx and Pillow load when used, so
``loiter-viz --help`` stays instant.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..workloads.flags.countries import COUNTRY_CODES, POP20_CC
from ..workloads.flags.plan import DEFAULT_DELAY
from .errors import RuntimeFailure
from .params import Number, PathArg, Whole

if TYPE_CHECKING:
    from rich.console import Console

    from ..execute.runner import Experiment
    from ..model.trace import Run, Trace
    from ..workloads.flags.plan import FlagsPlan
    from ..workloads.flags.server import Served

MAX_DELAY = 60.0
CC = re.compile(r"[A-Za-z]{2}")


class DelayRange(click.ParamType[tuple[float, float]]):
    """``MIN,MAX`` seconds (or one number for a fixed delay), 0 <= MIN <= MAX <= 60."""

    name = "min,max"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> tuple[float, float]:
        if isinstance(value, tuple):
            return value
        parts = [p.strip() for p in str(value).split(",")]
        try:
            numbers = [float(p) for p in parts]
        except ValueError:
            self.fail(f"{value!r} is not MIN,MAX seconds (e.g. 0.1,0.5)", param, ctx)
        if len(numbers) == 1:
            numbers *= 2
        if len(numbers) != 2 or not all(math.isfinite(n) for n in numbers):
            self.fail(f"{value!r} is not MIN,MAX seconds (e.g. 0.1,0.5)", param, ctx)
        low, high = numbers
        if not 0 <= low <= high <= MAX_DELAY:
            self.fail(f"{value!r} is out of range (0 <= MIN <= MAX <= {MAX_DELAY:g})", param, ctx)
        return low, high


class CountryCodes(click.ParamType[tuple[str, ...]]):
    """Comma-separated two-letter codes, upper-cased, order kept; unknown ones get a 404."""

    name = "CC,CC,..."

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> tuple[str, ...]:
        if isinstance(value, tuple):
            return value
        codes = [c.strip() for c in str(value).split(",") if c.strip()]
        if not codes:
            self.fail("is empty (expected codes like CN,IN,US)", param, ctx)
        for code in codes:
            if not CC.fullmatch(code):
                self.fail(f"{code!r} is not a two-letter country code (e.g. CN)", param, ctx)
        return tuple(dict.fromkeys(c.upper() for c in codes))


# How slow the server is: shared by ``serve`` and ``--workload flags`` (whose
# --error-rate is run's own: the share of tasks that fail, here as 503s).
delay_option = click.option(
    "--delay",
    type=DelayRange(),
    default=",".join(map(str, DEFAULT_DELAY)),
    show_default=True,
    help="Flags: server latency, uniform in MIN,MAX seconds (seeded by --seed).",
)


def flag_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """The ``run`` options of ``--workload flags`` (they reach ``run`` as ``**flag_opts``)."""
    for option in reversed(
        [
            click.option(
                "--countries",
                type=CountryCodes(),
                help="Flags: which countries [default: the book's 20 most populous].",
            ),
            click.option(
                "--all", "all_countries", is_flag=True, help="Flags: every ISO country code."
            ),
            click.option("--limit", type=Whole(1), help="Flags: only the first N."),
            click.option(
                "--downloads",
                type=PathArg(file_okay=False, path_type=Path),
                default=Path("downloads"),
                show_default=True,
                help="Flags: folder for the downloaded GIFs.",
            ),
            click.option(
                "--http-timeout",
                type=Number(0, 600, low_open=True),
                default=None,
                help="Flags: seconds before a request gives up [default: 10].",
            ),
        ]
    ):
        f = option(f)
    return delay_option(f)


def run_flags(plan: FlagsPlan, exp: Experiment, console: Console, quiet: bool) -> Trace:
    """Every strategy of ``exp`` against one local server; a progress bar and tables per run."""
    from ..execute.runner import run_experiment
    from ..render.terminal.progress import RunProgress
    from ..render.terminal.tables import task_table
    from ..render.words import flags_report

    on_loop = exp.executor == "asyncio"
    with plan.task(on_loop) as fn, nullcontext() if quiet else RunProgress(console) as progress:
        exp = replace(exp, scenarios=[plan.scenario], workload="flags", fn=fn)

        def on_run(run: Run) -> None:
            run.options.update(plan.options())
            if progress is not None:
                progress.on_run(run)
                console.print(task_table(run))
                console.print(flags_report(run), highlight=False)

        return run_experiment(exp, on_run, on_start=progress.on_start if progress else None)


def plan(seed: int, error_rate: float, **opts: Any) -> FlagsPlan:
    """Check the flags options together; a conflict is a usage error."""
    from ..workloads.flags.plan import FlagsPlan
    from ..workloads.flags.server import Behaviour

    if opts["countries"] and opts["all_countries"]:
        raise click.UsageError("use either --countries or --all, not both")
    countries = opts["countries"] or (COUNTRY_CODES if opts["all_countries"] else POP20_CC)
    if opts["limit"]:
        countries = countries[: opts["limit"]]
    behaviour = Behaviour(opts["delay"], error_rate, seed)
    return FlagsPlan(countries, behaviour, opts["downloads"], opts["http_timeout"] or 10.0)


def reject_flag_options(ctx: click.Context, opts: dict[str, Any]) -> None:
    """Flags options given for another workload are a mistake worth one line."""
    given = [
        name
        for name in opts
        if ctx.get_parameter_source(name) == click.core.ParameterSource.COMMANDLINE
    ]
    if given:
        names = ", ".join("--" + n.replace("_", "-").replace("all-countries", "all") for n in given)
        raise click.UsageError(f"{names}: only with --workload flags")


@click.command()
@click.option(
    "--port",
    "-p",
    type=Whole(0, 65535),
    default=8001,
    show_default=True,
    help="TCP port on 127.0.0.1 (0 picks a free one).",
)
@delay_option
@click.option(
    "--error-rate",
    type=Number(0, 1),
    default=0.0,
    show_default=True,
    help="Share of requests answered 503 (seeded by --seed).",
)
@click.option("--seed", type=Whole(0), default=0, show_default=True, help="Seed of delays/errors.")
@click.option("--quiet", "-q", is_flag=True, help="Do not log each request.")
def serve(port: int, delay: tuple[float, float], error_rate: float, seed: int, quiet: bool) -> None:
    """Serve flag GIFs on 127.0.0.1 with injected latency and errors, until Ctrl-C.

    \b
    GET /flags/<cc>/<cc>.gif (lower case) for every ISO country code;
    404 for anything else.
    \b
    Example:
      loiter-viz serve --port 8001 --delay 0.1,0.8 --error-rate 0.1
    """
    from ..workloads.flags.server import Behaviour, FlagServer

    try:
        server = FlagServer(
            Behaviour(delay, error_rate, seed), port, on_served=None if quiet else _log
        )
    except OSError as exc:
        raise RuntimeFailure(
            f"--port {port}: cannot listen on 127.0.0.1 ({exc.strerror})"
        ) from None
    click.echo(
        f"Serving {len(COUNTRY_CODES)} flags at {server.base_url}/<cc>/<cc>.gif "
        f"(delay {delay[0]:g}-{delay[1]:g}s, error rate {error_rate:g}, seed {seed}); "
        "Ctrl-C stops"
    )
    try:
        server.serve_forever(poll_interval=0.1)
    except KeyboardInterrupt:
        click.echo("stopped", err=True)
    finally:
        server.stopping.set()
        server.server_close()


def _log(entry: Served) -> None:
    from loiter.model.safetext import safe  # the path is the client's: escape it

    took = entry.sent - entry.received
    stamp = time.strftime("%H:%M:%S")
    click.echo(f"[{stamp}] {entry.status} {safe(entry.path)} {entry.size} B in {took:.3f}s")
