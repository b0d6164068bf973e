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

# Each trace format's valid file: every fuzz below runs on both.
VALID = {version: tracefile.dumps(sample_trace(), version) for version in (1, 2)}
VALID_DOC = {version: json.loads(data) for version, data in VALID.items()}
VERSIONS = pytest.mark.parametrize("version", sorted(VALID))

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


FIELD_PATHS = {version: paths(doc)[1:] for version, doc in VALID_DOC.items()}


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


@VERSIONS
@FUZZ
@given(data=st.data(), value=json_values)
def test_valid_trace_with_one_field_replaced(version: int, data: Any, value: Any) -> None:
    path = data.draw(st.sampled_from(FIELD_PATHS[version]))
    check(json.dumps(replaced(VALID_DOC[version], path, value)))


@VERSIONS
@FUZZ
@given(
    data=st.data(),
    number=st.sampled_from([10**20, -(10**20), 2**63, -(2**63) - 1, 1e308, -1e308, 5e-324, -1, 0]),
)
def test_huge_and_edge_numbers(version: int, data: Any, number: Any) -> None:
    path = data.draw(st.sampled_from(FIELD_PATHS[version]))
    check(json.dumps(replaced(VALID_DOC[version], path, number)))


@VERSIONS
@FUZZ
@given(data=st.data())
def test_truncated_file(version: int, data: Any) -> None:
    valid = VALID[version]
    cut = data.draw(st.integers(min_value=0, max_value=len(valid.rstrip()) - 1))
    assert check(valid[:cut]) is None


@FUZZ
@given(st.binary(max_size=200))
def test_random_bytes(data: bytes) -> None:
    assert check(data) is None


@VERSIONS
@FUZZ
@given(data=st.data(), junk=st.binary(min_size=1, max_size=4))
def test_non_utf8_bytes_spliced_in(version: int, data: Any, junk: bytes) -> None:
    valid = VALID[version]
    at = data.draw(st.integers(min_value=0, max_value=len(valid) - 1))
    check(valid[:at] + b"\xff\xfe" + junk + valid[at:])


@pytest.mark.parametrize("depth", [100, 10_000, 200_000])
@pytest.mark.parametrize("bracket", ["[", '{"a":'])
def test_deep_nesting(depth: int, bracket: str) -> None:
    closing = "]" if bracket == "[" else "}"
    doc = '{"format": "loiter-trace", "version": 1, "runs": ' + bracket * depth + "1"
    assert check(doc + closing * depth + "}") is None


@VERSIONS
def test_valid_trace_still_loads(version: int) -> None:
    trace = check(VALID[version])
    assert trace is not None and trace.runs == sample_trace().runs
