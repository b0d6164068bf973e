"""``loiter-viz sweep``: a grid of worker counts x executors x strategies, and how it scales."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from loiter.cli.options import (
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
    check_outputs,
    make_console,
    print_json,
    ready_to_write,
    save_partial,
    write_outputs,
)
from loiter.cli.params import Whole
from loiter.cli.run import check_dask


@click.command()
@stack(workers_option(sweep=True), executor_option(sweep=True), workload_option, strategy_option)
@scenario_options(sweep=True)
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
@quiet_option
@json_option
@no_color_option
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
    trace_path: Path | None,
    quiet: bool,
    as_json: bool,
    no_color: bool,
) -> None:
    """Run a grid of worker counts x executors x strategies; chart how it scales.

    \b
    Example (the GIL in one picture):
      loiter-viz sweep --workload spin --workers 1-4 --repeat 3 --unit 0.05
    """
    from dataclasses import replace

    from loiter.execute.runner import RunStopped
    from loiter.execute.sweep import SWEEP_ARGS, Sweep
    from loiter.model.scenarios import Scenario, custom, preset
    from loiter.workloads.functions import WorkloadError, resolve

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
    name = workload if workload.isidentifier() else "custom"
    stem = f"sweep-{name}-{workers[0]}-{workers[-1]}w"
    chart_path = out_dir / f"{stem}.{fmt}"
    trace_path = trace_path or chart_path.with_suffix(".json")
    check_outputs(**{"--trace": trace_path, "the chart": chart_path})
    ready_to_write(trace_path, chart_path)  # after every option is checked: a typo creates nothing
    grid = Sweep(chosen, workers, executor, strategy, workload, unit, repeat, fn)
    bar = None if quiet or as_json else make_console(no_color, stderr=True)
    try:
        if workload == "flags":
            from loiter.workloads.flags.plan import default_plan

            flags = default_plan(out_dir / "downloads")
            with flags.task() as fn:
                trace = run_with_progress(replace(grid, scenario=flags.scenario, fn=fn), bar)
        else:
            trace = run_with_progress(grid, bar)
    except RunStopped as stopped:
        save_partial(stopped, trace_path)
    write_outputs(trace, chart_path, trace_path, fmt, sweep=True, echo=not as_json)
    if as_json:
        print_json(trace)


def run_with_progress(grid: Any, console: Any | None) -> Any:
    """The sweep with a progress bar (runs done / total, ETA) on ``console``, if any."""
    from loiter.execute.sweep import run_sweep
    from loiter.render.terminal.progress import progress_bar

    if console is None:
        return run_sweep(grid)
    with progress_bar(console, transient=True) as progress:
        bar = progress.add_task("sweep", total=grid.total)

        def advance(run: Any) -> None:
            progress.update(
                bar, advance=1, description=f"{run.executor} x{run.workers} {run.strategy}"
            )

        return run_sweep(grid, on_run=advance)
