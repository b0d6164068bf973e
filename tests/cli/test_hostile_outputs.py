"""Two outputs on one file, or an output on the input: refused before anything runs, exit 2."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers.fixtures import sample_trace

from loiter.cli import main
from loiter.model import tracefile

QUICK = ["--durations", "0,1", "--unit", "0.01", "-q"]


def cli(argv: list[str], capsys) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    out, err = capsys.readouterr()
    return exit_.value.code, out, err


def refused(code: int, out: str, err: str) -> None:
    assert code == 2, err
    assert out == ""
    (line,) = err.splitlines()
    assert line.startswith("loiter-viz: error: ") and "are the same file" in line


@pytest.mark.parametrize(
    "extra",
    [
        ["--trace", "{out}/loiter-thread-3w.png"],  # the trace where the chart goes
        ["--trace", "{out}/x/../loiter-thread-3w.png"],  # the same, spelt otherwise
        ["--format", "svg", "--trace", "{out}/loiter-thread-3w.svg"],
        ["--animate", "--trace", "{out}/loiter-thread-3w.gif"],  # the trace where the GIF goes
        ["--animate", "--trace", "{out}/loiter-thread-3w.mp4"],  # ... or its MP4
    ],
)
def test_run_refuses_two_outputs_on_one_file(tmp_path, capsys, extra) -> None:
    out_dir = tmp_path / "plots"
    argv = [*QUICK, "--out", str(out_dir), *(a.format(out=out_dir) for a in extra)]
    refused(*cli(argv, capsys))
    assert not out_dir.exists()  # refused before anything was created


@pytest.mark.parametrize("command", [["predict"], ["sweep", "--workers", "1", "-e", "thread"]])
def test_predict_and_sweep_refuse_the_trace_on_the_chart(tmp_path, capsys, command) -> None:
    chart = "predict-thread-3w.png" if command == ["predict"] else "sweep-loiter-1-1w.png"
    argv = [*command, "--out", str(tmp_path / "o"), "--trace", str(tmp_path / "o" / chart)]
    refused(*cli(argv, capsys))
    assert not (tmp_path / "o").exists()


def saved(tmp_path: Path, name: str = "t.json") -> Path:
    path = tmp_path / name
    tracefile.save(sample_trace(), path)
    return path


@pytest.mark.parametrize(
    ("argv", "output"),
    [
        (["plot", "{t}", "-o", "{t}"], None),
        (["plot", "{t}", "-o", "{dir}/./t.json", "--format", "png"], None),
        (["export", "{t}", "--to", "csv", "-o", "{t}"], None),
        (["export", "{t}", "--to", "chrome", "-o", "{dir}/sub/../t.json"], None),
        (["plot", "{link}", "-o", "{t}"], "link"),  # a symlink to the output
        (["export", "{hard}", "--to", "csv", "-o", "{t}"], "hard"),  # a hard link to it
    ],
)
def test_replays_refuse_to_write_over_the_trace_they_read(tmp_path, capsys, argv, output) -> None:
    trace = saved(tmp_path)
    (tmp_path / "sub").mkdir()
    os.symlink(trace, tmp_path / "link.json")
    os.link(trace, tmp_path / "hard.json")
    before = trace.read_bytes()
    names = {"t": trace, "dir": tmp_path, "link": tmp_path / "link.json"}
    names["hard"] = tmp_path / "hard.json"
    refused(*cli([a.format(**names) for a in argv], capsys))
    assert trace.read_bytes() == before


def test_animate_refuses_a_trace_named_like_its_gif(tmp_path, capsys) -> None:
    trace = saved(tmp_path, "lecture.gif")  # a trace file may have any name
    before = trace.read_bytes()
    refused(*cli(["animate", str(trace)], capsys))
    assert trace.read_bytes() == before


def test_different_files_in_one_folder_are_fine(tmp_path, capsys) -> None:
    trace = saved(tmp_path)
    code, out, err = cli(
        ["export", str(trace), "--to", "csv", "-o", str(tmp_path / "t.csv")], capsys
    )
    assert code == 0, err
    assert out.strip() == str(tmp_path / "t.csv")
