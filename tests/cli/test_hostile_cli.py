"""Every option with every kind of bad value: exit 2, one line naming the option and its values.

Bad trace files are runtime problems: exit 1, one line naming the file (a busy
``serve --port`` is in tests/test_flags_cli.py). Either way nothing is written, no traceback.

Run in-process through ``main`` (the same code path as the console script) so
the whole table stays fast; tests/test_cli.py covers the real subprocess.
"""

from __future__ import annotations

import pytest

from loiter.cli import main

ACCEPTS_WORKERS = "1<=n<=1024"
ACCEPTS_UNIT = "0 < seconds <= 60"
ACCEPTS_DURATIONS = "each duration 0 to 3600 units"
NUMBERS = "expected numbers like 3,1,2 or 0*1000"
SWEEP_WORKERS = "expected counts 1 to 1024, e.g. 1-8 or 1,2,4"

# (argv, option named, what is accepted)
BAD = [
    # --workers: zero, negative, huge, non-numeric, float, NaN, inf, empty
    (["--workers", "0"], "--workers", ACCEPTS_WORKERS),
    (["--workers", "-3"], "--workers", ACCEPTS_WORKERS),
    (["--workers", "1025"], "--workers", ACCEPTS_WORKERS),
    (["--workers", "9" * 40], "--workers", ACCEPTS_WORKERS),
    (["--workers", "many"], "--workers", ACCEPTS_WORKERS),
    (["--workers", "2.5"], "--workers", ACCEPTS_WORKERS),
    (["--workers", "nan"], "--workers", ACCEPTS_WORKERS),
    (["--workers", "inf"], "--workers", ACCEPTS_WORKERS),
    (["--workers", ""], "--workers", ACCEPTS_WORKERS),
    (["-w"], "-w", "requires an argument"),
    # --unit
    (["--unit", "0"], "--unit", ACCEPTS_UNIT),
    (["--unit", "-0.1"], "--unit", ACCEPTS_UNIT),
    (["--unit", "61"], "--unit", ACCEPTS_UNIT),
    (["--unit", "1e309"], "--unit", ACCEPTS_UNIT),
    (["--unit", "nan"], "--unit", ACCEPTS_UNIT),
    (["--unit", "inf"], "--unit", ACCEPTS_UNIT),
    (["--unit", "-inf"], "--unit", ACCEPTS_UNIT),
    (["--unit", "fast"], "--unit", "seconds > 0"),
    (["--unit", ""], "--unit", "seconds > 0"),
    # --durations
    (["--durations", ""], "--durations", NUMBERS),
    (["--durations", ","], "--durations", NUMBERS),
    (["--durations", "1,,2"], "--durations", NUMBERS),
    (["--durations", "1,x"], "--durations", NUMBERS),
    (["--durations", "-1"], "--durations", ACCEPTS_DURATIONS),
    (["--durations", "3601"], "--durations", ACCEPTS_DURATIONS),
    (["--durations", "1e400"], "--durations", ACCEPTS_DURATIONS),
    (["--durations", "nan"], "--durations", ACCEPTS_DURATIONS),
    (["--durations", "1,inf"], "--durations", ACCEPTS_DURATIONS),
    (["--durations", "0*5000000,0*5000001"], "--durations", "at most 10000000"),
    (["--durations", "0*10000001"], "--durations", "repeat count must be 1 to 10000000"),
    (["--durations", "1,0*10000000"], "--durations", "at most 10000000"),
    (["--durations", "1*0"], "--durations", "repeat count must be 1 to 10000000"),
    (["--durations", "1*x"], "--durations", NUMBERS),
    (["--trace-format", "3"], "--trace-format", "'1', '2'"),
    (["sweep", "--trace-format", "0"], "--trace-format", "'1', '2'"),
    (["--durations", "-1*3"], "--durations", ACCEPTS_DURATIONS),
    # names from fixed sets
    (["--executor", "gpu"], "--executor", "'thread', 'process'"),
    (["--executor", ""], "--executor", "'thread', 'process'"),
    (["--strategy", "telepathy"], "--strategy", "map, as_completed"),
    (["--strategy", "map,telepathy"], "--strategy", "map, as_completed"),
    (["--strategy", ""], "--strategy", "map, as_completed"),
    (["--strategy", " , "], "--strategy", "map, as_completed"),
    (["--scenario", "nope"], "--scenario", "'book', 'slow-first', 'shuffled'"),
    (["--scenario", ""], "--scenario", "'book', 'slow-first', 'shuffled'"),
    (["--format", "bmp"], "--format", "'png', 'svg', 'pdf'"),
    (["--format", ""], "--format", "'png', 'svg', 'pdf'"),
    # --seed
    (["--seed", "-1"], "--seed", "n>=0"),
    (["--seed", "x"], "--seed", "n>=0"),
    (["--seed", "1.5"], "--seed", "n>=0"),
    # paths
    (["--out", ""], "--out", "expected a path"),
    (["--out", "  "], "--out", "expected a path"),
    (["--trace", ""], "--trace", "expected a path"),
    (["--trace", "/"], "--trace", "is a directory"),
    (["--quiet=yes"], "--quiet", "does not take a value"),
    # conflicts and unknowns
    (["--durations", "1,2", "--scenario", "book"], "--durations or --scenario", "not both"),
    (["--frobnicate"], "--frobnicate", "No such option"),
    (["extra"], "extra", "unexpected extra argument"),
    # plot
    (["plot"], "TRACE_FILE", "Missing argument"),
    (["plot", ""], "TRACE_FILE", "expected a path"),
    (["plot", "/"], "TRACE_FILE", "is a directory"),
    (["plot", "t.json", "--format", "gif"], "--format", "'png', 'svg', 'pdf'"),
    (["plot", "t.json", "--output", ""], "--output", "expected a path"),
    (["plot", "t.json", "--output", "/"], "--output", "is a directory"),
    (["plot", "t.json", "--unit", "1"], "--unit", "No such option"),
    # how results are consumed
    (["--chunksize", "0"], "--chunksize", "1<=n<=10000000"),
    (["--chunksize", "-2"], "--chunksize", "1<=n<=10000000"),
    (["--chunksize", "10000001"], "--chunksize", "1<=n<=10000000"),
    (["--chunksize", "nan"], "--chunksize", "1<=n<=10000000"),
    (["--chunksize", ""], "--chunksize", "1<=n<=10000000"),
    (["--chunksize", "2", "-s", "as_completed"], "--chunksize", "--strategy map"),
    (["--buffersize", "0"], "--buffersize", "1<=n<=10000000"),
    (["--buffersize", "1.5"], "--buffersize", "1<=n<=10000000"),
    (["--buffersize", "inf"], "--buffersize", "1<=n<=10000000"),
    (["--buffersize", "2"], "--buffersize", "--strategy bounded"),
    (["--consumer-delay", "-1"], "--consumer-delay", ACCEPTS_UNIT),
    (["--consumer-delay", "nan"], "--consumer-delay", ACCEPTS_UNIT),
    (["--consumer-delay", "inf"], "--consumer-delay", ACCEPTS_UNIT),
    (["--consumer-delay", "61"], "--consumer-delay", ACCEPTS_UNIT),
    (["--consumer-delay", "slow"], "--consumer-delay", "seconds > 0"),
    (["--timeout", "0"], "--timeout", "0 < seconds <= 3600"),
    (["--timeout", "-5"], "--timeout", "0 < seconds <= 3600"),
    (["--timeout", "3601"], "--timeout", "0 < seconds <= 3600"),
    (["--timeout", "nan"], "--timeout", "0 < seconds <= 3600"),
    (["--timeout", "soon"], "--timeout", "seconds > 0"),
    # what fails
    (["--fail-at", "x"], "--fail-at", "expected 0,1,2,..."),
    (["--fail-at", ""], "--fail-at", "expected 0,1,2,..."),
    (["--fail-at", "1,,2"], "--fail-at", "expected 0,1,2,..."),
    (["--fail-at", "1.5"], "--fail-at", "expected 0,1,2,..."),
    (["--fail-at", "-1"], "--fail-at", "0 to 9999999"),
    (["--fail-at", "10000000"], "--fail-at", "0 to 9999999"),
    (["--fail-at", "9"], "--fail-at", "indices 0 to 4"),  # the book's 5 tasks
    (["--error-rate", "-0.1"], "--error-rate", "0 <= x <= 1"),
    (["--error-rate", "1.5"], "--error-rate", "0 <= x <= 1"),
    (["--error-rate", "nan"], "--error-rate", "0 <= x <= 1"),
    (["--error-rate", "inf"], "--error-rate", "0 <= x <= 1"),
    (["--error-rate", ""], "--error-rate", "0 <= x <= 1"),
    (["--crash-at", "x"], "--crash-at", "expected 0,1,2,..."),
    (["--crash-at", "5", "-e", "process"], "--crash-at", "indices 0 to 4"),
    (["--crash-at", "1"], "--crash-at", "needs --executor process"),
    (["--crash-at", "1", "-e", "process", "-s", "sequential"], "--crash-at", "sequential"),
    # what runs
    (["--workload", "nope"], "--workload", "loiter, spin or a module:function"),
    (["--workload", ""], "--workload", "loiter, spin or a module:function"),
    (["--workload", ":"], "--workload", "loiter, spin or a module:function"),
    (["--workload", "no_such_module_xyz:fn"], "--workload", "cannot import module"),
    (["--workload", "os:no_such_fn"], "--workload", "has no attribute 'no_such_fn'"),
    (["--args", ""], "--args", "expected values like 1,2,3 or @file"),
    (["--args", " , "], "--args", "expected values like 1,2,3 or @file"),
    (["--args", "@missing.txt", "--workload", "os.path:basename"], "--args", "cannot read"),
    (["--args", "1,2"], "--args", "module:function workload"),
    (["--args", "1", "--workload", "os.path:basename", "-d", "1"], "--args", "not both"),
    # how it is drawn
    (["--style", "neon"], "--style", "'light', 'dark', 'projector'"),
    (["--style", ""], "--style", "'light', 'dark', 'projector'"),
    (["--lanes", "diagonal"], "--lanes", "'tasks', 'workers', 'auto'"),
    (["--dpi", "0"], "--dpi", "30<=n<=600"),
    (["--dpi", "601"], "--dpi", "30<=n<=600"),
    (["--dpi", "x"], "--dpi", "30<=n<=600"),
    (["--dpi", "nan"], "--dpi", "30<=n<=600"),
    # dask
    (["--scheduler", "tcp://127.0.0.1:1"], "--scheduler", "need --executor dask"),
    (["--scheduler", ""], "--scheduler", "tcp://HOST:PORT"),
    (["--scheduler", " "], "--scheduler", "tcp://HOST:PORT"),
    # flags: bad values, and flags options for another workload
    (["--countries", ""], "--countries", "codes like CN,IN,US"),
    (["--countries", "1X"], "--countries", "two-letter country code"),
    (["--countries", "ABC"], "--countries", "two-letter country code"),
    (["--countries", "CN"], "--countries", "only with --workload flags"),
    (["--workload", "flags", "--countries", "CN", "--all"], "--countries or --all", "not both"),
    (["--workload", "flags", "-d", "1"], "--durations", "not --workload flags"),
    (["--workload", "flags", "--fail-at", "1"], "--fail-at", "not for --workload flags"),
    (["--limit", "0"], "--limit", "n>=1"),
    (["--limit", "x"], "--limit", "n>=1"),
    (["--limit", "3"], "--limit", "only with --workload flags"),
    (["--delay", "x"], "--delay", "MIN,MAX seconds"),
    (["--delay", ""], "--delay", "MIN,MAX seconds"),
    (["--delay", "nan"], "--delay", "MIN,MAX seconds"),
    (["--delay", "1,2,3"], "--delay", "MIN,MAX seconds"),
    (["--delay", "2,1"], "--delay", "0 <= MIN <= MAX <= 60"),
    (["--delay", "-1"], "--delay", "0 <= MIN <= MAX <= 60"),
    (["--delay", "0,61"], "--delay", "0 <= MIN <= MAX <= 60"),
    (["--http-timeout", "0"], "--http-timeout", "0 < x <= 600"),
    (["--http-timeout", "-1"], "--http-timeout", "0 < x <= 600"),
    (["--http-timeout", "nan"], "--http-timeout", "0 < x <= 600"),
    (["--http-timeout", "601"], "--http-timeout", "0 < x <= 600"),
    (["--http-timeout", "x"], "--http-timeout", "0 < x <= 600"),
    # sweep
    (["sweep", "--workers", "0-3"], "--workers", SWEEP_WORKERS),
    (["sweep", "--workers", "5-2"], "--workers", SWEEP_WORKERS),
    (["sweep", "--workers", "x"], "--workers", SWEEP_WORKERS),
    (["sweep", "--workers", ""], "--workers", SWEEP_WORKERS),
    (["sweep", "--workers", "0"], "--workers", SWEEP_WORKERS),
    (["sweep", "--workers", "1-"], "--workers", SWEEP_WORKERS),
    (["sweep", "--workers", "-3"], "--workers", SWEEP_WORKERS),
    (["sweep", "--workers", "1,,2"], "--workers", SWEEP_WORKERS),
    (["sweep", "--workers", "1.5"], "--workers", SWEEP_WORKERS),
    (["sweep", "--workers", "²"], "--workers", SWEEP_WORKERS),  # "²".isdigit()
    (["sweep", "--workers", "1-2000"], "--workers", SWEEP_WORKERS),
    (["sweep", "--workers", "1-" + "9" * 30], "--workers", SWEEP_WORKERS),  # never expanded
    (["sweep", "--repeat", "0"], "--repeat", "1<=n<=100"),
    (["sweep", "--repeat", "101"], "--repeat", "1<=n<=100"),
    (["sweep", "--repeat", "x"], "--repeat", "1<=n<=100"),
    (["sweep", "--repeat", ""], "--repeat", "1<=n<=100"),
    (["sweep", "--executor", "gpu"], "--executor", "thread, process"),
    (["sweep", "--executor", "thread,gpu"], "--executor", "thread, process"),
    (["sweep", "--executor", ""], "--executor", "thread, process"),
    (["sweep", "--strategy", "x"], "--strategy", "map, as_completed"),
    (["sweep", "--workload", "nope"], "--workload", "loiter, spin or a module:function"),
    (["sweep", "--unit", "0"], "--unit", ACCEPTS_UNIT),
    (["sweep", "-d", "x"], "--durations", NUMBERS),
    (["sweep", "-d", "1", "--scenario", "book"], "--durations or --scenario", "not both"),
    (["sweep", "--out", ""], "--out", "expected a path"),
    # predict: run's options that shape a prediction, and nothing else
    (["predict", "--workers", "0"], "--workers", ACCEPTS_WORKERS),
    (["predict", "--chunksize", "0"], "--chunksize", "1<=n<=10000000"),
    (["predict", "--buffersize", "x"], "--buffersize", "1<=n<=10000000"),
    (["predict", "--buffersize", "2"], "--buffersize", "--strategy bounded"),
    (["predict", "--consumer-delay", "nan"], "--consumer-delay", ACCEPTS_UNIT),
    (["predict", "--strategy", "x"], "--strategy", "map, as_completed"),
    (["predict", "-d", "1", "--scenario", "book"], "--durations or --scenario", "not both"),
    (["predict", "--timeout", "1"], "--timeout", "No such option"),
    (["predict", "--dpi", "1"], "--dpi", "30<=n<=600"),
    # re-rendering a saved trace: options are checked before the file is read
    (["animate", "t.json", "--speed", "0"], "--speed", "0 < speed <= 1000"),
    (["animate", "t.json", "--speed", "-1"], "--speed", "0 < speed <= 1000"),
    (["animate", "t.json", "--speed", "nan"], "--speed", "0 < speed <= 1000"),
    (["animate", "t.json", "--speed", "1001"], "--speed", "0 < speed <= 1000"),
    (["animate", "t.json", "--speed", "fast"], "--speed", "speed > 0"),
    (["animate", "t.json", "--speed", ""], "--speed", "speed > 0"),
    (["export", "t.json", "--to", "xml"], "--to", "'chrome', 'csv'"),
    (["export", "t.json", "--to", ""], "--to", "'chrome', 'csv'"),
    (["export", "t.json"], "--to", "chrome, csv"),
    (["export", "t.json", "--to", "csv", "-o", ""], "--output", "expected a path"),
    (["advise"], "TRACE_FILE", "Missing argument"),
    (["advise", ""], "TRACE_FILE", "expected a path"),
    (["advise", "/"], "TRACE_FILE", "is a directory"),
    # serve
    (["serve", "--port", "-1"], "--port", "0<=n<=65535"),
    (["serve", "--port", "65536"], "--port", "0<=n<=65535"),
    (["serve", "--port", "http"], "--port", "0<=n<=65535"),
    (["serve", "--port", ""], "--port", "0<=n<=65535"),
    (["serve", "--delay", "1,0"], "--delay", "0 <= MIN <= MAX <= 60"),
    (["serve", "--error-rate", "2"], "--error-rate", "0 <= x <= 1"),
]


