"""``loiter-viz trace SCRIPT [ARGS...]``: run someone's program unchanged and record its executors.

The program runs in this process exactly as ``python SCRIPT ARGS`` (or
``python -m MODULE ARGS``) would run it: its argv, ``sys.path[0]``, ``__main__``,
stdout and exit code are its own. loiter-viz speaks only on stderr, after the
program ends, and saves the trace however it ended.
"""

from __future__ import annotations

import importlib.util
import os
import runpy
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

import click

from loiter.cli.errors import RuntimeFailure, catchable
from loiter.cli.options import ChartOptions, chart_options, output_options, trace_format
from loiter.cli.outputs import check_outputs, ready_to_write, save_chart

# The chart draws this many runs at most, the ones that held results longest first.
MAX_PANELS = 12

TRACE_EXAMPLES = """
\b
Examples:
  loiter-viz trace app.py --workers 9         # --workers 9 is the app's own option
  loiter-viz trace -m mypackage.tool input.csv
  loiter-viz trace --quiet --no-chart app.py  # only the trace file, its path on stderr
"""


@click.command(
    "trace",
    epilog=TRACE_EXAMPLES,
    context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
)
@click.option("-m", "module", metavar="MODULE", help="Run a module, as python -m MODULE does.")
@output_options
@click.option("--quiet", "-q", is_flag=True, help="Print only the paths of the files written.")
@click.option("--no-chart", is_flag=True, help="Write the trace only.")
@chart_options
@click.argument("program", nargs=-1, type=click.UNPROCESSED, metavar="SCRIPT [ARGS]...")
def trace_command(
    module: str | None,
    out_dir: Path,
    fmt: str,
    trace_path: Path | None,
    quiet: bool,
    no_chart: bool,
    chart: ChartOptions,
    program: tuple[str, ...],
) -> int:
    """Run a Python program unchanged and record every executor and asyncio.run it uses.

    Everything after SCRIPT (or -m MODULE) is the program's. Its output and exit
    code are its own; loiter-viz prints where results waited on stderr afterwards.
    """
    target = _check_module(module) if module else _check_script(program)
    args = list(program) if module else list(program[1:])
    name = module.replace(".", "-") if module else Path(target).stem
    trace_path = trace_path or out_dir / f"trace-{name}.json"
    chart_path = out_dir / f"trace-{name}.{fmt}"
    drawn_to = None if no_chart else chart_path
    check_outputs(**{"--trace": trace_path, "the chart": drawn_to})
    ready_to_write(trace_path, drawn_to)

    from loiter.record.autotrace import Tracer

    tracer = Tracer()

    def save_now() -> None:
        """Killed: the trace only, and its path, as fast as that goes."""
        from loiter.model.tracefile import save

        try:
            click.echo(save(tracer.stop(), trace_path, trace_format()), err=True)
        except OSError as exc:
            click.echo(f"loiter-viz: {trace_path}: cannot write trace ({exc.strerror})", err=True)

    code = run_program(target, args, as_module=module is not None, tracer=tracer, killed=save_now)
    trace = tracer.trace
    assert trace is not None
    sys.stdout.flush()
    report(trace, trace_path, None if no_chart else chart_path, fmt, chart, quiet)
    if code < 0:
        signal.signal(-code, signal.SIG_DFL)
        signal.raise_signal(-code)
    return code


def _check_script(program: tuple[str, ...]) -> str:
    if not program:
        raise click.UsageError("trace: give a script (or -m MODULE) to run")
    script = Path(program[0])
    if script.is_dir():
        raise click.UsageError(f"trace: {script} is a folder, not a script")
    if not script.is_file():
        raise click.UsageError(f"trace: {script}: no such script")
    return program[0]


def _check_module(module: str) -> str:
    try:
        spec = importlib.util.find_spec(module)
        if spec is not None and spec.submodule_search_locations is not None:
            spec = importlib.util.find_spec(f"{module}.__main__")
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        raise click.UsageError(f"trace: -m {module}: no such module (or package with __main__)")
    return module


def run_program(
    target: str, args: list[str], *, as_module: bool, tracer: Any, killed: Callable[[], None]
) -> int:
    """Run the program as ``python`` would, tracing; the exit code Python would give
    (negative: the signal it would die of, as ``subprocess`` says it).

    SIGTERM and SIGHUP kill it as they would kill it under ``python``, once
    ``killed`` has saved what was recorded (see :func:`_killed_by_signals`).
    """
    argv, path0 = sys.argv[:], sys.path[0]
    sys.argv = [target, *args]
    sys.path[0] = os.getcwd() if as_module else str(Path(target).resolve().parent)
    terminate = _killed_by_signals(killed)
    tracer.start()
    try:
        if as_module:
            runpy.run_module(target, run_name="__main__", alter_sys=True)
        else:
            runpy.run_path(target, run_name="__main__")
    except SystemExit as exc:
        return _exit_code(exc.code)
    except KeyboardInterrupt as exc:
        _print_uncaught(exc)
        return -signal.SIGINT  # Python then dies of SIGINT, so its parent sees Ctrl-C
    except BaseException as exc:
        _print_uncaught(exc)
        return 1
    finally:
        tracer.stop()
        terminate()
        sys.argv, sys.path[0] = argv, path0
    return 0


