"""Outputs that would destroy something: two outputs on one file, an output on the input,
or an output path that is not a file (a device, a FIFO, a socket, a folder)."""

from __future__ import annotations

import fcntl
import json
import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.fixtures import sample_trace

from loiter.cli import main
from loiter.model import tracefile
from loiter.model.names import DEFAULT_STRATEGIES

QUICK = ["--durations", "0,1", "--unit", "0.01", "-q"]
QUICK_STRATEGIES = DEFAULT_STRATEGIES  # QUICK runs each of them


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


# --- Paths that are not files: written in place (devices, FIFOs) or refused before running ---

SCRIPT = """
from concurrent.futures import ThreadPoolExecutor
with ThreadPoolExecutor(2) as pool:
    print(list(pool.map(abs, [-1, -2])))
"""


def every_writer(tmp_path: Path, target: str) -> list[list[str]]:
    """One command line per writer, each sending one output to ``target``."""
    trace = str(saved(tmp_path))
    script = tmp_path / "app.py"
    script.write_text(SCRIPT)
    out = str(tmp_path / "o")
    return [
        [*QUICK, "--out", out, "--trace", target],
        ["predict", "--out", out, "--trace", target, "-q"],
        ["sweep", "--workers", "1", "-e", "thread", "--unit", "0.01", "-q", "--out", out,
         "--trace", target],
        ["trace", "--quiet", "--no-chart", "--out", out, "--trace", target, str(script)],
        ["plot", trace, "-o", target, "--format", "png"],
        ["plot", trace, "-o", target, "--format", "html"],
        ["export", trace, "--to", "csv", "-o", target],
        ["export", trace, "--to", "chrome", "-o", target],
    ]  # fmt: skip


@pytest.fixture
def dev_null():
    """The system's /dev/null, put back if a test turned it into a file (as root a rename
    over it would do that for every process on the machine)."""
    yield "/dev/null"
    if not stat.S_ISCHR(os.stat("/dev/null").st_mode):  # pragma: no cover - only if broken
        os.remove("/dev/null")
        os.mknod("/dev/null", stat.S_IFCHR | 0o666, os.makedev(1, 3))
        os.chmod("/dev/null", 0o666)


@pytest.mark.parametrize("writer", range(8))
def test_dev_null_takes_every_output_and_stays_a_device(tmp_path, capsys, dev_null, writer):
    argv = every_writer(tmp_path, dev_null)[writer]
    code, _, err = cli(argv, capsys)
    assert code == 0, err
    assert stat.S_ISCHR(os.stat(dev_null).st_mode)
    assert not any(p.name.startswith(".null.") for p in Path("/dev").iterdir())


@pytest.mark.skipif(os.geteuid() != 0, reason="making device nodes needs root")
def test_a_device_node_of_ones_own_is_written_not_replaced(tmp_path, capsys) -> None:
    node = tmp_path / "null"
    os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # another /dev/null
    inode = node.stat().st_ino
    for argv in every_writer(tmp_path, str(node)):
        code, _, err = cli(argv, capsys)
        assert code == 0, (argv, err)
        assert stat.S_ISCHR(node.stat().st_mode) and node.stat().st_ino == inode, argv
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_a_full_device_fails_with_one_line(tmp_path, capsys) -> None:
    trace = saved(tmp_path)
    code, out, err = cli(["export", str(trace), "--to", "csv", "-o", "/dev/full"], capsys)
    assert code == 1 and out == ""
    assert err.splitlines() == [
        "loiter-viz: error: /dev/full: cannot write export (No space left on device)"
    ]
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


def fifo_with_reader(path: Path) -> int:
    """A FIFO and a reader that holds it open (non-blocking), its buffer big enough for a
    chart, so the test can read everything once the command is done."""
    os.mkfifo(path)
    reader = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    fcntl.fcntl(reader, fcntl.F_SETPIPE_SZ, 1 << 20)
    return reader


def drain(reader: int) -> bytes:
    chunks = []
    while chunk := os.read(reader, 1 << 20):
        chunks.append(chunk)
    os.close(reader)
    return b"".join(chunks)


@pytest.mark.parametrize(
    ("writer", "starts"),
    [(0, b"{"), (2, b"{"), (4, b"\x89PNG"), (5, b"<!DOCTYPE html>"), (6, b"run,"), (7, b"{")],
)
@pytest.mark.timeout(60)
def test_a_fifo_with_a_reader_gets_the_output(tmp_path, capsys, writer, starts) -> None:
    fifo = tmp_path / "pipe"
    reader = fifo_with_reader(fifo)
    code, _, err = cli(every_writer(tmp_path, str(fifo))[writer], capsys)
    assert code == 0, err
    data = drain(reader)
    assert data.startswith(starts)
    if writer == 0:  # the whole trace came through: every run, every task
        runs = tracefile.loads(data).runs
        assert [[t.arg for t in r.tasks] for r in runs] == [[0, 1]] * len(QUICK_STRATEGIES)
    assert stat.S_ISFIFO(fifo.stat().st_mode)


@pytest.mark.parametrize("writer", range(8))
@pytest.mark.timeout(60)  # a blocking open would wait for a reader forever
def test_a_fifo_nobody_reads_is_refused_before_running(tmp_path, capsys, writer) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    argv = every_writer(tmp_path, str(fifo))[writer]
    code, out, err = cli(argv, capsys)
    assert code == 2 and out == ""
    (line,) = err.splitlines()
    assert line.endswith(f"{fifo}: no process is reading this FIFO (start its reader first)")
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert not (tmp_path / "o").exists()  # nothing ran


