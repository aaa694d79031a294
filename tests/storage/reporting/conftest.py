"""A known data set for the report, written through the real stores, on both backends.

`Data` wraps the stores the daemon and the CLI write through (`ContentQueue`, `Ledger`,
`MetricsStore`, and the clip, activity and keyword-count stores of `content_queue.coverage`), so
the report reads rows exactly as production writes them. `march_2026` builds the data set whose
every figure `test_report_numbers.py` checks by hand; it sits around the two edges a local month
has in Europe/Amsterdam: March 2026 begins at 2026-02-28 23:00 UTC (CET) and ends at
2026-03-31 22:00 UTC (CEST, after the change on 29 March).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from content_queue import ContentQueue, Ledger, NewItem, SlotOutcome
from content_queue.coverage import (
    ActivityStore,
    ClipStore,
    KeywordCountStore,
    NewActivity,
    NewClip,
)
from content_queue.metrics_store import DueSample, EngagementReading, MetricsStore
from content_queue.views import ItemView
from tests.choosing import claim
from tests.conftest import FakeClock
from xensocial.config.report import ReportConfig

__all__ = ["CHANNELS", "CONFIG", "ZONE", "Data", "at", "march_2026"]

ZONE = "Europe/Amsterdam"
CHANNELS = ("masto", "x-main", "news")  # as configured; "old" posted once but is gone since
CONFIG = ReportConfig(
    title="Test status",
    project="xen",
    competitors={"xen": ("Xen", "XenServer", "Xen Project"), "kvm": ("KVM",),
                 "docker": ("Docker",)},
    themes={"mobile": ("mobile", "automotive", "embedded"), "cloud": ("cloud",),
            "community": ("community",)},
)  # fmt: skip
HOUR, DAY = timedelta(hours=1), timedelta(days=1)


def at(text: str) -> datetime:
    """An instant written in UTC: `at("2026-03-03 10:00")`."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


class Data:
    """Writes a data set through the real stores; the clock follows each write's time."""

    def __init__(self, engine: Engine, clock: FakeClock) -> None:
        self.engine, self.clock = engine, clock
        self.queue = ContentQueue(engine, clock)
        self.ledger = Ledger(engine, clock)
        self.metrics = MetricsStore(engine, clock)
        self.clips = ClipStore(engine, clock)
        self.activities = ActivityStore(engine, clock)
        self.counts = KeywordCountStore(engine, clock)

    def item(
        self, slug: str, title: str, channels: tuple[str, ...], category: str = "news",
        text: str = "", tags: tuple[str, ...] = (),
    ) -> ItemView:  # fmt: skip
        return self.queue.add(
            NewItem(url=f"https://xenproject.org/{slug}", title=title, text=text,
                    category=category, tags=list(tags), channels=list(channels))
        )  # fmt: skip

    def _begin(self, item: ItemView, channel: str, when: datetime) -> int:
        self.clock.set(when)
        [delivery] = [d for d in item.deliveries if d.channel == channel]
        began = claim(
            self.ledger,
            delivery.id,
            "tester",
            when + timedelta(minutes=5),
            channel=channel,
            now=when,
        )
        assert began is not None
        return delivery.id

    def publish(self, item: ItemView, channel: str, when: datetime) -> int:
        """Publish `item` on `channel` at `when`; its delivery id."""
        delivery = self._begin(item, channel, when)
        assert self.ledger.mark_published(
            delivery,
            remote_id=f"{channel}-{delivery}",
            remote_url=f"https://{channel}.example.net/p/{delivery}",
            published_at=when,
            owner="tester",
        )
        return delivery

    def fail(self, item: ItemView, channel: str, when: datetime, error: str, *,
             unknown: bool = False) -> None:  # fmt: skip
        delivery = self._begin(item, channel, when)
        finish = self.ledger.mark_unknown if unknown else self.ledger.mark_failed
        assert finish(delivery, error, owner="tester")

    def sample(self, delivery: int, channel: str, published: datetime, age: timedelta,
               **counters: Any) -> None:  # fmt: skip
        due = DueSample(delivery, channel, f"{channel}-{delivery}", published, age)
        assert self.metrics.record_engagement([EngagementReading(due, published + age, **counters)])

    def slot(self, channel: str, when: datetime, outcome: SlotOutcome, detail: str) -> None:
        self.clock.set(when)
        claim = self.ledger.claim_slot(channel, when, "tester")
        assert claim is not None
        self.ledger.finish_slot(claim, outcome, detail=detail)

    def clip(self, slug: str, day: date, title: str, summary: str = "", outlet: str = "",
             topic: str = "") -> None:  # fmt: skip
        self.clock.set(at("2026-05-01 12:00"))  # later than every clip: none is "in the future"
        self.clips.add(NewClip(f"https://news.example.com/{slug}", day, title, summary, outlet,
                               topic))  # fmt: skip

    def activity(self, kind: str, day: date, title: str, url: str | None = None,
                 outlet: str = "") -> None:  # fmt: skip
        self.activities.add(NewActivity(kind, day, title, url, outlet))


