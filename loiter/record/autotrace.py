"""Record every concurrent.futures executor a program makes, without the program knowing.

While a :class:`Tracer` is active the standard library's pool classes are
patched in place: ``ThreadPoolExecutor`` and ``ProcessPoolExecutor`` (so their
subclasses, the pools libraries make and asyncio's default executor too) note
where they were created, and their ``submit`` and ``map`` go through a
:class:`~loiter.tracing.TracedExecutor` per executor and call site, which
forwards to the program's own executor object. ``concurrent.futures.as_completed``
and ``wait`` become the recording ones of :mod:`loiter.tracing`, so the caller's
blocked intervals are measured. Each ``asyncio.run`` (every ``asyncio.Runner``)
runs its main coroutine inside :func:`~loiter.record.aiotrace.traced_loop`, so
the tasks on the loop are a run too. Nothing is patched outside an active tracer,
and stopping restores every attribute as it was.
"""

from __future__ import annotations

import asyncio
import concurrent.futures as cf
import contextlib
import functools
import os
import runpy
import sys
import sysconfig
import threading
import weakref
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import _base
from pathlib import Path
from typing import Any, NamedTuple

from loiter.model.trace import Run, Trace
from loiter.record import aiotrace
from loiter.record import traced as tracing
from loiter.record.aiotrace import LoopRecorder, traced_loop
from loiter.record.traced import TracedExecutor

_POOLS = (cf.ThreadPoolExecutor, cf.ProcessPoolExecutor)
_MISSING = object()

# Frames in these are never a call site: they are the executor machinery (and loiter's own).
_MACHINERY = tuple(
    str(Path(module.__file__ or "").parent) + os.sep
    for module in (cf, asyncio, sys.modules["loiter"])
)
_MACHINERY_FILES = frozenset(module.__file__ for module in (threading, contextlib, runpy))
# Frames here are a library's: a call site only when no program frame called it.
_LIBRARY = tuple(
    {str(Path(sysconfig.get_paths()[k])) + os.sep for k in ("stdlib", "purelib", "platlib")}
)
PROGRAM, LIBRARY, MACHINERY = "program", "library", "machinery"
_kinds: dict[str, str] = {}


def _kind(filename: str) -> str:
    kind = _kinds.get(filename)
    if kind is None:
        if filename.startswith(_MACHINERY) or filename in _MACHINERY_FILES:
            kind = MACHINERY
        elif filename.startswith(_LIBRARY) or filename.startswith("<frozen"):
            kind = LIBRARY
        else:
            kind = PROGRAM
        _kinds[filename] = kind
    return kind


class Site(NamedTuple):
    """Where in the program something happened: file, line and function."""

    file: str
    line: int
    function: str

    @property
    def label(self) -> str:
        return f"{Path(self.file).name}:{self.line}"

    def jsonable(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "function": self.function}


UNKNOWN = Site("?", 0, "?")


def call_site(depth: int) -> Site:
    """The program's frame that led here: the first one outside libraries, else a library's."""
    frame: Any = sys._getframe(depth)
    fallback = None
    while frame is not None:
        kind = _kind(frame.f_code.co_filename)
        if kind == PROGRAM:
            break
        if kind == LIBRARY and fallback is None:
            fallback = frame
        frame = frame.f_back
    frame = frame or fallback
    if frame is None:
        return UNKNOWN
    return Site(frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name)


# Set by _Direct while it forwards to the program's executor: that submit is not recorded again.
_local = threading.local()


class _Direct(cf.Executor):
    """The program's executor as seen by TracedExecutor: submits go to it, unrecorded.

    It holds the executor weakly, so tracing never keeps a pool (and its
    threads) alive longer than the program does.
    """

    def __init__(self, executor: cf.Executor) -> None:
        self._ref = weakref.ref(executor)

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future[Any]:
        executor = self._ref()
        if executor is None:
            raise RuntimeError("cannot schedule new futures after the executor was collected")
        _local.forwarding = True
        try:
            return executor.submit(fn, *args, **kwargs)
        finally:
            _local.forwarding = False

    def __getattr__(self, name: str) -> Any:
        if name == "_ref":
            raise AttributeError(name)
        executor = self._ref()
        if executor is None:
            raise AttributeError(name)
        return getattr(executor, name)


