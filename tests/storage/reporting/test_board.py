"""What a board reads first: the trends' figures, the partial-period notice in every format, the
quarterly summary, and one line instead of rows of dashes for channels with no figures.

The figures come from `march_2026` (conftest.py), counted by hand here as in
test_report_numbers.py; the report is built through the real stores on both backends.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest
from sqlalchemy.engine import Engine

from tests.conftest import FakeClock
from xensocial.reporting.build import build_report
from xensocial.reporting.model import Report
from xensocial.reporting.periods import parse_month, parse_quarter
from xensocial.reporting.render import render

from .conftest import CHANNELS, CONFIG, ZONE, at, march_2026

AFTER_MARCH = at("2026-04-02 07:00")  # 09:00 CEST on 2 April: March is over


def _report(engine: Engine, period: str, now: str = "2026-04-02 07:00") -> Report:
    made = parse_quarter(period, ZONE) if "Q" in period else parse_month(period, ZONE)
    return build_report(engine, made, CONFIG, CHANNELS, now=at(now))


@pytest.fixture
def march(engine: Engine, clock: FakeClock) -> Engine:
    march_2026(engine, clock)
    return engine


def test_trends_count_twelve_months_as_the_sections_do(march: Engine) -> None:
    t = _report(march, "2026-03").trends
    months = {m.month: m for m in t.months}
    assert [m.month for m in t.months][0::11] == ["2025-04", "2026-03"]
    # Followers summed at the end of each month (masto + x-main; the outbox has none).
    assert [months[k].followers for k in ("2025-11", "2025-12", "2026-01", "2026-02", "2026-03")] == [
        None, 900, 950, 6000, 6700,
    ]  # fmt: skip
    assert [(s.channel, s.points) for s in t.followers] == [
        ("x-main", ((date(2026, 2, 1), 5000), (date(2026, 3, 1), 5500))),
        ("masto", ((date(2025, 12, 1), 900), (date(2026, 1, 1), 950), (date(2026, 2, 1), 1000),
                   (date(2026, 3, 1), 1200))),
    ]  # fmt: skip
    # Clips: March 2026 has c1..c4 (c6 is April's), February c5; March 2025 c7 and c8.
    assert (months["2026-03"].clips, months["2026-03"].clips_year_before) == (4, 2)
    assert months["2026-02"].clips == 1
    assert t.year == 2026
    assert t.clips_this_year == (
        (date(2026, 1, 1), 0),
        (date(2026, 2, 1), 1),
        (date(2026, 3, 1), 4),
    )
    assert len(t.clips_last_year) == 12 and dict(t.clips_last_year)[date(2025, 3, 1)] == 2
    # Share of voice: March as in its own section (3 of 5 mentions), February's one clip is Xen.
    assert months["2026-03"].project_share == pytest.approx(60.0)
    [xen] = [v for v in t.voice if v.is_project]
    assert xen.points == ((date(2026, 2, 1), 100.0), (date(2026, 3, 1), 60.0))
    # Interactions per post: March's 70 over its 5 posts with a figure (not the outbox's two);
    # February's one post (i4, 100 likes at 23:59:59 CET on 28 February).
    assert (months["2026-03"].posts_with_figures, months["2026-03"].interactions) == (5, 70)
    assert months["2026-03"].interactions_per_post == pytest.approx(14.0)
    assert (months["2026-02"].interactions, months["2026-02"].interactions_per_post) == (100, 100.0)
    assert (
        months["2026-01"].interactions is None and months["2026-01"].interactions_per_post is None
    )


def test_a_period_not_over_says_so_at_the_top_of_every_format(march: Engine) -> None:
    partial = _report(march, "2026-03", now="2026-03-15 07:00")  # 08:00 CET on 15 March
    notice = "Partial month: March 2026 is not over. This report counts up to 2026-03-15 08:00 CET"
    md = render(partial, "md").splitlines()
    assert md[2].startswith(f"> **{notice}") and "day 15 of 31" in md[2]
    html = render(partial, "html")
    assert html.index(notice) < html.index('class="subtitle"') < html.index("<h2")
    rows = list(csv.reader(io.StringIO(render(partial, "csv"))))
    assert ["report", "", "partial", "true"] in rows[:15]
    assert any(r[2] == "notice" and r[3].startswith(notice) for r in rows[:15])
    assert json.loads(render(partial, "json"))["partial"] is True
    # A whole month says nothing of the kind; a month not begun says that instead.
    whole = _report(march, "2026-03")
    assert not whole.partial and "Partial" not in render(whole, "md")
    assert ["report", "", "partial", "false"] in list(csv.reader(io.StringIO(render(whole, "csv"))))
    ahead = render(_report(march, "2026-04", now="2026-03-15 07:00"), "md")
    assert "> **Not begun: April 2026 had not begun when this report was made" in ahead
    quarter = render(_report(march, "2026-Q1", now="2026-03-15 07:00"), "md")
    assert "Partial quarter: Q1 2026 is not over" in quarter and "day 74 of 90" in quarter


def test_channels_without_figures_are_one_line_not_rows_of_dashes(march: Engine) -> None:
    text = render(_report(march, "2026-03"), "md")
    engagement = text[text.index("## Engagement") : text.index("## Followers")]
    assert "news reports no engagement figures (the outbox" in engagement
    assert "| news |" not in engagement and "| old | 1 | 1 | 1 | 1 |" in engagement
    assert "| **all channels** | **11** | **7** | **70** |" in engagement  # the total keeps them
    followers = text[text.index("## Followers") : text.index("## Press clips")]
    assert "news reports no follower counts" in followers and "| news |" not in followers
    # The posts table still lists every channel: it is about posts, which the outbox has.
    assert "| news | 3 |" in text[: text.index("## Engagement")]


def test_the_quarterly_report_opens_with_its_summary(march: Engine) -> None:
    text = render(_report(march, "2026-Q1"), "md")
    assert text.index("## Summary of Q1 2026") < text.index("- **Posts published:**")
    assert text.index("- **Posts published:**") < text.index("## Trends over twelve months")
    assert "| Posts published | 13 | 0 (previous quarter) | +13 |" in text
    # January to March: the quarter's 170 interactions over its 6 posts with a figure.
    assert "| Interactions per post | 28.3 | — (previous quarter) | — |" in text
    assert (
        "| Followers at the end | 6,700 | 900 (three months before) | +5,800 (+644.4 %) |" in text
    )
    assert "| Press clips | 5 | 2 (same quarter last year) | +3 (+150.0 %) |" in text
    assert "## Summary" not in render(_report(march, "2026-03"), "md")  # monthly: the headline


def test_the_html_report_draws_the_trend_charts(march: Engine) -> None:
    html = render(_report(march, "2026-03"), "html")
    trends = html[html.index('<section id="trends"') : html.index('<section id="posts"')]
    for key in ("trend-followers", "trend-clips", "trend-voice", "trend-interactions"):
        assert f'aria-labelledby="{key}-title {key}-desc"' in trends
    assert ">Apr 25</text>" in trends and ">Mar 26</text>" in trends  # twelve months' axis
    assert ">100 %</text>" in trends  # share of voice in percent
    assert ">2026</text>" in trends and ">2025</text>" in trends  # this year against last


def test_counters_no_channel_gives_are_one_line_not_columns_of_dashes(march: Engine) -> None:
    # February: masto's two posts, one read at 24 h with likes only; x-main and news posted none.
    text = render(_report(march, "2026-02"), "md")
    engagement = text[text.index("## Engagement") : text.index("## Followers")]
    assert "x-main, news report no engagement figures" in engagement
    assert (
        "No channel gives reposts, replies, quotes, impressions, clicks or bookmarks in this "
        "period: the table leaves them out." in engagement
    )
    assert "| Channel | Posts | Read | Interactions | Likes |\n" in engagement
    assert "| masto | 2 | 1 | 100 | 100 |" in engagement
    # March: some channel gives every counter, so every column stays.
    march_text = render(_report(march, "2026-03"), "md")
    assert "No channel gives" not in march_text
    assert "| Clicks | Bookmarks |\n" in march_text
