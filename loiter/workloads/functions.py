"""Name a workload: ``loiter``, ``spin`` or any importable ``module:function``.

Checked in the caller, so a function worker processes could not import fails
before anything runs.
"""

from __future__ import annotations

import importlib
import os
import pickle
import sys
from collections.abc import Callable
from functools import partial
from typing import Any

from ..model.names import WORKLOADS
from .loiter import loiter, spin, spin_rate


class WorkloadError(ValueError):
    """A workload that cannot be used; the message says why in one line."""


def resolve(spec: str, unit: float) -> Callable[[Any], Any]:
    """``loiter``, ``spin`` (both in units of ``unit`` seconds) or ``module:function``."""
    if spec == "loiter":
        return partial(loiter, unit=unit)
    if spec == "spin":
        return partial(spin, unit=unit, rate=spin_rate())
    return import_function(spec)


def import_function(spec: str) -> Callable[[Any], Any]:
    """The function named ``package.module:function``, imported as ``python -m`` would."""
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise WorkloadError(
            f"{spec!r} is not one of {', '.join(WORKLOADS)} or a module:function path"
        )
    if "" not in sys.path and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())  # like python -m: modules next to you are found
    try:
        obj: object = importlib.import_module(module_name)
    except Exception as exc:
        raise WorkloadError(f"cannot import module {module_name!r} ({exc})") from None
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise WorkloadError(f"module {module_name!r} has no attribute {attr!r}") from None
    if not callable(obj):
        raise WorkloadError(f"{spec!r} is not callable")
    return obj


def check_importable(fn: Callable[..., Any], method: str) -> None:
    """Fail now, in the caller, if worker processes started by ``method`` (the run's own
    start method, not the process-wide default) could not get the function."""
    target = fn.func if isinstance(fn, partial) else fn
    name = getattr(target, "__qualname__", repr(target))
    if getattr(target, "__module__", None) == "__main__" and method != "fork":
        raise WorkloadError(
            f"{name} is defined in __main__, which worker processes started with "
            f"{method!r} cannot import; move it into a module"
        )
    try:
        pickle.dumps(fn)
    except Exception as exc:
        raise WorkloadError(
            f"{name} cannot be sent to worker processes ({exc}); "
            "use a function defined at the top level of a module"
        ) from None
