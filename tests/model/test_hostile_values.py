"""Well-formed but absurd traces: every command that reads one exits 0 or 1, one line, no traceback.

The loader checks meaning, not only types (loiter.tracecheck): finite and
bounded times, the vocabulary's order (submitted <= started <= finished <=
delivered, a wait's ask <= got), a sane wall clock, options of the right
kind. Known absurdities are each named in one line; then hypothesis swaps
fields of a valid trace for absurd values and runs every command on it.
"""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
import warnings
from pathlib import Path
from typing import Any

import pytest
from helpers.fixtures import sample_trace
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loiter.cli import main
from loiter.model import tracefile
from loiter.model.trace import Run, Task
from loiter.model.tracefile import TraceError, loads
from loiter.render.booklog import MAX_TABS, book_lines

VALID_DOC = json.loads(tracefile.dumps(sample_trace(), version=1))


def with_field(path: tuple, value: Any, doc: Any = VALID_DOC) -> Any:
    """A copy of ``doc`` with the field at ``path`` set (a missing last key is added)."""
    if not path:
        return value
    copy = dict(doc) if isinstance(doc, dict) else list(doc)
    inner = doc[path[0]] if len(path) > 1 else None
    copy[path[0]] = with_field(path[1:], value, inner)
    return copy


def load_error(path: tuple, value: Any) -> str:
    with pytest.raises(TraceError) as exc:
        loads(json.dumps(with_field(path, value)), source="t.json")
    message = str(exc.value)
    assert "\n" not in message and message.startswith("t.json: runs[0]")
    return message


# (field, absurd value, what the one line says)
ABSURD = [
    (("wall_origin",), 1e300, "wall_origin must be a time.time() from 0 to 1e+10"),
    (("wall_origin",), -5.0, "wall_origin must be"),
    (("tasks", 0, "started"), 1e300, "tasks[0].started must be within ±1e+07 s"),
    (("tasks", 1, "finished"), -1.0, "tasks[1].finished (-1.0) is before its started"),
    (("tasks", 2, "started"), -3.0, "tasks[2].started (-3.0) is before its submitted"),
    (("tasks", 0, "delivered"), 1.0, "tasks[0].delivered (1.0) is before its finished"),
    (("tasks", 0, "arg"), 1e12, "tasks[0].arg of loiter must be 0 to 1e+07 s"),
    (("tasks", 0, "arg"), -2, "tasks[0].arg of loiter must be 0 to"),
    (("caller_blocked", 0), [0.0, 1e300, None], "caller_blocked[0] got must be within"),
    (("caller_blocked", 0), [0.0, 100.0, 0], "got (100.0) is after task 0 it waited for was"),
    (("caller_blocked", 0), [0.0, 1.0, 99], "caller_blocked[0] names task 99, which is not in"),
    (("tasks", 1, "index"), 0, "tasks[1].index must be 0 to 4, each once, got 0"),
    (("tasks", 0, "index"), 2**63 - 1, "tasks[0].index must be 0 to 4, each once"),
    (("tasks", 0, "index"), -1, "tasks[0].index must be 0 to 4, each once, got -1"),
    (("caller_blocked", 0), [3.0, 1.0, 0], "caller_blocked[0] got (1.0) is before its ask"),
    (("unit",), 1e300, "unit must be at most 1e+07 s"),
    (("workers",), 10**15, "workers must be at most 100000"),
    (("options", "clock"), "fast", "options.clock must map workers to {offset, uncertainty}"),
    (("options", "clock"), {"w": 1}, "options.clock['w'] must be {offset, uncertainty}"),
    (("options", "clock"), {"w": {"offset": "x", "uncertainty": 0}}, "options.clock['w'].offset"),
    (("options", "clock"), {"w": {"offset": 0, "uncertainty": -1}}, "['w'].uncertainty must be"),
    (("options", "chunksize"), 0, "options.chunksize must be a whole number >= 1, got 0"),
    (("options", "chunksize"), 2.5, "options.chunksize must be a whole number >= 1, got 2.5"),
    (("options", "chunksize"), True, "options.chunksize must be a whole number >= 1, got True"),
    (("options", "buffersize"), "x", "options.buffersize must be a whole number >= 1 or null"),
    (("options", "buffersize"), 0, "options.buffersize must be a whole number >= 1 or null"),
    (("options", "consumer_delay"), "slow", "options.consumer_delay must be 0 to 1e+07 seconds"),
    (("options", "consumer_delay"), -0.5, "options.consumer_delay must be 0 to"),
    (("options", "consumer_delay"), 1e300, "options.consumer_delay must be 0 to"),
]


@pytest.mark.parametrize(("field", "value", "said"), ABSURD, ids=lambda x: repr(x)[:30])
def test_an_absurd_value_is_rejected_naming_its_field(field: tuple, value: Any, said: str) -> None:
    assert said in load_error(("runs", 0, *field), value)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        (("options", "buffersize"), None),
        (("options", "chunksize"), 4),
        (("options", "consumer_delay"), 0),
        (("options", "clock"), {"tcp://w:1": {"offset": -0.002, "uncertainty": 0.0004}}),
        (("options", "repeat"), "anything: not read by any renderer"),
        (("wall_origin",), None),
    ],
)
def test_sane_values_still_load(field: tuple, value: Any) -> None:
    loads(json.dumps(with_field(("runs", 0, *field), value)))


