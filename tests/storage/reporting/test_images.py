"""Posts with and without images in the report: the top posts' image counts and, per channel,
the median interactions of each group, against figures worked out by hand, on both backends.

The images are those each delivery's record of what was posted holds (`posted_media`), written
by `Ledger.mark_published` as the publisher writes it.
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy.engine import Engine

from tests.conftest import FakeClock
from xensocial.reporting.build import build_report
from xensocial.reporting.model import ImageComparison, Report
from xensocial.reporting.periods import parse_month
from xensocial.reporting.render_csv import render_csv
from xensocial.reporting.render_html import render_html
from xensocial.reporting.render_json import render_json
from xensocial.reporting.render_markdown import render_markdown

from .conftest import CHANNELS, CONFIG, DAY, ZONE, Data, at


@pytest.fixture
def march(engine: Engine, clock: FakeClock) -> Report:
    d = Data(engine, clock)
    for slug, channel, when, images, counters in (
        ("a", "masto", "2026-03-03 10:00", 2, {"likes": 3, "reposts": 1, "replies": 1}),  # 5
        ("b", "masto", "2026-03-04 10:00", 1, {"likes": 20}),  # 20
        ("c", "masto", "2026-03-05 10:00", 3, {"likes": 5, "reposts": 2, "replies": 2}),  # 9
        ("d", "masto", "2026-03-06 10:00", 0, {"likes": 4}),  # 4
        ("e", "masto", "2026-03-07 10:00", 0, {"likes": 6}),  # 6
        ("f", "masto", "2026-03-08 10:00", 1, None),  # never read: not compared
        ("g", "masto", "2026-02-20 10:00", 1, {"likes": 100}),  # February's
        ("h", "x-main", "2026-03-03 11:00", 0, {"likes": 7, "quotes": 1}),  # 8
        ("i", "x-main", "2026-03-04 11:00", 0, {"likes": 3}),  # 3
        ("j", "x-main", "2026-03-05 11:00", 2, {"impressions": 50}),  # no interaction figure
        ("k", "news", "2026-03-05 12:00", 1, {}),  # the outbox: read, no figure at all
    ):
        published = at(when)
        delivery = d.publish(d.item(slug, f"Post {slug}", (channel,)), channel, published, images)
        if counters is not None:
            d.sample(delivery, channel, published, DAY, **counters)
    return build_report(
        engine, parse_month("2026-03", ZONE), CONFIG, CHANNELS, now=at("2026-04-02 07:00")
    )


def test_the_top_posts_say_how_many_images_each_had(march: Report) -> None:
    top = [(t.title, t.counters.interactions, t.images) for t in march.engagement.top_posts]
    assert top == [
        ("Post b", 20, 1),
        ("Post c", 9, 3),
        ("Post h", 8, 0),
        ("Post e", 6, 0),
        ("Post a", 5, 2),
        ("Post d", 4, 0),
        ("Post i", 3, 0),
    ]


def test_median_interactions_with_and_without_images_per_channel(march: Report) -> None:
    assert march.engagement.images == (
        # with images: a 5, c 9, b 20 -> 9 (f never read, g in February); without: 4, 6 -> 5
        ImageComparison("masto", 3, 9.0, 2, 5.0),
        # j has no interaction figure; without: 8, 3 -> 5.5; nothing to compare
        ImageComparison("x-main", 0, None, 2, 5.5),
    )  # news: no post with an interaction figure, not listed


def test_every_format_shows_the_comparison(march: Report) -> None:
    masto = "Images on masto: posts with images: 3, median interactions 9; without: 2, 5."
    x = "Images on x-main: nothing to compare (posts with images: 0; without: 2)."
    markdown = render_markdown(march)
    assert masto in markdown and x in markdown
    assert (
        "| # | Channel | Title | Interactions | Likes | Reposts | Replies | Quotes | Images |"
        in (markdown)
    )
    assert "| 2 | masto | Post c | 9 | 5 | 2 | 2 | — | 3 |" in markdown
    page = render_html(march)
    assert masto in page and x in page and ">Images</th>" in page
    rows = list(csv.reader(io.StringIO(render_csv(march))))
    assert [r for r in rows if r[0] == "images_by_channel"] == [
        ["images_by_channel", "masto", "with_images", "3"],
        ["images_by_channel", "masto", "with_median", "9.00"],
        ["images_by_channel", "masto", "without_images", "2"],
        ["images_by_channel", "masto", "without_median", "5.00"],
        ["images_by_channel", "x-main", "with_images", "0"],
        ["images_by_channel", "x-main", "with_median", ""],
        ["images_by_channel", "x-main", "without_images", "2"],
        ["images_by_channel", "x-main", "without_median", "5.50"],
    ]
    assert ["top_posts", "2", "images", "3"] in rows
    data = json.loads(render_json(march))["engagement"]
    assert data["images"][1] == {"channel": "x-main", "with_images": 0, "with_median": None,
                                 "without_images": 2, "without_median": 5.5}  # fmt: skip
    assert [t["images"] for t in data["top_posts"]][:2] == [1, 3]
