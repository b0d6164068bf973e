"""``loiter-viz run`` (the default command) and ``predict``: run an experiment, or predict it."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from loiter.cli.abandoned import ends_past_abandoned, say_abandoned
from loiter.cli.errors import RuntimeFailure
from loiter.cli.flags import flag_options, reject_flag_options
from loiter.cli.options import (
    ChartOptions,
    chart_options,
    consumer_options,
    executor_option,
    json_option,
    no_color_option,
    output_options,
    quiet_option,
    scenario_options,
    stack,
    strategy_option,
    unit_option,
    workers_option,
    workload_option,
)
from loiter.cli.outputs import (
    after_saving,
    check_outputs,
    ensure_writable,
    make_console,
    print_book_log,
    print_json,
    ready_to_write,
    save_partial,
    save_trace,
    write_animation,
    write_outputs,
)
from loiter.cli.params import MAX_WORKERS, ArgList, Indices, Number, Seconds
from loiter.model.scenarios import DEFAULT_SCENARIOS

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


@click.command(epilog=RUN_EXAMPLES)
@stack(workers_option(), executor_option(), strategy_option, scenario_options(), unit_option(0.5))
@output_options
# -- which workload, how results are consumed, what fails --
@workload_option
@click.option("--args", "task_args", type=ArgList(), help="Arguments for a module:function.")
@consumer_options
@click.option("--timeout", type=Seconds(3600.0), help="Seconds the caller waits in all.")
@click.option(
    "--return-exceptions",
    is_flag=True,
    help="asyncio gather: failures come back as results (gather(return_exceptions=True)).",
)
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
@quiet_option
@click.option(
    "--animate", is_flag=True, help="Also write a GIF replaying the run (MP4 too with ffmpeg)."
)
@chart_options
@click.option("--log", "book", is_flag=True, help="Print the book's text log, rebuilt from events.")
@json_option
@no_color_option
@click.option(
    "--scheduler",
    metavar="tcp://HOST:PORT",
    help="With --executor dask: use this running cluster instead of a local one.",
)
@flag_options
@ends_past_abandoned
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
    return_exceptions: bool,
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
    from loiter.model.scenarios import custom

    if task_args is not None and (durations is not None or scenarios):
        raise click.UsageError("use either --args or --durations/--scenario, not both")
    check_dask(executor, strategy, scheduler)
    strategy = check_executor(executor, strategy, workers, return_exceptions)
    flags = None
    if workload == "flags":
        from loiter.cli.flags import plan, run_flags

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
    gif = chart_path.with_suffix(".gif") if animate else None
    mp4 = chart_path.with_suffix(".mp4") if animate else None
    check_outputs(
        **{"--trace": trace_path, "the chart": chart_path, "the animation": gif, "its MP4": mp4}
    )
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
        return_exceptions=return_exceptions,
        faults=None
        if flags
        else faults(chosen, strategy, executor, fail_at, error_rate, seed, crash_at),
        scheduler=scheduler,
    )
    ready_to_write(trace_path, chart_path, gif)  # after every option is checked: a typo
    if flags:  # creates nothing
        ensure_writable(flags.downloads)

    from loiter.execute.runner import RunStopped, pool_broke, run_experiment
    from loiter.render.terminal.tables import Summaries, fidelity_table, task_table

    console = make_console(no_color)
    quiet = quiet or as_json
    if not quiet:
        total = len(chosen) * len(strategy)
        detail = f"{len(flags.countries)} flags" if flags else f"unit {unit:g}s"
        where = (
            f"an asyncio event loop, {f'{workers} slots' if workers else 'no limit'}"
            if executor == "asyncio"
            else f"a {executor} pool of {workers}"
        )
        console.print(f"[bold]loiter-viz[/]: {total} run(s) on {where}, {detail}", highlight=False)
    # FORCE_COLOR makes rich treat a pipe as a terminal: colour yes, live frames no. The live
    # view watches pool workers; an event loop's tasks get their tables after each run.
    live = not quiet and console.is_terminal and sys.stdout.isatty()
    try:
        if flags is not None:
            trace = run_flags(flags, exp, console, quiet)
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
    saved = save_trace(trace, trace_path)  # the data first: what follows may be interrupted
    say_abandoned(trace, timeout)
    with after_saving(saved):
        if book and not as_json:
            print_book_log(trace)
        if not quiet:
            console.print(Summaries(trace))
            if ideal:
                console.print(fidelity_table(trace))
        write_outputs(
            trace, chart_path, trace_path, fmt, chart, ideal=ideal, echo=not as_json, saved=saved
        )
        if as_json:
            print_json(trace)
        if animate:
            write_animation(trace, chart_path.with_suffix(".gif"), None, chart)
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
        from loiter.execute.dask import INSTALL_HINT, available

        if not available():
            raise click.UsageError(INSTALL_HINT)


def check_executor(
    executor: str, strategy: tuple[str, ...], workers: int, return_exceptions: bool
) -> tuple[str, ...]:
    """The strategies to run on ``executor`` (asyncio's own pair when none were asked for);
    a strategy or an option the executor does not have is a usage error."""
    from loiter.model.names import ASYNCIO_DEFAULT_STRATEGIES, STRATEGY_INFO, strategies_on

    source = click.get_current_context().get_parameter_source("strategy")
    if executor == "asyncio" and source == click.core.ParameterSource.DEFAULT:
        strategy = ASYNCIO_DEFAULT_STRATEGIES
    for name in strategy:
        if name not in strategies_on(executor):
            where = ", ".join(STRATEGY_INFO[name].executors)
            raise click.UsageError(
                f"--strategy {name} runs on --executor {where}, not {executor} "
                f"(on {executor}: {', '.join(strategies_on(executor))})"
            )
    if workers == 0 and executor != "asyncio":
        raise click.BadParameter(
            f"0 (no limit) is only for --executor asyncio (a pool: 1<=n<={MAX_WORKERS})",
            param_hint="'--workers'",
        )
    if return_exceptions and "gather" not in strategy:
        raise click.UsageError("--return-exceptions is for --strategy gather (--executor asyncio)")
    return strategy


def choose_scenarios(
    durations: tuple[float, ...] | None, scenarios: tuple[str, ...], seed: int
) -> list[Any]:
    """--durations or the named presets (default: the book's two)."""
    from loiter.model.scenarios import custom, preset

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
    return_exceptions: bool = False,
    faults: Any = None,
    scheduler: str | None = None,
) -> Any:
    """The Experiment the options describe; the workload is imported and checked here."""
    from loiter.execute.executors import safe_start_method
    from loiter.execute.runner import Experiment
    from loiter.model.names import POOLLESS, WORKLOADS
    from loiter.model.options import Options
    from loiter.workloads.faults import Faults
    from loiter.workloads.functions import WorkloadError, check_importable, resolve

    if args_given and workload in WORKLOADS:
        raise click.UsageError(
            f"--args is for a module:function workload; {workload} takes --durations"
        )
    if chunksize != 1 and "map" not in strategy:
        raise click.UsageError("--chunksize is for --strategy map (on process pools)")
    if buffersize is not None and "bounded" not in strategy:
        raise click.UsageError("--buffersize is for --strategy bounded")
    try:
        if executor == "asyncio" and workload != "flags":  # resolved by the runner; checked here
            from loiter.workloads.aio import resolve_async

            resolve_async(workload, unit)
        fn = None if workload in ("flags",) or executor == "asyncio" else resolve(workload, unit)
        if fn is not None and executor == "process" and any(s not in POOLLESS for s in strategy):
            check_importable(fn, safe_start_method(fn))
    except WorkloadError as exc:
        raise click.BadParameter(str(exc), param_hint="'--workload'") from None
    options = Options(
        chunksize=chunksize,
        buffersize=buffersize or workers,
        consumer_delay=consumer_delay or 0.0,
        timeout=timeout,
        return_exceptions=return_exceptions,
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
    from loiter.workloads.faults import Faults

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


def live_watch(console: Any, exp: Any) -> Any:
    """The live view for each run of ``exp`` (only on a terminal)."""
    from loiter.render.terminal.live import expected_span, watching

    lanes = f"{exp.workers} slots" if exp.executor == "asyncio" else f"{exp.workers} workers"

    def watch(recording: Any, scenario: Any, strategy: str, events: Any) -> Any:
        durations = [a * exp.unit for a in scenario.args if isinstance(a, (int, float))]
        return watching(
            console,
            recording,
            scenario.args,
            events,
            title=f"{scenario.name} / {strategy}  ({exp.executor}, {lanes})",
            strategy=strategy,
            expected=expected_span(durations, exp.workers, strategy),
        )

    return watch


PREDICT_EXAMPLES = """
\b
Examples:
  loiter-viz predict --scenario slow-first --strategy map,as_completed
  loiter-viz predict -e process --strategy map --chunksize 2 --durations 1,1,1,1,4,1
  loiter-viz predict --strategy bounded --buffersize 2 --consumer-delay 0.5
"""


@click.command(epilog=PREDICT_EXAMPLES)
@stack(workers_option(), executor_option(), strategy_option, scenario_options(), unit_option(0.5))
@output_options
@consumer_options
@quiet_option
@chart_options
@json_option
@no_color_option
def predict(
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
    chunksize: int,
    buffersize: int | None,
    consumer_delay: float | None,
    quiet: bool,
    chart: ChartOptions,
    as_json: bool,
    no_color: bool,
) -> None:
    """Draw the ideal schedule (FIFO pool, zero overhead) without running anything.

    Guess first, then run the same options to compare.
    """
    strategy = check_executor(executor, strategy, workers, return_exceptions=False)
    chosen = choose_scenarios(durations, scenarios, seed)
    chart_path = out_dir / f"predict-{executor}-{workers}w.{fmt}"
    trace_path = trace_path or chart_path.with_suffix(".json")
    check_outputs(**{"--trace": trace_path, "the chart": chart_path})
    exp = experiment(
        chosen,
        strategy,
        executor,
        workers,
        unit,
        chunksize=chunksize,
        buffersize=buffersize,
        consumer_delay=consumer_delay,
    )
    ready_to_write(trace_path, chart_path)
    from loiter.analyze.predict import predict_trace

    trace = predict_trace(
        exp.scenarios,
        exp.strategies,
        executor=executor,
        workers=workers,
        unit=unit,
        options=exp.options,
    )
    if not (quiet or as_json):
        from loiter.render.terminal.tables import Summaries, task_table

        console = make_console(no_color)
        for run in trace:
            console.print(task_table(run))
        console.print(Summaries(trace))
    title = f"predicted: loiter on a {executor} pool, {workers} workers, unit {unit:g}s"
    write_outputs(trace, chart_path, trace_path, fmt, chart, title=title, echo=not as_json)
    if as_json:
        print_json(trace)