def test_a_clusters_clock_uncertainty_excuses_that_much_disorder() -> None:
    """A worker's start a hair before the submit, within its clock's uncertainty, is not absurd."""
    early = with_field(("runs", 0, "tasks", 0, "started"), -0.0003)
    clock = {"tcp://w:1": {"offset": 0.5, "uncertainty": 0.0005}}
    loads(json.dumps(with_field(("runs", 0, "options", "clock"), clock, early)))
    with pytest.raises(TraceError, match=r"tasks\[0\].started .* before its submitted"):
        loads(json.dumps(early))


@pytest.mark.parametrize("arg", [41, 1e9, 1e12, 10**18])
def test_the_book_log_indents_at_most_max_tabs(arg: float) -> None:
    """Any workload's numeric arg (only loiter and spin's are bounded at load)."""
    run = Run("s", "map", "thread", 1, 1.0, [Task(0, arg, 0.0, 0.0, 1.0, 1.0, "T", "ok", 1)])
    run.workload = "mine:fn"
    start = next(line for line in book_lines(run) if "starting" in line and "mine" in line)
    assert start.split("] ")[1].startswith("\t" * MAX_TABS + "mine:fn(")


# The fuzz: one field of a valid trace set to an absurd or ill-typed value, every command run.
absurd_numbers = st.sampled_from(
    [1e300, -1e300, 1e12, -1e12, 1e7 + 1, -1.0, 0, 5e-324, 2**63 - 1, -(2**63), 0.5]
)
ill_typed = st.sampled_from(["slow", "", "x" * 100, [], {}, [1, 2], {"a": 1}, None, True, False])
values = absurd_numbers | ill_typed | st.floats(allow_nan=False, allow_infinity=False)
OPTION_KEYS = ("clock", "chunksize", "buffersize", "consumer_delay")
option_values = values | st.fixed_dictionaries(
    {"w": st.fixed_dictionaries({"offset": values, "uncertainty": values})}
)


def field_paths(doc: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix]
    if isinstance(doc, dict):
        for key, value in doc.items():
            found += field_paths(value, (*prefix, key))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            found += field_paths(value, (*prefix, i))
    return found


FIELDS = [p for p in field_paths(VALID_DOC) if len(p) >= 3]  # inside a run
OPTION_FIELDS = [("runs", r, "options", key) for r in range(3) for key in OPTION_KEYS]
hostile_docs = st.one_of(
    st.tuples(st.sampled_from(FIELDS), values),
    st.tuples(st.sampled_from(OPTION_FIELDS), option_values),
).map(lambda fv: with_field(*fv))

COMMANDS = {
    "plot": ["plot", "{t}", "-o", "{d}/c.png", "--dpi", "30"],
    "plot --ideal": ["plot", "{t}", "--ideal", "-o", "{d}/i.png", "--dpi", "30"],
    "log": ["log", "{t}"],
    "summary": ["summary", "{t}"],
    "summary --json": ["summary", "{t}", "--json"],
    "animate": ["animate", "{t}", "-o", "{d}/a.gif", "--dpi", "30", "--speed", "4"],
    "export chrome": ["export", "{t}", "--to", "chrome", "-o", "{d}/x.json"],
    "export csv": ["export", "{t}", "--to", "csv", "-o", "{d}/x.csv"],
    "advise": ["advise", "{t}"],
}
FUZZ = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def run_command(argv: list[str]) -> tuple[int, str]:
    """``loiter-viz ARGV`` in-process: (exit code, stderr); any exception but SystemExit escapes."""
    out, err = io.StringIO(), io.StringIO()
    # pytest records warnings; a user would see each on stderr, so they count as stderr here.
    with (
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
        warnings.catch_warnings(record=True) as caught,
    ):
        warnings.simplefilter("always")
        try:
            main(argv)
        except SystemExit as exc:
            code = exc.code
    shown = "".join(f"{w.category.__name__}: {w.message}\n" for w in caught)
    return code if isinstance(code, int) else 1, err.getvalue() + shown


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_command_on_an_absurd_trace_exits_0_or_1_with_one_line(command: str) -> None:
    @FUZZ
    @given(hostile_docs)
    def check(doc: Any) -> None:
        with tempfile.TemporaryDirectory() as folder:
            trace = Path(folder) / "t.json"
            trace.write_text(json.dumps(doc))
            argv = [a.format(t=trace, d=folder) for a in COMMANDS[command]]
            code, err = run_command(argv)
        assert code in (0, 1), (code, err)
        assert "Traceback" not in err and "Warning" not in err, err
        if code == 1:
            assert err.count("\n") == 1 and "t.json" in err, err
        else:
            assert err.count("\n") <= 1, err  # a note at most

    check()