class _DirectProcess(_Direct, cf.ProcessPoolExecutor):
    """A process pool's stand-in: ``map(chunksize=)`` packs chunks as the pool would."""


_active: Tracer | None = None


class Tracer:
    """Records the executors used between :meth:`start` and :meth:`stop`; ``.trace`` after."""

    def __init__(self) -> None:
        self.trace: Trace | None = None
        self._created: weakref.WeakKeyDictionary[cf.Executor, Site] = weakref.WeakKeyDictionary()
        self._sites: weakref.WeakKeyDictionary[cf.Executor, dict[Site, _SiteRun]] = (
            weakref.WeakKeyDictionary()
        )
        self._runs: list[_SiteRun] = []
        self._loops: list[LoopRecorder] = []  # one per asyncio.run
        # Re-entrant: `loiter-viz trace` stops the tracer from a signal handler, which may run
        # in the main thread while it holds the lock (inside a submit).
        self._lock = threading.RLock()
        self._saved: list[tuple[type, str, Any]] = []

    def start(self) -> Tracer:
        global _active
        if _active is not None:
            raise RuntimeError("loiter is already tracing executors")
        for cls in _POOLS:
            self._patch(cls, "__init__", _patched_init)
            self._patch(cls, "submit", _patched_submit)
            self._patch(cls, "map", _patched_map)
        self._rebind({id(cf.as_completed): tracing.as_completed, id(cf.wait): tracing.wait})
        self._patch(asyncio.Runner, "run", _patched_runner_run)
        _active = self
        return self

    def stop(self) -> Trace:
        """Undo every patch and freeze what was recorded into ``self.trace``."""
        global _active
        if _active is self:
            _active = None
        for owner, name, old in reversed(self._saved):
            if old is _MISSING:
                delattr(owner, name)
            else:
                setattr(owner, name, old)
        self._saved.clear()
        with self._lock:
            runs = list(self._runs)
        loops = [rec.trace.runs[0] for rec in self._loops if rec.trace and rec.trace.runs[0].tasks]
        self.trace = Trace([run.freeze() for run in runs if len(run.traced.recording)] + loops)
        return self.trace

    def _patch(self, owner: Any, name: str, make: Callable[[Any], Any]) -> None:
        self._saved.append((owner, name, vars(owner).get(name, _MISSING)))
        setattr(owner, name, make(getattr(owner, name)))

    def _rebind(self, replacements: dict[int, Any]) -> None:
        """Every module's name for the standard functions, ``from ... import`` copies included.

        ``concurrent.futures._base`` keeps the originals: loiter.tracing calls them.
        """
        for module in list(sys.modules.values()):
            names = getattr(module, "__dict__", None)
            if not isinstance(names, dict) or module is _base:
                continue
            for name, value in list(names.items()):
                if id(value) in replacements:
                    self._patch(module, name, lambda old: replacements[id(old)])

    async def traced_main(self, coro: Coroutine[Any, Any, Any], site: Site) -> Any:
        """The program's main coroutine, its loop's tasks recorded as one run of this trace."""
        meta = {"scenario": site.label, "options": {"call_site": {**site.jsonable(), "how": "run"}}}
        # ``from asyncio import gather`` copies, bound when the program was imported.
        self._rebind(
            {id(aiotrace.STANDARD[name]): aiotrace.RECORDING[name] for name in aiotrace.STANDARD}
        )
        async with traced_loop(**meta) as rec:
            with self._lock:
                self._loops.append(rec)
            return await coro

    def created(self, executor: cf.Executor, site: Site) -> None:
        with contextlib.suppress(TypeError):  # an executor that cannot be weakly referenced
            self._created[executor] = site

    def run_for(self, executor: cf.Executor, site: Site, how: str, fn: Any) -> _SiteRun:
        """The run of this executor at this call site: one per submit site, a new one per map."""
        with self._lock:
            if how == "submit":
                sites = self._sites.get(executor)
                if sites is None:
                    sites = self._sites[executor] = {}
                run = sites.get(site)
                if run is not None:
                    return run
            run = _SiteRun(executor, site, self._created.get(executor, UNKNOWN), how, fn)
            if how == "submit":
                assert sites is not None
                sites[site] = run
            self._runs.append(run)
            return run


