"""Badly behaved task functions, importable by worker processes."""

from __future__ import annotations

import sys
import threading
import time


def imports_missing(n: int) -> None:
    import loiter_no_such_module  # noqa: F401


def returns_lock(n: int) -> threading.Lock:
    return threading.Lock()


class PickyError(Exception):
    """Needs two arguments, so unpickling it (with the message only) fails."""

    def __init__(self, a: object, b: object) -> None:
        super().__init__(f"{a}/{b}")


def raises_picky(n: int) -> None:
    raise PickyError(n, "x")


def one(_: object) -> int:
    return 1


def exits_4(n: int) -> None:
    sys.exit(4)


def exits_with_message(n: int) -> None:
    sys.exit("the task wants out")


def presses_ctrl_c(n: int) -> None:
    raise KeyboardInterrupt


def raises_generator_exit(n: int) -> None:
    raise GeneratorExit("closed")


class Escape(BaseException):
    """Not an Exception: ``except Exception`` does not catch it."""


def raises_base_exception(n: int) -> None:
    raise Escape(f"escape {n}")


class BadStr(Exception):
    def __str__(self) -> str:
        raise RuntimeError("no string for you")


def raises_bad_str(n: int) -> None:
    raise BadStr(n)


class BadRepr:
    def __repr__(self) -> str:
        raise RuntimeError("no repr for you")


def raises_with_bad_repr(n: int) -> None:
    raise ValueError(BadRepr(), n)  # two args: str() of the exception is the repr of both


def returns_bad_repr(n: int) -> BadRepr:
    return BadRepr()


def huge_int(n: int) -> int:
    return 10**5000 + n


def huge_nested(n: int) -> list[object]:
    value: list[object] = [n]
    for _ in range(100_000):
        value = [value]
    return value


def hangs(n: int) -> None:
    time.sleep(3600)


def naps(n: float) -> float:
    """Sleeps without watching loiter's STOP, as a user's function would."""
    time.sleep(n)
    return n


def echo(value: object) -> object:
    return value