@pytest.mark.parametrize("writer", range(8))
def test_a_socket_is_refused_before_running(tmp_path, capsys, monkeypatch, writer) -> None:
    monkeypatch.chdir(tmp_path)  # a socket's path must be short
    sock = socket.socket(socket.AF_UNIX)
    sock.bind("s.sock")
    try:
        code, out, err = cli(every_writer(tmp_path, "s.sock")[writer], capsys)
    finally:
        sock.close()
    assert code == 2 and out == ""
    (line,) = err.splitlines()
    assert line.endswith("s.sock: is a socket, not a file"), line
    assert stat.S_ISSOCK(os.stat("s.sock").st_mode)
    assert not (tmp_path / "o").exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="making device nodes needs root")
def test_a_block_device_is_refused_before_running(tmp_path, capsys) -> None:
    disk = tmp_path / "disk"
    os.mknod(disk, stat.S_IFBLK | 0o600, os.makedev(0, 0))  # no driver: harmless if opened
    for argv in every_writer(tmp_path, str(disk)):
        code, out, err = cli(argv, capsys)
        assert code == 2 and out == "", argv
        assert err.splitlines()[-1].endswith(f"{disk}: is a block device (a disk), not a file")
        assert stat.S_ISBLK(disk.stat().st_mode)


@pytest.mark.parametrize(
    ("argv", "folder"),
    [
        ([*QUICK, "--out", "{o}"], "{o}/loiter-thread-3w.png"),  # the chart's place
        ([*QUICK, "--out", "{o}", "--animate"], "{o}/loiter-thread-3w.gif"),
        (["predict", "-q", "--out", "{o}", "--format", "svg"], "{o}/predict-thread-3w.svg"),
        (["plot", "{t}"], "{tmp}/t.png"),  # the default output next to the trace
        (["export", "{t}", "--to", "csv"], "{tmp}/t.csv"),
        (["animate", "{t}"], "{tmp}/t.gif"),
    ],
)
def test_a_folder_where_an_output_goes_is_refused_before_running(tmp_path, capsys, argv, folder):
    names = {"o": tmp_path / "o", "t": saved(tmp_path), "tmp": tmp_path}
    blocker = Path(folder.format(**names))
    blocker.mkdir(parents=True)
    (blocker / "keep").write_text("me")
    code, out, err = cli([a.format(**names) for a in argv], capsys)
    assert code == 2 and out == ""
    assert err.splitlines() == [
        f"loiter-viz: error: {_what(argv)}: {blocker}: is a folder, not a file"
    ]
    assert (blocker / "keep").read_text() == "me"
    assert not (tmp_path / "o" / "loiter-thread-3w.json").exists()  # nothing ran


def _what(argv: list[str]) -> str:
    if argv[0] in ("plot", "export", "animate"):
        return "--output"
    return "the animation" if "--animate" in argv else "the chart"


def run_to(target: str, argv: list[str], stdout) -> subprocess.CompletedProcess:
    env = {**os.environ, "MPLBACKEND": "Agg"}
    command = [sys.executable, "-m", "loiter", *argv]
    return subprocess.run(command, stdout=stdout, stderr=subprocess.PIPE, env=env, timeout=120)


@pytest.mark.parametrize("target", ["/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"])
def test_stdout_takes_the_output_alone_through_a_pipe(tmp_path, target) -> None:
    trace = saved(tmp_path)
    csv = run_to(target, ["export", str(trace), "--to", "csv", "-o", target], subprocess.PIPE)
    assert csv.returncode == 0, csv.stderr
    lines = csv.stdout.decode().splitlines()
    tasks = sum(len(run.tasks) for run in sample_trace())
    assert lines[0].startswith("run,scenario,") and len(lines) == 1 + tasks  # no path after
    png = run_to(target, ["plot", str(trace), "-o", target, "--format", "png"], subprocess.PIPE)
    assert (
        png.returncode == 0
        and png.stdout.startswith(b"\x89PNG")
        and png.stdout.endswith(b"IEND\xaeB`\x82")
    )


def test_stdout_redirected_to_a_file_gets_the_output_in_that_file(tmp_path) -> None:
    """The shell's file is written where it stands: not replaced (the shell keeps its
    descriptor), nor rewritten from its start over what came before."""
    redirected = tmp_path / "out.txt"
    with open(redirected, "wb") as fh:
        fh.write(b"before\n")
        fh.flush()
        inode = os.fstat(fh.fileno()).st_ino
        argv = [*QUICK, "--out", str(tmp_path / "o"), "--trace", "/dev/stdout"]
        result = run_to("/dev/stdout", argv, fh)
    assert result.returncode == 0, result.stderr
    assert redirected.stat().st_ino == inode
    text = redirected.read_text()
    assert text.startswith("before\n{")
    _, end = json.JSONDecoder().raw_decode(text, len("before\n"))
    loaded = tracefile.loads(text[len("before\n") : end])
    assert [t.arg for t in loaded.runs[0].tasks] == [0, 1]
    assert text[end:].split() == [str(tmp_path / "o" / "loiter-thread-3w.png")]


@pytest.mark.parametrize("target", ["/dev/fd/0", "/dev/fd/9"])
def test_a_descriptor_not_open_for_writing_is_refused_before_running(tmp_path, target) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "loiter", *QUICK, "--out", str(tmp_path / "o"), "--trace", target],
        input="",  # stdin: the read end of a pipe
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2 and result.stdout == ""
    why = "is not open for writing" if target.endswith("0") else "is not open"
    assert result.stderr.splitlines() == [
        f"loiter-viz: error: --trace: {target}: descriptor {target[-1]} {why}"
    ]
    assert not (tmp_path / "o").exists()
