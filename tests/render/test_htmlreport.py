"""The HTML report's page, without a browser: payload, escaping, styles, size and time."""

from __future__ import annotations

import json
import re
import time

import pytest
from helpers.fixtures import many_tasks, sample_trace, slow_first_map
from helpers.hostile import IMG, SCRIPT, hostile_trace

from loiter.model.trace import Run, Trace, worker_labels
from loiter.render.gantt import legend_handles
from loiter.render.html import report as htmlreport
from loiter.render.html.report import (
    ADVISE_MAX_TASKS,
    NOTEBOOK_MAX_TASKS,
    _us_column,
    embed_json,
    notebook_html,
    payload,
    render_html,
    style_css,
    write_report,
)
from loiter.render.styles import DARK, LIGHT
from loiter.render.words import comparisons


def data_of(page: bytes) -> dict:
    """The JSON the page embeds, read back as the browser's JSON.parse would."""
    m = re.search(rb'<script type="application/json" id="loiter-data">(.*?)</script>', page, re.S)
    assert m is not None
    return json.loads(m.group(1))


def unstep(steps: list[int | None]) -> list[int | None]:
    """A column of microsecond steps back to microseconds, as the page reads it."""
    out, now = [], 0
    for step in steps:
        if step is not None:
            now += step
        out.append(None if step is None else now)
    return out


def test_time_columns_are_microsecond_steps_over_missing_values():
    column = [None, 1.0, None, 0.5, 2.0000004]
    steps = _us_column(column, steps=True)
    assert steps == [None, 1_000_000, None, -500_000, 1_500_000]
    assert unstep(steps) == [None, 1_000_000, None, 500_000, 2_000_000]


def test_embedded_json_has_no_markup_characters_and_reads_back_equal():
    value = {"s": SCRIPT + IMG + "&\u2028\u2029<!--"}
    raw = embed_json(value)
    for bad in (b"<", b">", b"&", "\u2028".encode(), "\u2029".encode()):
        assert bad not in raw
    assert json.loads(raw) == value


def test_hostile_strings_never_reach_the_page_as_markup():
    page = render_html(hostile_trace())
    text = page.decode()
    assert SCRIPT not in text and "<img" not in text  # inside the JSON only as \u003c...
    assert text.count("<script") == 2 and text.count("</script>") == 2  # ours: data, code
    data = data_of(page)
    run = data["runs"][0]
    assert run["scenario"] == SCRIPT and run["strategy"] == IMG
    assert run["tasks"]["arg"] == [SCRIPT, IMG]
    assert run["tasks"]["error"] == {"row": [1], "text": [f"ValueError: {IMG}"]}
    assert run["tasks"]["result"]["text"][0].startswith(SCRIPT)
    assert data["workers"] == [IMG, SCRIPT]
    assert run["options"] == [[IMG, SCRIPT]]


def test_the_page_reaches_no_network_and_inserts_no_html():
    page = render_html(sample_trace()).decode()
    assert "http:" not in page and "https:" not in page
    assert not re.search(r"\s(src|href)=", page)
    assert "default-src 'none'" in page  # the CSP blocks any request the page might try
    assert "innerHTML" not in page and "insertAdjacentHTML" not in page and "eval(" not in page


def test_payload_is_columnar_in_microseconds_with_interned_workers():
    trace = sample_trace()
    data = payload(trace, style=LIGHT, lanes="auto", title=None)
    assert data["title"] == "loiter on a thread pool, 3 workers, unit 1s"
    assert data["workers"] == list(worker_labels(trace.runs))
    for run, shown in zip(trace.runs, data["runs"]):
        cols = shown["tasks"]
        assert {len(v) for k, v in cols.items() if isinstance(v, list)} == {len(run.tasks)}
        for t, sub, sta, fin, dlv, w in zip(
            run.tasks,
            unstep(cols["submitted"]),
            unstep(cols["started"]),
            unstep(cols["finished"]),
            unstep(cols["delivered"]),
            cols["worker"],
        ):
            for x, us in ((t.submitted, sub), (t.started, sta), (t.finished, fin)):
                assert us == (None if x is None else round(x * 1e6))
            assert dlv == (None if t.delivered is None else round(t.delivered * 1e6))
            assert (data["workers"][w] if w >= 0 else None) == t.worker
        stalls = run.stalls()
        assert cols["culprit"] == [-1 if s.blocked_on is None else s.blocked_on for s in stalls]
        assert cols["stall"] == [round(s.seconds * 1e6) for s in stalls]
        assert shown["waits"]["for"] == [b.index for b in run.caller_blocked]
        assert unstep(shown["waits"]["got"]) == [round(b.got * 1e6) for b in run.caller_blocked]
    first = data["runs"][0]
    assert first["tasks"]["culprit"] == [-1, 0, 0, 0, 0]  # map: #0 held back #1..#4
    assert first["lanes"] == "tasks"
    assert data["comparisons"] == [
        "slow-first: as_completed delivered its first result 2.000s sooner than map"
        " and held nothing"
    ]