def _exit_code(code: Any) -> int:
    """What ``sys.exit(code)`` makes the interpreter exit with."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def _print_uncaught(exc: BaseException) -> None:
    """The traceback Python prints, from the program's first frame (not ours or runpy's)."""
    tb: TracebackType | None = exc.__traceback__
    ours = (__file__, runpy.__file__, "<frozen runpy>")
    while tb is not None and tb.tb_frame.f_code.co_filename in ours:
        tb = tb.tb_next
    sys.stdout.flush()
    sys.excepthook(type(exc), exc.with_traceback(tb), tb)  # the hook may print __traceback__


def _killed_by_signals(save: Callable[[], None]) -> Callable[[], None]:
    """SIGTERM and SIGHUP end the program as they end it under ``python``: it dies of the
    signal, and none of its code runs after it, no ``finally`` nor ``except``. (Raised
    into the program as an exception, a signal ran its clean-up, which could hang where
    plain Python would have died.) First ``save`` writes the trace; a second signal
    kills at once, which the atomic write survives. Returns what restores the handlers."""

    def stop(signum: int, frame: Any) -> None:
        for sig in previous:
            signal.signal(sig, signal.SIG_DFL)
        try:
            save()
        finally:
            signal.raise_signal(signum)

    try:
        previous = {sig: signal.signal(sig, stop) for sig in catchable()}
    except ValueError:  # not the main thread
        return lambda: None

    def restore() -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    return restore


def ranked(trace: Any) -> list[tuple[Any, Any]]:
    """Runs with their summaries, the most ordering stall first."""
    pairs = [(run, run.summary()) for run in trace.runs]
    return sorted(pairs, key=lambda p: (-p[1].total_stall, -(p[1].makespan or 0.0)))


def report(
    trace: Any,
    trace_path: Path,
    chart_path: Path | None,
    fmt: str,
    chart: ChartOptions,
    quiet: bool,
) -> None:
    """Save the trace (always), draw the runs that waited most, and say where results waited."""
    from loiter.model.tracefile import save

    try:
        written = [save(trace, trace_path, trace_format())]
    except OSError as exc:
        raise RuntimeFailure(f"{trace_path}: cannot write trace ({exc.strerror})") from None
    runs = ranked(trace)
    drawn = [run for run, _ in runs[:MAX_PANELS]]
    if chart_path is not None and drawn:
        from loiter.model.trace import Trace

        written.append(save_chart(Trace(drawn), chart_path, fmt, chart))
    if not quiet:
        from rich.console import Console

        console = Console(stderr=True)
        if not console.is_terminal:
            console.width = 160  # a log file: one row per run
        if runs:
            console.print(waited_table(runs))
        else:
            console.print("loiter-viz: the program used no concurrent.futures executor")
        left_out = len(runs) - len(drawn)
        if chart_path is not None and left_out > 0:
            console.print(
                f"the chart shows the {len(drawn)} runs that held results longest; "
                f"{left_out} more are in the trace",
                highlight=False,
            )
    for path in written:
        click.echo(path, err=True)


def waited_table(runs: list[tuple[Any, Any]]) -> Any:
    """The answer a user came for: which call site held finished results, and what to do."""
    from rich.table import Table

    from loiter.analyze.advise import advise_run

    table = Table(title="where results waited", title_justify="left")
    for name in ("call site", "tasks", "makespan", "first result", "ordering stall"):
        table.add_column(name, justify="left" if name == "call site" else "right", no_wrap=True)
    table.add_column("advice", ratio=1)

    def seconds(value: float | None) -> str:
        return "-" if value is None else f"{value:.2f} s"

    for run, s in runs:
        advice = advise_run(run).recommendation if run.tasks else ""
        table.add_row(
            call_site(run),
            str(len(run.tasks)),
            seconds(s.makespan),
            seconds(s.first_result),
            seconds(s.total_stall),
            advice,
        )
    return table


def call_site(run: Any) -> str:
    """``app.py:14 map``: where the program asked, and how."""
    return f"{run.scenario} {run.strategy}"