def march_2026(engine: Engine, clock: FakeClock) -> None:
    """The data set of test_report_numbers.py (read this with it: the figures come from here)."""
    d = Data(engine, clock)
    all3 = ("masto", "x-main", "news")
    # -- posts (I1..I14); published_at in UTC ----------------------------------------------
    i1 = d.item("xen-4-21", "Xen 4.21 released", all3, "release",
                text="The hypervisor for embedded and cloud")  # fmt: skip
    i1_masto = d.publish(i1, "masto", at("2026-03-03 10:00"))
    i1_x = d.publish(i1, "x-main", at("2026-03-03 10:00"))
    i1_news = d.publish(i1, "news", at("2026-03-03 10:00"))
    i2 = d.item("summit-2026", "Xen Summit 2026 announced", ("masto", "x-main"), "announcement")
    i2_masto = d.publish(i2, "masto", at("2026-03-10 09:00"))
    i2_x = d.publish(i2, "x-main", at("2026-03-10 09:30"))
    i3 = d.item("agl", "Automotive grade Linux meets Xen", ("x-main",))
    d.publish(i3, "x-main", at("2026-02-28 23:00"))  # 1 March 00:00 CET: March
    i4 = d.item("late-feb", "Late February post", ("masto",))
    i4_masto = d.publish(i4, "masto", at("2026-02-28 22:59:59"))  # 23:59:59 CET: February
    i5 = d.item("end-of-march", "End of March post", ("news",), tags=("cloud",))
    d.publish(i5, "news", at("2026-03-31 21:59:59"))  # 23:59:59 CEST: March
    i6 = d.item("april", "April post", ("news",))
    d.publish(i6, "news", at("2026-03-31 22:00"))  # 1 April 00:00 CEST: April
    i7 = d.item("community-call", "Community call", ("masto", "news"), "announcement")
    d.publish(i7, "masto", at("2026-02-27 10:00"))  # first published in February
    i7_news = d.publish(i7, "news", at("2026-03-02 10:00"))
    i8 = d.item("old-channel", "Old channel post", ("old",))
    i8_old = d.publish(i8, "old", at("2026-03-05 10:00"))
    i12 = d.item("security", "Xen 4.21 security release", ("masto", "x-main"), "announcement")
    d.publish(i12, "masto", at("2026-03-25 08:00"))
    d.publish(i12, "x-main", at("2026-03-26 08:00"))
    i9 = d.item("too-long", "Too long", ("x-main",))
    d.fail(i9, "x-main", at("2026-03-09 09:30"), "rejected: text too long")
    i14 = d.item("too-long-2", "Too long again", ("x-main",))
    d.fail(i14, "x-main", at("2026-03-19 09:30"), "rejected: text too long")
    i10 = d.item("maybe", "Maybe out", ("masto",))
    d.fail(i10, "masto", at("2026-03-11 09:30"), "timeout, may be out", unknown=True)
    i13 = d.item("feb-failure", "February failure", ("x-main",))
    d.fail(i13, "x-main", at("2026-02-20 09:30"), "rejected: text too long")

    # -- engagement samples ----------------------------------------------------------------
    h1, h24, d7 = HOUR, DAY, 7 * DAY
    t = at("2026-03-03 10:00")
    d.sample(i1_masto, "masto", t, h1, likes=2, reposts=1, replies=0)
    d.sample(i1_masto, "masto", t, h24, likes=10, reposts=4, replies=2)
    d.sample(i1_x, "x-main", t, h1, likes=5, reposts=1, replies=1, quotes=0, impressions=100,
             clicks=3, bookmarks=2)  # fmt: skip
    d.sample(i1_x, "x-main", t, h24, likes=20, reposts=6, replies=3, quotes=1, impressions=900,
             clicks=25, bookmarks=4)  # fmt: skip
    d.sample(i1_x, "x-main", t, d7, found=False)  # deleted after a day: the 24 h reading stands
    d.sample(i1_news, "news", t, h1)  # the outbox: every counter None
    d.sample(i2_masto, "masto", at("2026-03-10 09:00"), h1, likes=7, reposts=2, replies=1)
    t2 = at("2026-03-10 09:30")
    d.sample(i2_x, "x-main", t2, h1, likes=3, reposts=0, replies=0, quotes=0, impressions=50)
    d.sample(i2_x, "x-main", t2, h24, likes=8, reposts=2, replies=1, quotes=2, impressions=400,
             bookmarks=1)  # fmt: skip
    d.sample(i7_news, "news", at("2026-03-02 10:00"), h1)
    d.sample(i8_old, "old", at("2026-03-05 10:00"), h1, likes=1)
    d.sample(i4_masto, "masto", at("2026-02-28 22:59:59"), h24, likes=100)  # a February post

    # -- follower counts -------------------------------------------------------------------
    for channel, when, followers in (
        ("masto", "2025-12-31 12:00", 900),  # before 1 January 00:00 CET: three months before
        ("masto", "2025-12-31 23:30", 950),  # 1 January 00:30 CET: too late for that
        ("masto", "2026-02-28 22:00", 1000),  # 28 February 23:00 CET: a month before
        ("masto", "2026-02-28 23:30", 1010),  # 1 March 00:30 CET
        ("masto", "2026-03-15 12:00", 1100),
        ("masto", "2026-03-31 21:00", None),  # read, but the network gave no figure
        ("masto", "2026-03-31 21:30", 1200),  # 31 March 23:30 CEST: the end of March
        ("masto", "2026-03-31 22:30", 1300),  # 1 April 00:30 CEST: April
        ("x-main", "2026-02-10 08:00", 5000),
        ("x-main", "2026-03-20 08:00", 5500),
        ("news", "2026-03-20 08:00", None),  # the outbox has no followers
    ):
        d.metrics.record_followers(channel, at(when), followers)

    # -- press clips (store: an empty outlet becomes the URL's host, news.example.com) -----
    d.clip("c1", date(2026, 3, 2), "Xen and KVM compared", "A look at hypervisors", "LWN",
           "virtualization")  # fmt: skip
    d.clip("c2", date(2026, 3, 31), "Docker on embedded boards", "Xen Project also mentioned",
           "The Register", "containers")  # fmt: skip
    d.clip("c3", date(2026, 3, 15), "Cloud news roundup", "nothing about competitors", "LWN")
    d.clip("c4", date(2026, 3, 1), "XenServer 9 preview", topic="virtualization")
    d.clip("c5", date(2026, 2, 28), "Xen in February", outlet="LWN")
    d.clip("c6", date(2026, 4, 1), "Xen in April", outlet="LWN")
    d.clip("c7", date(2025, 3, 20), "Xen a year ago", outlet="LWN")
    d.clip("c8", date(2025, 3, 5), "KVM a year ago", outlet="LWN")

    # -- X's recent post counts per competitor (windows in UTC) ----------------------------
    d.counts.record("xen", "x", [(at("2026-03-01 00:00"), at("2026-03-02 00:00"), 120),
                                 (at("2026-03-08 00:00"), at("2026-03-09 00:00"), 80),
                                 (at("2026-03-31 00:00"), at("2026-04-01 00:00"), 7),
                                 (at("2026-04-01 00:00"), at("2026-04-02 00:00"), 666)])  # fmt: skip
    d.counts.record("kvm", "x", [(at("2026-03-05 00:00"), at("2026-03-06 00:00"), 300)])
    d.counts.record("docker", "x", [(at("2026-02-28 00:00"), at("2026-03-01 00:00"), 999),
                                    (at("2026-03-20 00:00"), at("2026-03-21 00:00"), 500)])  # fmt: skip

    # -- programme activities --------------------------------------------------------------
    d.activity("press-release", date(2026, 3, 10), "Xen Summit 2026",
               "https://xenproject.org/summit-2026/?utm_source=pr")  # fmt: skip
    d.activity("press-release", date(2026, 3, 20), "Security process update")
    d.activity("interview", date(2026, 3, 5), "Interview with LWN", outlet="LWN")
    d.activity("analyst-briefing", date(2026, 3, 12), "Briefing with analysts")
    d.activity("analyst-briefing", date(2026, 3, 31), "Second briefing")
    d.activity("member-content", date(2026, 3, 18), "Member blog post")
    d.activity("event", date(2026, 2, 1), "FOSDEM")
    d.activity("event", date(2026, 4, 1), "Embedded World")

    # -- slots that did not post ------------------------------------------------------------
    skipped, failed, empty = SlotOutcome.SKIPPED, SlotOutcome.FAILED, SlotOutcome.EMPTY
    for channel, when, outcome, detail in (
        ("news", "2026-03-03 08:30", skipped,
         "daily cap: 2 of max 2 already published on 2026-03-03 (Europe/Amsterdam)"),
        ("news", "2026-03-04 08:30", skipped,
         "daily cap: 2 of max 2 already published on 2026-03-04 (Europe/Amsterdam)"),
        ("news", "2026-03-06 08:30", skipped, "paused: holiday"),
        ("news", "2026-03-07 08:30", empty, "no eligible item"),
        ("news", "2026-03-08 08:30", empty, "no eligible item"),
        ("x-main", "2026-03-09 08:30", failed, "rejected: item 9: text too long"),
        ("x-main", "2026-03-11 08:30", skipped,
         "min_gap: last post at 2026-03-11T07:00:00+00:00, less than 3:00:00 ago"),
        ("x-main", "2026-02-27 08:30", skipped, "daily cap: in February"),
        ("x-main", "2026-03-31 21:59:59", skipped, "paused: token revoked"),
        ("x-main", "2026-03-31 22:00", empty, "no eligible item"),  # April
        ("x-main", "2026-03-12 08:30", SlotOutcome.PUBLISHED, "posted"),
    ):  # fmt: skip
        d.slot(channel, at(when), outcome, detail)


@pytest.fixture
def data(engine: Engine, clock: FakeClock) -> Data:
    return Data(engine, clock)
