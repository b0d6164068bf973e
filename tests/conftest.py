"""Shared fixtures (the executor kinds) and the order tests run in; shared code is in helpers/."""

from __future__ import annotations

import os

import pytest

# Charts are rendered headless in tests.
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(params=["thread", "process"])
def executor_kind(request: pytest.FixtureRequest) -> str:
    return request.param


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Dask's tests run last: importing distributed changes how exceptions pickle in this
    process and leaves threads behind, which later fork()ed process pools inherit."""
    items.sort(key=lambda item: item.module is not None and item.module.__name__ == "test_dask")
