"""Competitors' recent post counts on X: real tweepy against the fake X server, real databases.

The fake counts the posts it knows per day, as X does; every figure below is the number of
posts the test put on that day. Its request log is the judge of what was asked, and the
`metrics_requests` rows of what was charged to the budget.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import structlog
from sqlalchemy.engine import Engine

from content_queue.coverage import KeywordCountStore
from content_queue.metrics_store import MetricsStore
from tests.conftest import FakeClock
from tests.daemon.conftest import make_channel, make_settings
from tests.fakes.server import FakeServer
from tests.fakes.x import APP_BEARER, CREDENTIALS, FakeX, rate_limited, server_error
from tests.fakes.x_billing import payment_required
from tests.network.adapters.test_x import make_adapter
from tests.stored_rows import keyword_counts
from xensocial.adapters.base import AuthError, ChannelContext
from xensocial.adapters.outbox import OutboxAdapter
from xensocial.adapters.x import XAdapter
from xensocial.config.metrics import MetricsConfig
from xensocial.config.report import ReportConfig
from xensocial.metrics.collector import Collector
from xensocial.metrics.keyword_counts import (
    KeywordCounts,
    complete_days,
    recent_posts_query,
)

X = make_channel("x-main", network="x")
COMPETITORS = {"xen": ("Xen", "XenServer"), "kvm": ("KVM",)}
COUNTS = "/2/tweets/counts/recent"
NO_AGES = MetricsConfig(ages=())  # no engagement to read: the rounds below are about counts


@pytest.fixture
def fake_x(server: FakeServer, clock: FakeClock) -> FakeX:
    return FakeX(server, clock=clock)


def x_adapter(server: FakeServer, clock: FakeClock, **secrets: str) -> XAdapter:
    return make_adapter(server, clock, secrets={**CREDENTIALS, **secrets})


@pytest.fixture
def x(server: FakeServer, clock: FakeClock, fake_x: FakeX) -> Iterator[XAdapter]:
    adapter = x_adapter(server, clock)
    yield adapter
    adapter.close()


def day(n: int, hour: int = 12) -> datetime:
    """`n` days before the fake clock's 2 March 2026, at `hour` UTC."""
    return datetime(2026, 3, 2, hour, tzinfo=UTC) - timedelta(days=n)


def posts(fake: FakeX) -> None:
    """Xen: 2 posts two days ago (plus a retweet), 1 yesterday; KVM: 1 three days ago."""
    fake.add_public_post("Xen 4.20 is out", day(2))
    fake.add_public_post("Trying XENSERVER today", day(2, 23))
    fake.add_public_post("RT Xen 4.20 is out", day(2, 13), retweet=True)
    fake.add_public_post("xen. again", day(1, 0))
    fake.add_public_post("Xenial is not Xen-related", day(5))  # "Xen" here is a word: counted
    fake.add_public_post("Xenial only", day(4))  # not a whole word: not counted
    fake.add_public_post("KVM on ARM", day(3))
    fake.add_public_post("Old news about Xen", day(9))  # outside the seven days


def test_the_query_and_the_window_of_complete_days() -> None:
    assert recent_posts_query(["Xen", "XenServer", "Xen  Project"]) == (
        '("Xen" OR "XenServer" OR "Xen Project") -is:retweet'
    )
    assert recent_posts_query(['say "hi"']) == '("say hi") -is:retweet'
    at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert complete_days(at) == (
        datetime(2026, 2, 24, tzinfo=UTC),
        datetime(2026, 3, 2, tzinfo=UTC),
    )
    just_after_midnight = datetime(2026, 3, 2, 0, 0, 30, tzinfo=UTC)
    assert complete_days(just_after_midnight) == (
        datetime(2026, 2, 24, tzinfo=UTC),
        datetime(2026, 3, 1, tzinfo=UTC),  # X wants end_time a little in the past
    )


def test_the_adapter_counts_with_app_only_auth(
    server: FakeServer, clock: FakeClock, fake_x: FakeX
) -> None:
    posts(fake_x)
    adapter = x_adapter(server, clock)
    start, end = complete_days(clock())
    days = adapter.count_recent_posts(recent_posts_query(COMPETITORS["xen"]), start=start, end=end)
    assert [(s.day, e.day, n) for s, e, n in days] == [
        (24, 25, 0), (25, 26, 1), (26, 27, 0), (27, 28, 0), (28, 1, 2), (1, 2, 1),
    ]  # fmt: skip
    adapter.count_recent_posts('("KVM") -is:retweet', start=start, end=end)
    # One token exchange (Basic auth with the app's keys), then the bearer token on each count.
    assert [r.path for r in server.log] == ["/oauth2/token", COUNTS, COUNTS]
    assert all(
        r.headers["authorization"] == f"Bearer {APP_BEARER}" for r in server.requests(path=COUNTS)
    )
    assert server.requests(path=COUNTS)[0].arg("granularity") == "day"
    assert server.requests(path=COUNTS)[0].arg("start_time") == "2026-02-24T00:00:00Z"
    adapter.close()