IDS = [" ".join(argv)[:40] for argv, _, _ in BAD]


@pytest.mark.parametrize(("argv", "option", "accepted"), BAD, ids=IDS)
def test_bad_value_is_one_line_naming_option_and_accepted_values(
    argv: list[str], option: str, accepted: str, capsys, tmp_path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)  # nothing may be written anywhere that matters
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    out, err = capsys.readouterr()
    assert exit_.value.code == 2, err
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("loiter-viz: error: ")
    assert option in lines[0] and accepted in lines[0], lines[0]
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []  # rejected before anything ran or was written


def _truncated_trace() -> bytes:
    from helpers.fixtures import sample_trace

    from loiter.model.tracefile import dumps

    data = dumps(sample_trace())
    return data[: len(data) // 2]


# Runtime problems with files (exit 1): (argv, content of t.json or None, what the line says)
FILE_PROBLEMS = [
    (["advise", "missing.json"], None, "missing.json: cannot read trace (No such file"),
    (["advise", "t.json"], b"", "t.json: not a loiter trace"),
    (["advise", "t.json"], b"{not json", "t.json: not a loiter trace (JSON is malformed"),
    (["advise", "t.json"], b"\xff\xfe\x00 not utf-8", "t.json: not a loiter trace"),
    (["advise", "t.json"], b'{"format": "other"}', "expected 'loiter-trace'"),
    (["advise", "t.json"], b"[" * 100_000, "t.json: not a loiter trace"),
    (["advise", "t.json"], _truncated_trace(), "t.json: not a loiter trace"),
    (["export", "missing.json", "--to", "csv"], None, "missing.json: cannot read trace"),
    (["export", "t.json", "--to", "chrome"], b"{not json", "t.json: not a loiter trace"),
    (["animate", "t.json"], b"{not json", "t.json: not a loiter trace"),
    (["summary", "t.json"], b"{not json", "t.json: not a loiter trace"),
]


@pytest.mark.parametrize(
    ("argv", "content", "says"), FILE_PROBLEMS, ids=[" ".join(a) for a, _, _ in FILE_PROBLEMS]
)
def test_bad_trace_file_is_one_line_exit_1(argv, content, says, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    if content is not None:
        (tmp_path / "t.json").write_bytes(content)
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    out, err = capsys.readouterr()
    assert exit_.value.code == 1, err
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("loiter-viz: error: ") and says in lines[0], lines[0]
    assert "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == (["t.json"] if content is not None else [])
