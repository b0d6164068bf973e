"""Fuzz the trace loader: it returns a valid Trace or raises TraceError in one line; nothing else.

Inputs: arbitrary JSON, valid traces with fields swapped for values of the
wrong type or absurd size, truncated files, deep nesting and non-UTF-8 bytes.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from helpers.fixtures import sample_trace
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loiter.model import tracefile
from loiter.model.trace import Trace
from loiter.model.tracefile import TraceError, loads

VALID = tracefile.dumps(sample_trace(), version=1)
VALID_DOC = json.loads(VALID)

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5)
    ),
    max_leaves=30,
)


def check(data: bytes | str) -> Trace | None:
    """The loader's whole contract: a Trace of valid runs, or one TraceError line."""
    try:
        trace = loads(data, source="fuzz.json")
    except TraceError as exc:
        message = str(exc)
        assert message.startswith("fuzz.json"), message
        assert "\n" not in message and len(message) < 500, message
        return None
    assert isinstance(trace, Trace)
    for run in trace:
        assert run.workers >= 1 and run.unit > 0
        run.summary()  # whatever loads, renderers can compute on
        run.stalls()
    return trace


def paths(doc: Any, prefix: tuple = ()) -> list[tuple]:
    """Every key/index path inside a JSON document."""
    found = [prefix]
    if isinstance(doc, dict):
        for key, value in doc.items():
            found += paths(value, (*prefix, key))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            found += paths(value, (*prefix, i))
    return found


FIELD_PATHS = paths(VALID_DOC)[1:]


def replaced(doc: Any, path: tuple, value: Any) -> Any:
    if not path:
        return value
    copy = dict(doc) if isinstance(doc, dict) else list(doc)
    copy[path[0]] = replaced(doc[path[0]], path[1:], value)
    return copy


@FUZZ
@given(json_values)
def test_random_json(value: Any) -> None:
    assert check(json.dumps(value)) is None  # nothing random is a loiter trace


@FUZZ
@given(st.sampled_from(FIELD_PATHS), json_values)
def test_valid_trace_with_one_field_replaced(path: tuple, value: Any) -> None:
    check(json.dumps(replaced(VALID_DOC, path, value)))


@FUZZ
@given(
    st.sampled_from(FIELD_PATHS),
    st.sampled_from([10**20, -(10**20), 2**63, -(2**63) - 1, 1e308, -1e308, 5e-324, -1, 0]),
)
def test_huge_and_edge_numbers(path: tuple, number: Any) -> None:
    check(json.dumps(replaced(VALID_DOC, path, number)))


@FUZZ
@given(st.integers(min_value=0, max_value=len(VALID.rstrip()) - 1))
def test_truncated_file(cut: int) -> None:
    assert check(VALID[:cut]) is None


@FUZZ
@given(st.binary(max_size=200))
def test_random_bytes(data: bytes) -> None:
    assert check(data) is None


@FUZZ
@given(st.integers(min_value=0, max_value=len(VALID) - 1), st.binary(min_size=1, max_size=4))
def test_non_utf8_bytes_spliced_in(at: int, junk: bytes) -> None:
    check(VALID[:at] + b"\xff\xfe" + junk + VALID[at:])


@pytest.mark.parametrize("depth", [100, 10_000, 200_000])
@pytest.mark.parametrize("bracket", ["[", '{"a":'])
def test_deep_nesting(depth: int, bracket: str) -> None:
    closing = "]" if bracket == "[" else "}"
    doc = '{"format": "loiter-trace", "version": 1, "runs": ' + bracket * depth + "1"
    assert check(doc + closing * depth + "}") is None


def test_valid_trace_still_loads() -> None:
    trace = check(VALID)
    assert trace is not None and trace.runs == sample_trace().runs
