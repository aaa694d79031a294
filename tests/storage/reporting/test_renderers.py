"""The four formats say what the `Report` says, and texts from outside cannot break out of them.

Titles come from feeds and outlets from news searches, so the data set here adds hostile ones: a
script tag, Markdown table and link syntax, a spreadsheet formula. The HTML report must load
nothing from outside (no attribute holds a URL; a CSP forbids it besides), the Markdown table
must keep its columns, the CSV must read back to the same text without a live formula.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict
from datetime import date
from html.parser import HTMLParser

import pytest
from sqlalchemy.engine import Engine

from tests.conftest import FakeClock
from xensocial.reporting.build import build_report
from xensocial.reporting.charts import nice_ticks
from xensocial.reporting.model import Report
from xensocial.reporting.periods import parse_month
from xensocial.reporting.render import render
from xensocial.reporting.render_csv import render_csv
from xensocial.reporting.render_html import render_html
from xensocial.reporting.render_json import render_json
from xensocial.reporting.render_markdown import escape, render_markdown

from .conftest import CHANNELS, CONFIG, ZONE, Data, at, march_2026

HOSTILE = '<script>alert("x")</script> | *bold* [link](javascript:alert(1)) & more'
FORMULA = '=HYPERLINK("http://evil.example","click")'


@pytest.fixture
def report(engine: Engine, clock: FakeClock) -> Report:
    march_2026(engine, clock)
    data = Data(engine, clock)
    item = data.item("hostile", HOSTILE, ("masto",))
    published = at("2026-03-20 10:00")
    delivery = data.publish(item, "masto", published)
    data.sample(delivery, "masto", published, at("2026-03-20 11:00") - published, likes=50)
    data.clip("hostile", date(2026, 3, 21), FORMULA, outlet="<img src=x onerror=alert(1)>")
    return build_report(
        engine, parse_month("2026-03", ZONE), CONFIG, CHANNELS, now=at("2026-04-02 07:00")
    )


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str]] = []
        self.text: list[str] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes += [(name, value or "") for name, value in attrs]
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        (self.styles if self._in_style else self.text).append(data)


def test_html_is_self_contained_and_escapes_every_text(report: Report) -> None:
    page = render_html(report)
    parsed = _Tags()
    parsed.feed(page)
    assert "script" not in parsed.tags and "img" not in parsed.tags and "a" not in parsed.tags
    assert {"table", "caption", "svg", "figure"} <= set(parsed.tags)
    for name, value in parsed.attributes:
        assert "://" not in value and not value.startswith("//"), (name, value)
        assert "javascript:" not in value.lower(), (name, value)
    style = "".join(parsed.styles)
    assert "url(" not in style and "@import" not in style
    text = "".join(parsed.text)
    assert HOSTILE in text  # shown as text, whole
    assert "<img src=x onerror=alert(1)>" in text
    assert "default-src 'none'" in page  # and the page forbids loads besides
    # followers, engagement, share of voice; and the trends: followers, clips, voice, interactions
    assert page.count('role="img"') == 7
    assert parsed.tags.count("th") > 50  # header cells, with scope, for screen readers
    assert 'scope="col"' in page and 'scope="row"' in page


def test_markdown_keeps_its_tables_whole(report: Report) -> None:
    text = render_markdown(report)
    assert "<script>" not in text and "&lt;script&gt;" in text
    [row] = [line for line in text.splitlines() if "alert" in line and line.startswith("| 1 |")]
    # the hostile title's "|" is escaped: the row has as many cells as the header (11)
    cells = [c for c in row.replace("\\|", "").split("|")[1:-1]]
    assert len(cells) == 11, row
    assert escape("a|b *c* [d]") == "a\\|b \\*c\\* \\[d\\]"
    # figures as formatted for people; a missing one is "—", never 0
    assert "| masto | 4 | 3 | 76 | 67 | 6 | 3 | — | — | — |" in text  # +50 likes from the post
    assert "| **all channels** | **12** | **8** | **120** | **96** |" in text
    assert "| masto | 1,200 | 1,000 | +200 (+20.0 %) | 900 | +300 (+33.3 %) |" in text
    assert "- **Press releases issued:** 3" in text


def test_csv_is_long_form_and_reads_back(report: Report) -> None:
    rows = list(csv.DictReader(io.StringIO(render_csv(report))))
    assert list(rows[0]) == ["section", "key", "metric", "value"]
    value = {(r["section"], r["key"], r["metric"]): r["value"] for r in rows}
    assert value[("engagement_by_channel", "x-main", "likes")] == "28"
    assert value[("engagement_by_channel", "masto", "quotes")] == ""  # missing, not 0
    assert value[("followers", "masto", "growth_month_pct")] == "20.00"
    assert value[("follower_series", "masto", "2026-03-15")] == "1100"
    assert value[("voice", "xen", "posts_on_x")] == "207"
    assert value[("posts_by_category", "announcement", "items")] == "3"
    assert value[("top_posts", "1", "title")] == HOSTILE  # round-trips, quotes and all
    clip_outlets = {k for s, k, _ in value if s == "clips_by_outlet"}
    assert "<img src=x onerror=alert(1)>" in clip_outlets
    titles = [r["value"] for r in rows if r["metric"] == "title" and r["section"] == "report"]
    assert titles == ["Test status"]


def test_a_text_that_looks_like_a_formula_is_defused() -> None:
    from xensocial.reporting.csv_writer import cell

    assert cell(FORMULA) == "'" + FORMULA
    assert cell(-3) == "-3" and cell(-1.5) == "-1.50"  # numbers are numbers
    assert cell("-3") == "'-3"  # a text is a text, whatever it looks like
    assert cell(None) == "" and cell(12.3456) == "12.35"


def test_json_is_the_dataclass(report: Report) -> None:
    loaded = json.loads(render_json(report))
    expected = json.loads(json.dumps(asdict(report), default=lambda v: v.isoformat()))
    assert loaded == expected
    assert loaded["engagement"]["by_channel"][2]["counters"]["likes"] is None  # news: outbox
    assert loaded["period"]["start"] == "2026-02-28T23:00:00+00:00"


def test_render_dispatches_and_refuses_unknown_formats(report: Report) -> None:
    assert render(report, "md") == render_markdown(report)
    assert render(report, "json") == render_json(report)
    with pytest.raises(ValueError, match="unknown text format 'pdf'"):
        render(report, "pdf")  # bytes: render_bytes


@pytest.mark.parametrize(
    ("low", "high", "ticks"),
    [
        (0, 100, [0, 20, 40, 60, 80, 100]),
        (1010, 1200, [1000, 1050, 1100, 1150, 1200]),
        (5500, 5500, [5500, 5501]),  # a flat line still gets an axis
        (3, 7, [3, 4, 5, 6, 7]),  # whole numbers: no step below 1
    ],
)
def test_chart_axes_use_round_steps(low: float, high: float, ticks: list[float]) -> None:
    assert nice_ticks(low, high) == ticks
