"""A rich progress bar per run that advances as tasks *finish*, with a delivered counter.

Finishing and delivering are different moments (that is the point of this
tool), so the bar shows both: under ``map`` the delivered count lags behind.
A poller thread reads the run's Recording; the hot path is not touched.
"""

from __future__ import annotations

import threading
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from loiter.model.scenarios import Scenario
from loiter.model.trace import Run
from loiter.record.recording import UNSET, Recording

POLL = 0.05  # seconds between counts: smooth to the eye, negligible work


class RateColumn(ProgressColumn):
    """Finished tasks per second."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:.3g}/s" if speed else "–/s", style="progress.data.speed")


def counts(recording: Recording) -> tuple[int, int]:
    """(finished, delivered) so far; safe to call from another thread."""
    n = len(recording)
    started, futures = recording.started_ns, recording.futures
    finished = sum(
        1 for i in range(n) if started[i] != UNSET or ((f := futures[i]) is not None and f.done())
    )
    return finished, n - recording.delivered_ns[:n].count(UNSET)


def progress_bar(console: Console, *middle: ProgressColumn, transient: bool = False) -> Progress:
    """The one progress bar: what, a bar, done of total, the ``middle`` columns, ETA."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(bar_width=20),
        MofNCompleteColumn(),
        *middle,
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
        transient=transient,
    )


class RunProgress:
    """Use as ``on_start``/``on_run`` hooks of :func:`loiter.execute.runner.run_experiment`."""

    def __init__(self, console: Console) -> None:
        self.progress = progress_bar(
            console, TextColumn("finished · {task.fields[delivered]} delivered"), RateColumn()
        )
        self._current: tuple[TaskID, Recording] | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()  # the final count must not be overwritten by a late poll
        self._poller = threading.Thread(target=self._poll, name="loiter-progress", daemon=True)

    def __enter__(self) -> RunProgress:
        self.progress.start()
        self._poller.start()
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self._stop.set()
        self._poller.join()
        self.progress.stop()

    def on_start(self, scenario: Scenario, strategy: str, recording: Recording) -> None:
        task_id = self.progress.add_task(
            f"{scenario.name} / {strategy}", total=len(scenario.args), delivered=0
        )
        self._current = (task_id, recording)

    def on_run(self, run: Run) -> None:
        with self._lock:
            current, self._current = self._current, None
        if current is not None:
            finished = sum(t.finished is not None for t in run.tasks)
            delivered = sum(t.delivered is not None for t in run.tasks)
            self.progress.update(current[0], completed=finished, delivered=delivered)
            self.progress.stop_task(current[0])

    def _poll(self) -> None:
        while not self._stop.wait(POLL):
            with self._lock:
                current = self._current
                if current is not None:
                    finished, delivered = counts(current[1])
                    self.progress.update(current[0], completed=finished, delivered=delivered)
