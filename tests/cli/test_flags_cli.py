"""``loiter-viz serve`` and ``--workload flags`` as a user meets them: processes, files, errors."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys

import httpx
import pytest
from helpers.commands import cli
from helpers.fixtures import signals_default

from loiter.model import tracefile
from loiter.workloads.flags.images import flag_gif


def test_flags_run_downloads_traces_and_counts_outcomes(tmp_path) -> None:
    result = cli(
        "--workload", "flags", "--workers", "4", "--countries", "cn,XX,us", "--delay", "0.02,0.05",
        "--strategy", "as_completed,map", "--downloads", "dl", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "dl").iterdir()) == ["cn.gif", "us.gif"]
    assert (tmp_path / "dl" / "us.gif").read_bytes() == flag_gif("US")
    assert "flags / as_completed: 3 flags in" in result.stdout
    assert "(2 ok, 1 not found)" in result.stdout
    assert "3/3 finished" in result.stdout
    trace = tracefile.load(tmp_path / "plots" / "flags-thread-4w.json")
    completed, mapped = trace.runs
    assert (completed.workload, completed.scenario) == ("flags", "flags")
    assert completed.options == {"delay": [0.02, 0.05], "error_rate": 0.0, "seed": 0}
    by_cc = {t.arg: t for t in completed.tasks}
    assert by_cc["US"].result == {"status": 200, "bytes": len(flag_gif("US"))}
    assert by_cc["XX"].error == "NotFound: 404 Not Found"
    # map delivered CN, then raised the 404 of XX; US was never delivered.
    assert [t.outcome for t in mapped.tasks] == ["ok", "error", "undelivered"]
    assert (tmp_path / "plots" / "flags-thread-4w.png").read_bytes().startswith(b"\x89PNG")


def test_limit_takes_the_first_of_the_book_list(tmp_path) -> None:
    result = cli(
        "--workload", "flags", "--limit", "3", "--delay", "0", "--strategy", "as_completed",
        "-q", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    trace = tracefile.load(tmp_path / "plots" / "flags-thread-3w.json")
    assert [t.arg for t in trace.runs[0].tasks] == ["CN", "IN", "US"]
    assert {p.name for p in (tmp_path / "downloads").iterdir()} == {"cn.gif", "in.gif", "us.gif"}
    assert "finished" not in result.stdout  # -q: no progress bar


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--delay", "0.5,0.1"], "--delay"),
        (["--delay", "nan"], "--delay"),
        (["--error-rate", "1.5"], "--error-rate"),
        (["--error-rate", "nan"], "--error-rate"),
        (["--countries", "USA"], "two-letter"),
        (["--countries", "CN", "--all"], "--countries or --all"),
        (["--http-timeout", "0"], "--http-timeout"),
        (["--scenario", "book"], "not --workload flags"),
    ],
)
def test_bad_flags_options_are_one_line_usage_errors(tmp_path, args, message) -> None:
    result = cli("--workload", "flags", *args, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and message in result.stderr
    assert not (tmp_path / "downloads").exists()


def test_flags_options_need_the_flags_workload(tmp_path) -> None:
    result = cli("--countries", "CN", "--limit", "2", cwd=tmp_path)
    assert result.returncode == 2
    assert "--countries, --limit: only with --workload flags" in result.stderr


def test_serve_answers_logs_and_stops_on_ctrl_c() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "loiter", "serve", "--port", "0", "--delay", "0.01"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=signals_default,
    )
    try:
        banner = proc.stdout.readline()
        url = re.search(r"(http://127\.0\.0\.1:\d+/flags)", banner).group(1)
        with httpx.Client(trust_env=False) as client:
            assert client.get(f"{url}/cn/cn.gif").content == flag_gif("CN")
            assert client.get(f"{url}/xx/xx.gif").status_code == 404
        took = re.search(r"\] 200 /flags/cn/cn.gif \d+ B in (\d+\.\d{3})s", proc.stdout.readline())
        assert float(took.group(1)) >= 0.01  # the delay, then however late the server woke
        assert "404 /flags/xx/xx.gif" in proc.stdout.readline()
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=10)
    assert proc.returncode == 0
    assert "stopped" in err


def test_serve_on_a_busy_port_is_a_one_line_runtime_error() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = cli("serve", "--port", str(port))
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and f"--port {port}" in result.stderr
