"""Run tasks on a Dask cluster through its concurrent.futures executor, on the caller's clock.

Imported only for ``--executor dask``: ``distributed`` is an optional extra.
Workers read wall-clock time (monotonic clocks are per host) and convert it to
the caller's ``perf_counter`` timeline with the offset estimated for their
address, so the trace holds one timeline like for threads and processes.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import importlib.util
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from loiter.model.names import CLOCK
from loiter.model.options import Options
from loiter.record.clocks import best_offsets
from loiter.record.traced import TracedExecutor
from loiter.record.worker import TimedCall, attach_timings, now

INSTALL_HINT = "--executor dask needs Dask: pip install 'loiter-viz[dask]'"
ROUND_TRIPS = 8
CONNECT_TIMEOUT = "10s"  # an unreachable --scheduler fails in seconds, not half a minute


class MissingExtra(RuntimeError):
    """The optional dependency for an executor is not installed."""


def available() -> bool:
    """Whether the optional extra is installed, without importing it."""
    return importlib.util.find_spec("distributed") is not None


def _distributed() -> Any:
    try:
        import distributed
    except ImportError as exc:
        raise MissingExtra(INSTALL_HINT) from exc
    return distributed


# The keys of the clusters this process started, by scheduler address: a client of
# one of them needs them, and no other process has them.
_KEYS: dict[str, Any] = {}

# No HTTP routes on the scheduler or the workers: no dashboard, metrics or proxy to answer.
NO_HTTP: dict[str, list[str]] = {
    "distributed.scheduler.http.routes": [],
    "distributed.worker.http.routes": [],
}


def start_local_cluster(workers: int) -> Any:
    """Worker processes with one thread each, on loopback only, that only this process can use.

    A scheduler on loopback still takes any local user's connection, and a connected
    client can run code on it (``run_on_scheduler``) as the person running loiter-viz.
    So the cluster speaks TLS with keys made for it alone (``Security.temporary()``,
    held in memory), and its HTTP servers (one even without a dashboard, on 8787 by
    default) get no routes, on a random loopback port.
    """
    import dask

    distributed = _distributed()
    try:
        security = distributed.security.Security.temporary()
    except ImportError as exc:  # cryptography makes the keys
        raise MissingExtra(INSTALL_HINT) from exc
    with dask.config.set(NO_HTTP):
        cluster = distributed.LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            protocol="tls://",
            security=security,
            dashboard_address="127.0.0.1:0",
            scheduler_kwargs={"dashboard": False},  # not even the "needs bokeh" page
        )
    _KEYS[cluster.scheduler_address] = security
    return cluster


def stop_local_cluster(cluster: Any) -> None:
    _KEYS.pop(cluster.scheduler_address, None)
    cluster.close()


def client_for(scheduler: str) -> Any:
    """A client of a cluster of ours (with its keys) or of any other (the user's dask config)."""
    return _distributed().Client(scheduler, timeout=CONNECT_TIMEOUT, security=_KEYS.get(scheduler))


@contextlib.contextmanager
def local_cluster(workers: int) -> Iterator[str]:
    """One cluster for a whole experiment, so every run sees the same workers (and lanes)."""
    cluster = start_local_cluster(workers)
    try:
        yield cluster.scheduler_address
    finally:
        stop_local_cluster(cluster)


class ClusterRecorded:
    """Worker-side wrapper: times the call on the wall clock, hands back caller-clock ns.

    ``shift`` maps a worker address to ``offset + (caller wall - caller perf)``
    in ns, so ``wall - shift`` is the caller's ``perf_counter_ns`` reading.
    """

    __slots__ = ("fn", "shift")

    def __init__(self, fn: Callable[..., Any], shift: dict[str, int]) -> None:
        self.fn = fn
        self.shift = shift

    def __call__(self, *args: Any, **kwargs: Any) -> tuple[Any, int, int, str]:
        started = time.time_ns()
        try:
            value = self.fn(*args, **kwargs)
        except BaseException as exc:
            finished = time.time_ns()
            worker, shift = self._where()
            attach_timings(exc, [(started - shift, finished - shift, worker)])
            raise
        finished = time.time_ns()
        worker, shift = self._where()
        return value, started - shift, finished - shift, worker

    def _where(self) -> tuple[str, int]:
        from distributed import get_worker

        worker = get_worker()
        address = worker.address
        shift = self.shift.get(address, self.shift.get("", 0))
        if worker.state.nthreads > 1:
            address = f"{address}/{threading.current_thread().name}"
        return address, shift

    def __getstate__(self) -> tuple[Any, dict[str, int]]:
        return self.fn, self.shift

    def __setstate__(self, state: tuple[Any, dict[str, int]]) -> None:
        self.fn, self.shift = state


class DaskPool(cf.Executor):
    """A cluster seen as an Executor: a LocalCluster on loopback, or an existing scheduler.

    ``submit`` swaps loiter's same-host wrapper for :class:`ClusterRecorded`;
    everything else goes through ``client.get_executor()`` unchanged.
    """

    def __init__(self, workers: int, scheduler: str | None = None) -> None:
        self.cluster = None
        if scheduler is None:
            self.cluster = start_local_cluster(workers)
            scheduler = self.cluster.scheduler_address
        self.client = client_for(scheduler)
        self.client.wait_for_workers(1 if self.cluster is None else workers)
        self.executor = self.client.get_executor(pure=False)
        self.clock: dict[str, dict[str, float]] = {}
        self._shift: dict[str, int] = {}
        self.calibrate()

    @property
    def trace_options(self) -> dict[str, Any]:
        """What the run keeps of the cluster: each worker's clock offset and uncertainty."""
        return {CLOCK: self.clock}

    def calibrate(self, round_trips: int = ROUND_TRIPS) -> dict[str, dict[str, float]]:
        """Estimate every worker's wall-clock offset from the caller, best of ``round_trips``."""
        samples = []
        for _ in range(round_trips):
            t0 = time.time_ns()
            readings = self.client.run(time.time_ns)
            samples.append((t0, readings, time.time_ns()))
        self.clock = best_offsets(samples)
        wall_minus_perf = time.time_ns() - now()
        self._shift = {w: round(c["offset"] * 1e9) + wall_minus_perf for w, c in self.clock.items()}
        self._shift[""] = wall_minus_perf  # a worker that joined later: assume no offset
        return self.clock

    def wrap(self, fn: Callable[..., Any]) -> ClusterRecorded:
        """The cluster's wrapper for a task function (unwraps loiter's same-host one)."""
        inner = fn.fn if isinstance(fn, TimedCall) else fn
        return ClusterRecorded(inner, self._shift)

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future[Any]:
        if isinstance(fn, TimedCall):
            fn = self.wrap(fn)
        future: cf.Future[Any] = self.executor.submit(fn, *args, **kwargs)  # a ClientExecutor
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.executor.shutdown(wait=wait and not cancel_futures)
        self.client.close()
        if self.cluster is not None:
            stop_local_cluster(self.cluster)


def run_dask_native(
    ex: TracedExecutor, fn: Callable[[Any], Any], args: Sequence[Any], opts: Options
) -> None:
    """Dask's own way: ``client.map`` then ``distributed.as_completed``, recorded alike."""
    from distributed import as_completed

    pool = ex.inner
    if not isinstance(pool, DaskPool):
        raise ValueError("strategy dask_native needs --executor dask")
    rec = ex.recording
    indices = rec.reserve(tuple((arg,) for arg in args))
    futures = pool.client.map(pool.wrap(fn), list(args), pure=False)
    rec.futures[indices.start : indices.stop] = futures
    rec.submit_returned(rec.submitted[indices.start])
    by_key = {future.key: index for index, future in zip(indices, futures)}
    finished = as_completed(futures)
    while True:
        ask = now()
        try:
            future = next(finished)
        except StopIteration:
            return
        index = by_key[future.key]
        try:
            pack = future.result()
        except Exception as exc:  # like as_completed: recorded on the task, the rest goes on
            got = now()
            rec.waited(ask, got, index)
            rec.fail(index, exc, got)
            opts.consume()
            continue
        got = now()
        rec.waited(ask, got, index)
        rec.deliver(index, pack, got)
        opts.consume()
