"""Where files go: missing folders are created, impossible ones fail before anything runs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from loiter.cli import main
from loiter.model import tracefile

QUICK = ["--durations", "0,1*2", "--strategy", "map", "--unit", "0.01", "-q"]


def cli(argv: list[str], capsys) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    out, err = capsys.readouterr()
    return exit_.value.code, out, err


def test_missing_output_folders_are_created(tmp_path, capsys) -> None:
    out_dir = tmp_path / "a" / "b"
    trace = tmp_path / "c" / "d" / "t.json"
    code, out, err = cli([*QUICK, "--out", str(out_dir), "--trace", str(trace)], capsys)
    assert code == 0, err
    assert out.splitlines() == [str(trace), str(out_dir / "loiter-thread-3w.png")]
    assert [t.arg for t in tracefile.load(trace).runs[0].tasks] == [0, 1, 1]
    # Atomic writes leave no temp files behind.
    assert sorted(p.name for p in out_dir.iterdir()) == ["loiter-thread-3w.png"]
    assert sorted(p.name for p in trace.parent.iterdir()) == ["t.json"]


@pytest.mark.parametrize(
    ("option", "under", "named", "message"),
    [
        ("--out", "", "file", "exists and is not a folder"),
        ("--out", "sub", "file/sub", "cannot create folder (Not a directory)"),
        ("--trace", "t.json", "file", "exists and is not a folder"),
    ],
)
def test_a_file_where_a_folder_should_be(tmp_path, capsys, option, under, named, message) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("keep me")
    target = blocker / under if under else blocker
    code, out, err = cli([*QUICK, "--out", str(tmp_path / "ok"), option, str(target)], capsys)
    assert code == 1
    assert out == ""
    assert err.splitlines() == [f"loiter-viz: error: {tmp_path / named}: {message}"]
    assert blocker.read_text() == "keep me"
    assert not (tmp_path / "ok").exists() or not any((tmp_path / "ok").iterdir())


def test_plot_output_under_a_file_fails_cleanly(tmp_path, capsys) -> None:
    trace = tmp_path / "t.json"
    code, _, err = cli([*QUICK, "--out", str(tmp_path), "--trace", str(trace)], capsys)
    assert code == 0, err
    (tmp_path / "file").write_text("x")
    code, out, err = cli(["plot", str(trace), "-o", str(tmp_path / "file" / "c.png")], capsys)
    assert code == 1 and out == ""
    assert err.splitlines() == [
        f"loiter-viz: error: {tmp_path / 'file'}: exists and is not a folder"
    ]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_folder_that_is_not_writable(tmp_path, capsys) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    code, out, err = cli([*QUICK, "--out", str(locked)], capsys)
    assert code == 1 and out == ""
    assert err.splitlines() == [
        f"loiter-viz: error: {locked}: cannot write there (Permission denied)"
    ]
    assert list(Path(locked).iterdir()) == []


def test_written_files_get_the_usual_permissions_not_the_temp_files(tmp_path) -> None:
    """mkstemp's temp file is 0600; the chart and trace must be readable like any new file."""
    from loiter.model.atomic import write_atomic

    mask = os.umask(0o022)
    os.umask(mask)
    written = write_atomic(tmp_path / "t.json", b"{}")
    assert written.stat().st_mode & 0o777 == 0o666 & ~mask
    assert written.read_bytes() == b"{}"