def test_a_configured_bearer_token_needs_no_exchange(
    server: FakeServer, clock: FakeClock, fake_x: FakeX
) -> None:
    adapter = x_adapter(server, clock, bearer_token=APP_BEARER)
    start, end = complete_days(clock())
    adapter.count_recent_posts('("Xen")', start=start, end=end)
    assert [r.path for r in server.log] == [COUNTS]
    wrong = x_adapter(server, clock, bearer_token="not-the-token")
    with pytest.raises(AuthError, match="401"):
        wrong.count_recent_posts('("Xen")', start=start, end=end)


def test_wrong_app_keys_are_an_auth_error(
    server: FakeServer, clock: FakeClock, fake_x: FakeX
) -> None:
    adapter = x_adapter(server, clock, consumer_secret="wrong")
    start, end = complete_days(clock())
    with pytest.raises(AuthError, match="Unable to verify your credentials"):
        adapter.count_recent_posts('("Xen")', start=start, end=end)
    assert [r.path for r in server.log] == ["/oauth2/token"]


def counter(
    engine: Engine, clock: FakeClock, adapter: XAdapter, budget: int | None = None
) -> Collector:
    """A collector for the X channel alone, with its keyword counts (one for all its rounds)."""
    config = replace(NO_AGES, budget={"x": budget} if budget is not None else {})
    counts = KeywordCounts(
        MetricsStore(engine, clock),
        KeywordCountStore(engine, clock),
        COMPETITORS,
        config,
        X,
        adapter,
        clock=clock,
    )
    return Collector(
        MetricsStore(engine, clock),
        config,
        [X],
        {"x-main": adapter},
        clock=clock,
        keyword_counts=counts,
    )


def stored(engine: Engine, clock: FakeClock) -> list[tuple[str, int, int]]:
    return [
        (k.competitor, k.period_start.day, k.posts) for k in keyword_counts(engine, "x") if k.posts
    ]


def test_a_round_records_each_competitors_days_once_a_day(
    engine: Engine, clock: FakeClock, server: FakeServer, fake_x: FakeX, x: XAdapter
) -> None:
    posts(fake_x)
    collector = counter(engine, clock, x)
    [result] = collector.run_round()
    assert result.keywords is not None
    assert (result.keywords.counted, result.keywords.days, result.keywords.requests) == (
        ["xen", "kvm"],
        12,
        2,
    )
    assert result.describe() == (
        "x-main (x): followers 1234; 0 engagement samples; 1 reads in 1 requests; "
        "keyword counts: 2 competitor(s), 12 new day(s)"
    )
    assert stored(engine, clock) == [("xen", 25, 1), ("kvm", 27, 1), ("xen", 28, 2), ("xen", 1, 1)]
    assert (
        MetricsStore(engine, clock).reads_spent("x", datetime(2026, 3, 1, tzinfo=UTC)) == 3
    )  # + followers

    clock.advance(hours=6)  # the same day: nothing is asked again
    [again] = collector.run_round()
    assert again.keywords is not None and again.keywords.requests == 0
    assert len(server.requests(path=COUNTS)) == 2

    clock.advance(days=1)  # the next day: one more complete day, the six others are no-ops
    fake_x.add_public_post("Xen on RISC-V", datetime(2026, 3, 2, 20, tzinfo=UTC))
    [next_day] = collector.run_round()
    assert next_day.keywords is not None
    assert (next_day.keywords.requests, next_day.keywords.days) == (2, 2)
    assert ("xen", 2, 1) in stored(engine, clock)
    assert len(keyword_counts(engine, "x")) == 14


def test_the_budget_is_respected_and_what_does_not_fit_waits(
    engine: Engine, clock: FakeClock, server: FakeServer, x: XAdapter
) -> None:
    # 31 reads in March, spread: ceil(31 * 2 / 31) = 2 by the end of 2 March; followers take one.
    collector = counter(engine, clock, x, budget=31)
    [result] = collector.run_round()
    assert result.keywords is not None
    assert (result.keywords.counted, result.keywords.skipped) == (["xen"], ["kvm"])
    assert result.describe().endswith(
        "keyword counts: 1 competitor(s), 6 new day(s), kvm skipped (budget); "
        "x budget: 2 of 31 reads"  # the follower count (a user read) and one count request
    )
    assert len(server.requests(path=COUNTS)) == 1
    [later] = collector.run_round()  # nothing left today
    assert later.keywords is not None and later.keywords.skipped == ["kvm"]
    assert len(server.requests(path=COUNTS)) == 1
    # --now lifts the spread, not the cap (and reads the followers again: one more read).
    [lifted] = collector.run_round(now_all=True)
    assert lifted.keywords is not None and lifted.keywords.counted == ["kvm"]
    assert MetricsStore(engine, clock).reads_spent("x", datetime(2026, 3, 1, tzinfo=UTC)) == 4


