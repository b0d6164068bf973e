"""The commands on trace format 2, and --trace-format 1 for older readers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers.commands import cli
from helpers.tracefiles import RESOLUTION, assert_same_but_rounded

from loiter.model import tracefile

DATA = Path(__file__).resolve().parents[1] / "data"


def _version(path: Path) -> int:
    return int(json.loads(path.read_text())["version"])


@pytest.fixture(scope="module")
def both(tmp_path_factory) -> tuple[Path, Path]:
    """One recorded run written as format 1 (--trace-format 1) and again as format 2."""
    folder = tmp_path_factory.mktemp("formats")
    old = folder / "old.json"
    result = cli(
        *("run", "-q", "-d", "3,1,2", "-u", "0.02", "-s", "map,as_completed"),
        *("--fail-at", "2", "--trace-format", "1", "--trace", str(old), "--out", str(folder)),
    )
    assert result.returncode == 0, result.stderr
    new = tracefile.save(tracefile.load(old), folder / "new.json")
    return old, new


def test_trace_format_1_writes_version_1_and_the_default_is_2(both, tmp_path) -> None:
    old, new = both
    assert _version(old) == 1 and _version(new) == 2
    assert_same_but_rounded(tracefile.load(new), tracefile.load(old))
    result = cli(
        "predict", "-q", "-d", "1,2", "--trace", str(tmp_path / "p.json"), "-o", str(tmp_path)
    )
    assert result.returncode == 0, result.stderr
    assert _version(tmp_path / "p.json") == 2


def test_summary_says_the_same_of_both_versions(both) -> None:
    said = []
    for path in both:
        result = cli("summary", str(path), "--json")
        assert result.returncode == 0, result.stderr
        said.append(json.loads(result.stdout))
    old, new = said
    tasks = [len(run.tasks) for run in tracefile.load(both[0]).runs]
    for a, b, n in zip(old["runs"], new["runs"], tasks, strict=True):
        # Format 2 rounds each time to 1 µs: a sum over n tasks' spans moves by at most
        # 2n half-microseconds, and utilisation (busy / (workers * makespan)) by as much
        # relative to the busy time, plus the makespan's own rounding.
        sums = 2 * n * RESOLUTION
        busy = a["utilisation"] * a["workers"] * a["makespan"]
        for key, value in a.items():
            if key == "utilisation":
                bound = value * (sums / busy + RESOLUTION / a["makespan"])
                assert b[key] == pytest.approx(value, abs=bound), key
            elif isinstance(value, float):
                assert b[key] == pytest.approx(value, abs=sums), key
            else:
                assert b[key] == value, key


@pytest.mark.parametrize(
    "command",
    [
        ("plot", "-o", "{out}.svg"),
        ("export", "--to", "chrome", "-o", "{out}.chrome.json"),
        ("export", "--to", "csv", "-o", "{out}.csv"),
        ("log",),
        ("advise",),
    ],
    ids=["plot", "chrome", "csv", "log", "advise"],
)
def test_commands_that_read_traces_read_version_2(both, command, tmp_path) -> None:
    _, new = both
    out = str(tmp_path / "out")
    result = cli(command[0], str(new), *(part.format(out=out) for part in command[1:]))
    assert result.returncode == 0, result.stderr
    if "-o" in command:
        written = Path(command[command.index("-o") + 1].format(out=out))
        assert written.stat().st_size > 0


def test_the_chart_of_a_version_1_sample_is_the_same_in_version_2() -> None:
    """The same artists, bar for bar, from the v1 file and from its version-2 copy."""
    from helpers.artists import spans
    from matplotlib.collections import PatchCollection, PolyCollection

    from loiter.render.gantt import figure_for

    old = tracefile.load(DATA / "v1-thread-failures.json")
    new = tracefile.loads(tracefile.dumps(old))
    before, after = figure_for(old), figure_for(new)
    assert len(before.axes) == len(after.axes) > 1
    for a, b in zip(before.axes, after.axes, strict=True):
        assert [t.get_text() for t in a.texts] == [t.get_text() for t in b.texts]
        assert [c.get_gid() for c in a.collections] == [c.get_gid() for c in b.collections]
        for x, y in zip(a.collections, b.collections, strict=True):
            if isinstance(x, (PatchCollection, PolyCollection)):
                flat = [[v for span in spans(c) for v in span] for c in (x, y)]
                assert flat[0] == pytest.approx(flat[1], abs=1e-6)


PROGRAM = """
import concurrent.futures as cf
with cf.ThreadPoolExecutor(2) as ex:
    print(list(ex.map(abs, [-1, -2, 3])))
"""


@pytest.mark.parametrize("version", [1, 2])
def test_the_trace_command_writes_the_version_asked_for(version: int, tmp_path) -> None:
    program = tmp_path / "prog.py"
    program.write_text(PROGRAM)
    trace = tmp_path / "t.json"
    result = cli(
        *("trace", "--no-chart", "-q", "--trace-format", str(version), "--trace", str(trace)),
        str(program),
    )
    assert result.returncode == 0, result.stderr
    assert _version(trace) == version
    assert [t.arg for t in tracefile.load(trace).runs[0].tasks] == [-1, -2, 3]