class _SiteRun:
    """One executor at one call site: the TracedExecutor recording it, and what the trace says."""

    def __init__(self, executor: cf.Executor, site: Site, created: Site, how: str, fn: Any) -> None:
        direct = _DirectProcess if isinstance(executor, cf.ProcessPoolExecutor) else _Direct
        self.traced = TracedExecutor(direct(executor))
        self.lock = threading.Lock()
        kind = {cf.ThreadPoolExecutor: "thread", cf.ProcessPoolExecutor: "process"}
        self.meta = {
            "scenario": site.label,
            "strategy": how,
            "executor": next(
                (name for cls, name in kind.items() if isinstance(executor, cls)),
                type(executor).__name__,
            ),
            "workers": getattr(executor, "_max_workers", 1),
            "unit": 1.0,
            "workload": getattr(fn, "__qualname__", type(fn).__qualname__),
            "options": {
                "call_site": {**site.jsonable(), "how": how},
                "created_at": created.jsonable(),
                "executor_class": f"{type(executor).__module__}.{type(executor).__qualname__}",
            },
        }

    def freeze(self) -> Run:
        return self.traced.recording.freeze(**self.meta)


def _patched_init(original: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(original)
    def __init__(self: cf.Executor, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        tracer = _active
        if tracer is not None:
            tracer.created(self, call_site(2))

    return __init__


def _patched_submit(original: Callable[..., cf.Future[Any]]) -> Callable[..., cf.Future[Any]]:
    @functools.wraps(original)
    def submit(self: cf.Executor, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        tracer = _active
        if tracer is None or getattr(_local, "forwarding", False):
            return original(self, fn, *args, **kwargs)
        run = tracer.run_for(self, call_site(2), "submit", fn)
        with run.lock:  # submits from many threads share a run's index counter
            return run.traced.submit(fn, *args, **kwargs)

    return submit


def _patched_map(original: Callable[..., Iterator[Any]]) -> Callable[..., Iterator[Any]]:
    @functools.wraps(original)
    def map(self: cf.Executor, fn: Callable[..., Any], *iterables: Any, **kwargs: Any) -> Any:
        tracer = _active
        if tracer is None or getattr(_local, "forwarding", False):
            return original(self, fn, *iterables, **kwargs)
        run = tracer.run_for(self, call_site(2), "map", fn)
        return run.traced.map(fn, *iterables, **kwargs)

    return map


def _patched_runner_run(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def run(self: asyncio.Runner, coro: Any, **kwargs: Any) -> Any:
        tracer = _active
        if tracer is None or not asyncio.iscoroutine(coro):
            return original(self, coro, **kwargs)
        return original(self, tracer.traced_main(coro, call_site(2)), **kwargs)

    return run


def _forget_in_child() -> None:
    global _active
    _active = None  # a forked worker records nothing for the parent's trace


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_in_child)


@contextlib.contextmanager
def trace() -> Iterator[Tracer]:
    """Record every executor the block uses, unchanged; ``.trace`` holds the runs afterwards.

    >>> with loiter.trace() as t:  # doctest: +SKIP
    ...     list(ThreadPoolExecutor(3).map(work, range(9)))
    >>> t.trace.runs[0].scenario  # doctest: +SKIP
    'app.py:2'
    """
    tracer = Tracer().start()
    try:
        yield tracer
    finally:
        tracer.stop()