def test_summary_advice_and_options_are_the_runs_own():
    run = slow_first_map()
    run.options["consumer_delay"] = 0.5
    shown = payload(Trace([run]), style=LIGHT, lanes="auto", title="T")["runs"][0]
    s = run.summary()
    assert ["makespan", f"{s.makespan:.3f} s"] in shown["summary"]
    assert ["stalled tasks", "4"] in shown["summary"]
    assert shown["advice"] == run.advise().recommendation
    assert shown["options"] == [["consumer_delay", "0.5"]]


def test_advice_is_skipped_on_big_runs_with_a_pointer():
    big = many_tasks(ADVISE_MAX_TASKS + 1)
    shown = payload(Trace([big]), style=LIGHT, lanes="auto", title=None)["runs"][0]
    assert "loiter-viz advise" in shown["advice"]
    assert shown["lanes"] == "workers"  # above 40 tasks, as --lanes auto in the PNG


def test_colours_come_from_the_style_as_css_variables():
    css = style_css(DARK)
    assert f"--stall: {DARK.stall};" in css and f"--background: {DARK.background};" in css
    for i, colour in enumerate(DARK.workers):
        assert f"--workers-{i}: {colour};" in css
    assert css in render_html(sample_trace(), style="dark").decode()


def test_legend_has_the_png_legends_words():
    trace = sample_trace()
    data = payload(trace, style=LIGHT, lanes="auto", title=None)
    outcomes = frozenset(t.outcome for r in trace for t in r.tasks)
    handles = legend_handles(worker_labels(trace.runs), LIGHT, outcomes=outcomes)
    assert [e["label"] for e in data["legend"]] == [h.get_label() for h in handles]


def test_write_report_is_atomic_and_rejects_bad_lanes(tmp_path):
    path = write_report(sample_trace(), tmp_path / "sub" / "r.html", title="mine")
    assert path.read_bytes().startswith(b"<!DOCTYPE html>")
    assert data_of(path.read_bytes())["title"] == "mine"
    assert [p.name for p in path.parent.iterdir()] == ["r.html"]
    with pytest.raises(ValueError, match="lanes"):
        render_html(sample_trace(), lanes="sideways")
    with pytest.raises(ValueError, match="style"):
        render_html(sample_trace(), style="neon")


def test_notebook_shows_the_png_and_embeds_small_reports_only():
    small = notebook_html(sample_trace())
    assert small.count("<img") == 1 and 'srcdoc="&lt;!DOCTYPE html&gt;' in small
    assert 'sandbox="allow-scripts"' in small and "<script" not in small
    big = notebook_html(many_tasks(NOTEBOOK_MAX_TASKS + 1))
    assert "<iframe" not in big and "write_report" in big


def test_a_100k_task_report_writes_in_5_s_and_15_mb(tmp_path):
    trace = Trace([many_tasks(100_000, workers=8)])
    t0 = time.perf_counter()
    path = write_report(trace, tmp_path / "big.html")
    took = time.perf_counter() - t0
    size = path.stat().st_size
    assert size <= 15 * 2**20, f"{size / 2**20:.1f} MB"
    assert took <= 5.0, f"{took:.2f} s"
    assert len(data_of(path.read_bytes())["runs"][0]["tasks"]["started"]) == 100_000


def test_comparisons_reuse_the_summaries_already_computed(monkeypatch):
    trace = sample_trace()
    expected = comparisons(trace)
    summaries = [r.summary() for r in trace]

    def recomputed(self):
        raise AssertionError("summary recomputed")

    monkeypatch.setattr(Run, "summary", recomputed)
    monkeypatch.setattr(htmlreport, "_advice", lambda run: "")  # advise sums up on its own
    assert comparisons(trace, summaries) == expected
    assert payload(trace, style=LIGHT, lanes="auto", title=None)["comparisons"] == expected
