"""The ``loiter-viz`` command line: click only, a leaf nothing imports.

Each command family has its module (run, replay, sweep, flags); option groups
are declared once in :mod:`loiter.cli.options`. Everything heavy (rich,
matplotlib, the runner) is imported inside the commands, so ``--help`` stays
instant. Usage errors are one line on stderr and exit 2; runtime errors one
line and exit 1.
"""

from __future__ import annotations

import signal
import sys

import click

from loiter.cli.errors import Stopped, stop_signals_raise
from loiter.cli.flags import serve
from loiter.cli.replay import advise, animate_command, export, log, plot, summary
from loiter.cli.run import predict, run
from loiter.cli.sweep import sweep
from loiter.cli.trace import trace_command


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


for command in (
    run,
    predict,
    plot,
    log,
    summary,
    animate_command,
    export,
    sweep,
    advise,
    serve,
    trace_command,
):
    cli.add_command(command)


def main(argv: list[str] | None = None) -> None:
    """Entry point: click's parsing, but our one-line errors and exit codes."""
    try:
        with stop_signals_raise():
            code = cli.main(args=argv, prog_name="loiter-viz", standalone_mode=False)
    except click.UsageError as exc:
        click.echo(f"loiter-viz: error: {_one_line(exc.format_message())}", err=True)
        sys.exit(2)
    except click.ClickException as exc:
        click.echo(f"loiter-viz: error: {_one_line(exc.format_message())}", err=True)
        sys.exit(exc.status if isinstance(exc, Stopped) else exc.exit_code)
    except (KeyboardInterrupt, click.Abort) as exc:
        signum = getattr(exc, "signum", signal.SIGINT)
        reason = "interrupted" if signum == signal.SIGINT else f"stopped by {exc}"
        click.echo(f"loiter-viz: {reason}", err=True)
        sys.exit(128 + signum)
    sys.exit(code if isinstance(code, int) else 0)


def _one_line(message: str) -> str:
    return " ".join(message.split())
