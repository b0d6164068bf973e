"""Where files go: missing folders are created, impossible ones fail before anything runs;
the limits of names and argument files are checked before running, not after."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers.fixtures import sample_trace

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


# --- Limits: long names, big argument files, many commands in one folder at once ---

LONGEST = [
    "a" * 250 + ".json",  # 255 bytes: the longest legal name
    "é" * 125 + ".json",  # 255 bytes in two-byte characters (the temp name must not split one)
    "b" * 245 + ".json",  # 250 bytes
]


def names_ending(suffix: str) -> list[str]:
    return [name.removesuffix(".json") + suffix for name in LONGEST]


def only_these(folder: Path, *names: str) -> None:
    """Exactly these files: no temp file left behind under a longer or a cut name."""
    assert sorted(p.name for p in folder.iterdir()) == sorted(names)


@pytest.mark.parametrize("name", LONGEST)
def test_a_longest_legal_trace_name_is_written(tmp_path, capsys, name) -> None:
    assert len(os.fsencode(name)) in (250, 255)
    trace = tmp_path / "t" / name
    code, out, err = cli([*QUICK, "--out", str(tmp_path / "o"), "--trace", str(trace)], capsys)
    assert code == 0, err
    assert out.splitlines()[0] == str(trace)
    assert [t.arg for t in tracefile.load(trace).runs[0].tasks] == [0, 1, 1]
    only_these(trace.parent, name)


@pytest.mark.parametrize(
    ("argv", "suffix", "magic"),
    [
        (["plot", "{t}", "-o"], ".png", b"\x89PNG"),
        (["plot", "{t}", "-o"], ".html", b"<!DOCTYPE html>"),
        (["export", "{t}", "--to", "csv", "-o"], ".csv", b"run,scenario,"),
        (["export", "{t}", "--to", "chrome", "-o"], ".json", b"{"),
        (["animate", "{t}", "-o"], ".gif", b"GIF89a"),
    ],
)
def test_longest_legal_names_for_charts_and_exports(tmp_path, capsys, argv, suffix, magic):
    trace = tmp_path / "t.json"
    tracefile.save(sample_trace(), trace)
    out = tmp_path / "o"
    for name in names_ending(suffix):
        code, _, err = cli([*(a.format(t=trace) for a in argv), str(out / name)], capsys)
        assert code == 0, err
        assert (out / name).read_bytes().startswith(magic)
    only_these(out, *names_ending(suffix))


@pytest.mark.parametrize(
    ("argv", "what"),
    [
        ([*QUICK, "--out", "{o}", "--trace"], "--trace"),
        (["predict", "-q", "--out", "{o}", "--trace"], "--trace"),
        (["sweep", "-q", "--workers", "1", "-e", "thread", "--out", "{o}", "--trace"], "--trace"),
        (["plot", "{t}", "-o"], "--output"),
        (["export", "{t}", "--to", "csv", "-o"], "--output"),
        (["animate", "{t}", "-o"], "--output"),
    ],
)
def test_a_name_too_long_is_refused_before_running(tmp_path, capsys, argv, what) -> None:
    trace = tmp_path / "t.json"
    tracefile.save(sample_trace(), trace)
    suffix = ".gif" if argv[0] == "animate" else ".json"
    for name in ("c" * 252 + suffix, "é" * 127 + suffix):  # 256 and 258 bytes
        long = tmp_path / "o" / name
        code, out, err = cli(
            [*(a.format(t=trace, o=tmp_path / "o") for a in argv), str(long)], capsys
        )
        assert code == 2 and out == ""
        size = len(os.fsencode(name))
        assert err.splitlines() == [
            f"loiter-viz: error: {what}: {long}: the file name is {size} bytes long; "
            "this file system allows 255"
        ]
        assert not (tmp_path / "o").exists()  # refused before anything was created


@pytest.mark.timeout(60)  # reading /dev/zero without a bound would never end
@pytest.mark.parametrize("source", ["/dev/zero", "{big}", "/dev/urandom"])
def test_an_argument_file_is_read_no_further_than_16_mib(tmp_path, capsys, source) -> None:
    big = tmp_path / "big.txt"
    with open(big, "wb") as fh:
        fh.write(b"1\n" * (17 * 2**19))  # 17 MiB of arguments
    path = source.format(big=big)
    argv = ["--workload", "os.path:basename", "--args", f"@{path}", "--out", str(tmp_path / "o")]
    code, out, err = cli(argv, capsys)
    assert code == 2 and out == ""
    assert err.splitlines() == [
        f"loiter-viz: error: Invalid value for '--args': {path!r} is larger than 16 MiB"
    ]
    assert not (tmp_path / "o").exists()


def test_an_argument_file_of_16_mib_is_read_whole(tmp_path, capsys) -> None:
    """At the cap exactly the file is read to its end: here blank lines, so no arguments."""
    blank = tmp_path / "blank.txt"
    blank.write_bytes(b"\n" * 2**24)
    code, out, err = cli(["--workload", "os.path:basename", "--args", f"@{blank}"], capsys)
    assert code == 2 and out == ""
    assert err.splitlines() == [
        "loiter-viz: error: Invalid value for '--args': is empty (expected values like 1,2,3 "
        "or @file)"
    ]


def test_an_argument_file_that_is_a_folder(tmp_path, capsys) -> None:
    code, out, err = cli(["--workload", "os.path:basename", "--args", f"@{tmp_path}"], capsys)
    assert code == 2 and out == ""
    assert err.splitlines() == [
        f"loiter-viz: error: Invalid value for '--args': cannot read {str(tmp_path)!r} "
        "(Is a directory)"
    ]


def forked(argvs: list[list[str]]) -> list[int]:
    """Run each command line in a forked child, all let go at the same instant: the exit codes.

    Forked, not spawned: no interpreter start-up between them, so they really overlap.
    """
    go_read, go_write = os.pipe()
    children = []
    for argv in argvs:
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            code = 1
            try:
                os.close(go_write)
                os.read(go_read, 1)  # wait for the start
                main(argv)
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
            finally:
                os._exit(code)
        children.append(pid)
    os.close(go_read)
    os.close(go_write)  # go: every child's read returns
    return [os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in children]


@pytest.mark.timeout(300)
def test_many_commands_writing_into_one_folder_at_once_all_succeed(tmp_path, capfd) -> None:
    trace = tmp_path / "t.json"
    tracefile.save(sample_trace(), trace)
    out = tmp_path / "shared"
    n = 48
    argvs = [
        ["export", str(trace), "--to", "csv" if i % 2 else "chrome", "-o", str(out / f"e{i}.x")]
        for i in range(n)
    ]
    codes = forked(argvs)
    _, err = capfd.readouterr()
    assert codes == [0] * n, err
    only_these(out, *(f"e{i}.x" for i in range(n)))
    for i in range(n):
        assert (out / f"e{i}.x").read_bytes().startswith(b"run," if i % 2 else b"{")


@pytest.mark.parametrize("dangling", [False, True])
def test_a_symlinked_output_updates_the_file_it_points_to(tmp_path, capsys, dangling) -> None:
    """The link stays a link (someone made it on purpose); the file behind it gets the trace."""
    real = tmp_path / "real" / "t.json"
    if not dangling:
        real.parent.mkdir()
        real.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    code, _, err = cli([*QUICK, "--out", str(tmp_path / "o"), "--trace", str(link)], capsys)
    assert code == 0, err
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert [t.arg for t in tracefile.load(real).runs[0].tasks] == [0, 1, 1]
    only_these(real.parent, "t.json")
