"""Badly behaved task functions, importable by worker processes."""

from __future__ import annotations

import threading


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