def test_a_429_waits_for_its_reset(
    engine: Engine, clock: FakeClock, server: FakeServer, x: XAdapter
) -> None:
    reset = clock() + timedelta(minutes=15)
    server.fault("GET", COUNTS, rate_limited(reset))
    collector = counter(engine, clock, x)
    [result] = collector.run_round()
    assert result.keywords is not None and result.keywords.counted == []
    assert result.error == "keyword counts: counting recent X posts: X rate limit (429)"
    clock.advance(minutes=10)
    collector.run_round()
    assert len(server.requests(path=COUNTS)) == 1  # not asked before the reset
    clock.advance(minutes=5)
    [after] = collector.run_round()
    assert after.keywords is not None and after.keywords.counted == ["xen", "kvm"]
    assert after.error is None


def test_a_server_error_waits_an_hour(
    engine: Engine, clock: FakeClock, server: FakeServer, x: XAdapter
) -> None:
    server.fault("GET", COUNTS, server_error(503))
    collector = counter(engine, clock, x)
    collector.run_round()
    clock.advance(minutes=59)
    collector.run_round()
    assert len(server.requests(path=COUNTS)) == 1
    clock.advance(minutes=1)
    [result] = collector.run_round()
    assert result.keywords is not None and result.keywords.counted == ["xen", "kvm"]


def test_out_of_credits_waits_an_hour_and_the_round_goes_on(
    engine: Engine, clock: FakeClock, server: FakeServer, x: XAdapter
) -> None:
    # A 402 on the counts (X's credits used up after the follower count was read) is reported
    # as the round's error; the round itself does not fail, and the counts are asked again
    # an hour later, when someone may have bought credits.
    server.fault("GET", COUNTS, payment_required())
    collector = counter(engine, clock, x)
    [result] = collector.run_round()
    assert result.followers_taken
    assert (result.error or "").startswith("keyword counts: out of X credits: ")
    clock.advance(minutes=59)
    collector.run_round()
    assert len(server.requests(path=COUNTS)) == 1
    clock.advance(minutes=1)
    [later] = collector.run_round()
    assert later.keywords is not None and later.keywords.counted == ["xen", "kvm"]


def test_a_tier_without_the_endpoint_is_logged_once_and_not_asked_again(
    engine: Engine, clock: FakeClock, server: FakeServer, fake_x: FakeX, x: XAdapter
) -> None:
    fake_x.counts_available = False  # an access tier without the endpoint
    with structlog.testing.capture_logs() as logs:
        collector = counter(engine, clock, x)
        [first] = collector.run_round()
        clock.advance(hours=1)
        [second] = collector.run_round()
        clock.advance(days=1)
        [third] = collector.run_round()
    assert len(server.requests(path=COUNTS)) == 1
    for result in (first, second, third):
        assert result.keywords is not None and result.keywords.unavailable is not None
        assert (
            "You currently have access to a subset of X API V2 endpoints"
            in result.keywords.unavailable
        )
        assert result.error is None  # not a failure of the round: the tier has no such endpoint
    assert first.followers_taken and third.followers_taken  # the channel's own metrics go on
    assert (
        third.describe()
        .split("; ")[-1]
        .startswith("keyword counts unavailable (counting recent X posts: X refused access (403)")
    )
    assert [e["event"] for e in logs if e["event"].startswith("keyword_counts")] == [
        "keyword_counts_unavailable"
    ]


def test_only_a_channel_that_can_count_gets_keyword_counts(
    engine: Engine, clock: FakeClock, server: FakeServer, fake_x: FakeX, tmp_path: Path
) -> None:
    settings = replace(
        make_settings(tmp_path, [X, make_channel("demo")]),
        report=ReportConfig(competitors=COMPETITORS, keyword_counts_channel="x-main"),
    )
    outbox = OutboxAdapter(ChannelContext("demo", options={"path": "out.jsonl"}, data_dir=tmp_path))
    adapters = {"x-main": x_adapter(server, clock), "demo": outbox}
    built = KeywordCounts.for_settings(settings, engine, adapters, clock=clock)
    assert built is not None and built.channel.name == "x-main"
    assert KeywordCounts.for_settings(settings, engine, {"demo": outbox}) is None  # --channel demo
    on_outbox = replace(settings, report=replace(settings.report, keyword_counts_channel="demo"))
    with structlog.testing.capture_logs() as logs:
        assert KeywordCounts.for_settings(on_outbox, engine, adapters) is None
    assert [(e["event"], e["network"]) for e in logs] == [("keyword_counts_unsupported", "outbox")]
    no_competitors = replace(settings, report=replace(settings.report, competitors={}))
    assert KeywordCounts.for_settings(no_competitors, engine, adapters) is None
