"""Shared fixtures: short units, and workload functions importable by worker processes."""

from __future__ import annotations

import os

import pytest

# Charts are rendered headless in tests.
os.environ.setdefault("MPLBACKEND", "Agg")

UNIT = 0.05  # seconds per duration unit: short, but far above scheduling noise


@pytest.fixture(params=["thread", "process"])
def executor_kind(request: pytest.FixtureRequest) -> str:
    return request.param
