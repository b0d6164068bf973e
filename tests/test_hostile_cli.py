"""Every option with every kind of bad value: exit 2, one line naming the option and its values.

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
    (["--durations", ",".join(["1"] * 100_001)], "--durations", "at most 100000"),
    (["--durations", "0*100001"], "--durations", "repeat count must be 1 to 100000"),
    (["--durations", "1,0*100000"], "--durations", "at most 100000"),
    (["--durations", "1*0"], "--durations", "repeat count must be 1 to 100000"),
    (["--durations", "1*x"], "--durations", NUMBERS),
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
