"""Every number of the report, against figures worked out by hand from the data set.

The data set is `conftest.march_2026` (read it beside this file); each expected figure below is
a literal with the arithmetic that gives it. It runs on SQLite and PostgreSQL alike: the report
is counted by the database, so each backend's SQL is what is being checked.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.engine import Engine

from tests.conftest import FakeClock
from xensocial.reporting.build import build_report
from xensocial.reporting.model import (
    ActivityRow,
    CategoryCount,
    ChannelCount,
    ChannelEngagement,
    Counters,
    DeliveryProblem,
    FollowerSeries,
    KindCount,
    NamedCount,
    NetworkMentions,
    PressRelease,
    Report,
    SlotProblem,
    ThemeRow,
    VoiceRow,
)
from xensocial.reporting.periods import parse_month, parse_quarter

from .conftest import CHANNELS, CONFIG, ZONE, Data, at, march_2026

NOW = at("2026-04-02 07:00")


@pytest.fixture
def march(engine: Engine, clock: FakeClock) -> Report:
    march_2026(engine, clock)
    return build_report(engine, parse_month("2026-03", ZONE), CONFIG, CHANNELS, now=NOW)


def test_the_period_and_its_neighbours(march: Report) -> None:
    assert (march.period.start, march.period.end) == (
        at("2026-02-28 23:00"),
        at("2026-03-31 22:00"),
    )
    assert march.previous.label == "2026-02" and march.year_before.label == "2025-03"
    assert march.generated_at == NOW and march.title == "Test status" and march.project == "xen"


def test_posts_per_channel_and_category(march: Report) -> None:
    p = march.posts
    assert p.by_channel == (
        ChannelCount("masto", 3),  # I1, I2, I12 (I4 at 23:59:59 CET is February's)
        ChannelCount("x-main", 4),  # I1, I2, I12, and I3 at 00:00 CET on 1 March
        ChannelCount("news", 3),  # I1, I7, I5 at 23:59:59 CEST (I6 at 00:00 CEST is April's)
        ChannelCount("old", 1),  # I8: no longer configured, still counted, listed last
    )
    assert p.total == 11  # 3 + 4 + 3 + 1
    assert p.items == 7  # I1, I2, I3, I5, I7, I8, I12
    assert p.previous_total == 2  # February: I4 and I7 on masto
    assert p.by_category == (
        CategoryCount("announcement", 5, 3),  # I2 x 2 + I7 (news) x 1 + I12 x 2; 3 items
        CategoryCount("news", 3, 3),  # I3, I5, I8
        CategoryCount("release", 3, 1),  # I1 on three channels
    )


def test_engagement_totals_use_each_posts_latest_reading(march: Report) -> None:
    e = march.engagement
    assert e.by_channel == (
        # I1 at 24 h (10, 4, 2) + I2 at 1 h (7, 2, 1); Mastodon gives no quotes, views, clicks
        ChannelEngagement("masto", 3, 2, Counters(17, 6, 3, None, None, None, 26)),
        # I1 at 24 h (20, 6, 3, 1, 900, 25; 4 bookmarks): its 7 d reading found it deleted
        # and is passed over; I2 at 24 h (8, 2, 1, 2, 400, no clicks; 1 bookmark); I3 and I12
        # never read. Bookmarks are not interactions: 43 = 28 + 8 + 4 + 3
        ChannelEngagement("x-main", 4, 2, Counters(28, 8, 4, 3, 1300, 25, 43, 5)),
        ChannelEngagement("news", 3, 2, Counters()),  # the outbox: read, but no figure at all
        ChannelEngagement("old", 1, 1, Counters(1, None, None, None, None, None, 1)),
    )
    # 17+28+1 likes, 6+8 reposts, 3+4 replies, 3 quotes; 26+43+1 interactions; 5 bookmarks
    assert e.total == ChannelEngagement(
        "all channels", 11, 7, Counters(46, 14, 7, 3, 1300, 25, 70, 5)
    )


def test_the_top_posts_by_interactions(march: Report) -> None:
    top = march.engagement.top_posts
    assert [(t.rank, t.channel, t.title, t.counters.interactions) for t in top] == [
        (1, "x-main", "Xen 4.21 released", 30),  # 20 + 6 + 3 + 1
        (2, "masto", "Xen 4.21 released", 16),  # 10 + 4 + 2
        (3, "x-main", "Xen Summit 2026 announced", 13),  # 8 + 2 + 1 + 2
        (4, "masto", "Xen Summit 2026 announced", 10),  # 7 + 2 + 1
        (5, "old", "Old channel post", 1),
    ]  # the outbox posts have none of the four figures: not ranked
    first = top[0]
    assert first.counters == Counters(20, 6, 3, 1, 900, 25, 30, 4)
    assert first.url == "https://xenproject.org/xen-4-21"
    assert first.remote_url is not None
    assert first.remote_url.startswith("https://x-main.example.net/p/")
    assert first.published_at == at("2026-03-03 10:00")


def test_followers_and_their_growth(march: Report) -> None:
    f = march.followers
    masto, x, news = f.rows
    # End of March (31 March 22:00 UTC): 1200 at 21:30 (the 21:00 reading had no figure; the
    # 22:30 one is April's). A month before (28 February 23:00 UTC): 1000. Three months before
    # (31 December 23:00 UTC): 900 (the 23:30 reading is already 1 January).
    assert (masto.channel, masto.followers, masto.taken_at) == (
        "masto",
        1200,
        at("2026-03-31 21:30"),
    )
    assert (masto.month_before, masto.growth_month) == (1000, 200)  # 1200 - 1000
    assert masto.growth_month_pct == pytest.approx(20.0)  # 200 / 1000
    assert (masto.quarter_before, masto.growth_quarter) == (900, 300)  # 1200 - 900
    assert masto.growth_quarter_pct == pytest.approx(33.333, abs=1e-3)  # 300 / 900
    assert (x.followers, x.month_before, x.growth_month) == (5500, 5000, 500)
    assert x.growth_month_pct == pytest.approx(10.0)  # 500 / 5000
    assert (x.quarter_before, x.growth_quarter, x.growth_quarter_pct) == (None, None, None)
    assert (news.followers, news.month_before, news.growth_month) == (None, None, None)
    total = f.total
    assert (total.followers, total.month_before, total.quarter_before) == (6700, 6000, 900)
    assert total.growth_month == 700 and total.growth_month_pct == pytest.approx(11.667, abs=1e-3)
    assert total.growth_quarter == 5800  # 6700 - 900: only masto was known three months before
    # Daily series, largest channel first; masto's 1 March point is its 23:30 UTC reading.
    assert f.series == (
        FollowerSeries("x-main", ((date(2026, 3, 20), 5500),)),
        FollowerSeries(
            "masto",
            ((date(2026, 3, 1), 1010), (date(2026, 3, 15), 1100), (date(2026, 3, 31), 1200)),
        ),
    )


def test_clips_against_a_year_before(march: Report) -> None:
    c = march.clips
    assert (c.total, c.year_before, c.change) == (4, 2, 2)  # c1..c4; c7, c8 in March 2025
    assert c.change_pct == pytest.approx(100.0)  # (4 - 2) / 2
    assert c.by_outlet == (
        NamedCount("LWN", 2),  # c1, c3
        NamedCount("news.example.com", 1),  # c4, added without an outlet: the URL's host
        NamedCount("The Register", 1),  # c2 (names sort ignoring case, on every backend)
    )
    assert c.by_topic == (
        NamedCount("virtualization", 2),
        NamedCount("(no topic)", 1),
        NamedCount("containers", 1),
    )


def test_share_of_voice(march: Report) -> None:
    v = march.voice
    # c1 names Xen and KVM, c2 Docker and "Xen Project", c4 XenServer; c3 none.
    # X: xen 120 + 80 + 7 (31 March's day, noon in March) = 207 (1 April's day is April's);
    # kvm 300; docker 500 (28 February's day has its noon in February); 207 + 300 + 500 = 1007.
    assert v.rows == (
        VoiceRow("xen", True, 3, pytest.approx(60.0),  # 3 of 5 mentions
                 (NetworkMentions("x", 207, pytest.approx(20.556, abs=1e-3)),)),  # 207 / 1007
        VoiceRow("kvm", False, 1, pytest.approx(20.0),
                 (NetworkMentions("x", 300, pytest.approx(29.791, abs=1e-3)),)),
        VoiceRow("docker", False, 1, pytest.approx(20.0),
                 (NetworkMentions("x", 500, pytest.approx(49.652, abs=1e-3)),)),
    )  # fmt: skip
    assert (v.mentions, v.clips, v.clips_without_mention, v.networks) == (5, 4, 1, ("x",))


def test_themes(march: Report) -> None:
    assert march.themes.rows == (
        ThemeRow("mobile", 4, 1),  # I1 ("embedded") x 3 + I3 ("Automotive"); clip c2
        ThemeRow("cloud", 4, 1),  # I1 ("cloud") x 3 + I5 (tag "cloud"); clip c3
        ThemeRow("community", 1, 0),  # I7 on news (its masto post was February's)
    )


def test_programme_activity(march: Report) -> None:
    g = march.programme
    assert g.press_releases == (
        # the activity and announcement I2 share a URL (up to utm_source and the slash): once
        PressRelease(date(2026, 3, 10), "Xen Summit 2026",
                     "https://xenproject.org/summit-2026/?utm_source=pr", "both"),
        PressRelease(date(2026, 3, 20), "Security process update", None, "activity"),
        # I12, on two channels, first on 25 March: once. I7 was first posted in February.
        PressRelease(date(2026, 3, 25), "Xen 4.21 security release",
                     "https://xenproject.org/security", "announcement"),
    )  # fmt: skip
    assert g.by_kind == (
        KindCount("press-release", 2),
        KindCount("interview", 1),
        KindCount("analyst-briefing", 2),
        KindCount("member-content", 1),
        KindCount("event", 0),  # FOSDEM was in February, Embedded World in April
    )
    assert [(a.day, a.kind) for a in g.activities] == [
        (date(2026, 3, 5), "interview"),
        (date(2026, 3, 10), "press-release"),
        (date(2026, 3, 12), "analyst-briefing"),
        (date(2026, 3, 18), "member-content"),
        (date(2026, 3, 20), "press-release"),
        (date(2026, 3, 31), "analyst-briefing"),
    ]
    assert g.activities[0] == ActivityRow(
        "interview", date(2026, 3, 5), "Interview with LWN", "LWN", None
    )


def test_failed_and_skipped(march: Report) -> None:
    p = march.problems
    assert p.deliveries == (
        DeliveryProblem("masto", "unknown", "timeout, may be out", 1),
        DeliveryProblem("x-main", "failed", "rejected: text too long", 2),  # the February one
    )  # is not counted
    assert p.slots == (
        SlotProblem("news", "empty", "no eligible item", 2, "no eligible item"),
        SlotProblem("news", "skipped", "daily cap", 2,
                    "daily cap: 2 of max 2 already published on 2026-03-04 (Europe/Amsterdam)"),
        SlotProblem("news", "skipped", "paused", 1, "paused: holiday"),
        SlotProblem("x-main", "failed", "rejected", 1, "rejected: item 9: text too long"),
        SlotProblem("x-main", "skipped", "minimum gap", 1,
                    "min_gap: last post at 2026-03-11T07:00:00+00:00, less than 3:00:00 ago"),
        SlotProblem("x-main", "skipped", "paused", 1, "paused: token revoked"),
    )  # fmt: skip


def test_the_quarter(engine: Engine, clock: FakeClock) -> None:
    march_2026(engine, clock)
    q1 = build_report(engine, parse_quarter("2026-Q1", ZONE), CONFIG, CHANNELS, now=NOW)
    assert q1.previous.label == "2025-Q4" and q1.year_before.label == "2025-Q1"
    assert q1.posts.total == 13  # March's 11 + February's 2 (I4, I7 on masto)
    assert q1.posts.previous_total == 0
    assert [c.posts for c in q1.posts.by_channel] == [5, 4, 3, 1]  # masto 3 + 2
    # I4's February reading (likes 100) now counts: masto 17 + 100 likes
    assert q1.engagement.by_channel[0].counters == Counters(117, 6, 3, None, None, None, 126)
    assert (q1.clips.total, q1.clips.year_before) == (5, 2)  # + c5 of 28 February
    # The quarter ends where March does: the same followers, month and quarter before.
    assert (
        q1.followers.rows
        == build_report(
            engine, parse_month("2026-03", ZONE), CONFIG, CHANNELS, now=NOW
        ).followers.rows
    )
    assert q1.programme.by_kind[-1] == KindCount("event", 1)  # FOSDEM, 1 February


def test_a_month_across_the_autumn_change(data: Data) -> None:
    # October 2026 in Europe/Amsterdam: 30 September 22:00 UTC (CEST) to 31 October 23:00 UTC
    # (CET, after the change on 25 October): 745 hours.
    item = data.item("a", "A", ("masto",))
    data.publish(item, "masto", at("2026-09-30 21:59:59"))  # September, 23:59:59 CEST
    for n, when in enumerate(("2026-09-30 22:00", "2026-10-31 22:59:59", "2026-10-31 23:00")):
        data.publish(data.item(f"b{n}", "B", ("masto",)), "masto", at(when))
    data.metrics.record_followers("masto", at("2026-10-31 22:30"), 10)  # 23:30 CET: October
    data.metrics.record_followers("masto", at("2026-10-31 23:30"), 99)  # November
    october = build_report(data.engine, parse_month("2026-10", ZONE), CONFIG, CHANNELS, now=NOW)
    assert (october.period.end - october.period.start).total_seconds() == 745 * 3600
    assert october.posts.total == 2  # 00:00 CEST on 1 October and 23:59:59 CET on 31 October
    assert october.posts.previous_total == 1  # 30 September 23:59:59 CEST
    assert october.followers.rows[0].followers == 10
