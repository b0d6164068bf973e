"""``--format html`` and ``-o report.html``: every command that draws writes the report too."""

from __future__ import annotations

import pytest
from helpers.fixtures import sample_trace

from loiter.cli import main
from loiter.model import tracefile


def cli(argv: list[str], capsys) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    out, err = capsys.readouterr()
    return exit_.value.code, out, err


def report_of(path) -> str:
    text = path.read_text("utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert 'id="loiter-data"' in text and "<script" in text
    assert "http://" not in text and "https://" not in text  # nothing from the network
    return text


@pytest.mark.parametrize(
    ("argv", "written"),
    [
        (
            ["--durations", "1,0", "--unit", "0.01", "-q", "--format", "html"],
            "loiter-thread-3w.html",
        ),
        (["predict", "--format", "html", "-q"], "predict-thread-3w.html"),
        (
            [
                "sweep",
                "-w",
                "1-2",
                "-e",
                "thread",
                "-s",
                "map",
                "-d",
                "1",
                "-u",
                "0.01",
                "-f",
                "html",
            ],
            "sweep-loiter-1-2w.html",
        ),
    ],
)
def test_commands_that_draw_write_the_report(tmp_path, capsys, argv, written) -> None:
    code, out, err = cli([*argv, "--out", str(tmp_path)], capsys)
    assert code == 0, err
    assert str(tmp_path / written) in out.split()
    report_of(tmp_path / written)


def test_plot_picks_the_report_by_suffix(tmp_path, capsys) -> None:
    trace = tmp_path / "t.json"
    tracefile.save(sample_trace(), trace)
    code, out, err = cli(["plot", str(trace), "-o", str(tmp_path / "report.html")], capsys)
    assert code == 0, err
    assert out.strip() == str(tmp_path / "report.html")
    text = report_of(tmp_path / "report.html")
    assert "slow-first" in text  # the runs' data is in the page
