"""The Mastodon adapter through the real Mastodon.py, over real HTTP, against a fake instance.

The fake's own record (`masto.statuses`, `server.log`) is the judge of what was posted.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from content_queue import SlotOutcome
from tests.conftest import FakeClock
from tests.fakes.mastodon import FakeMastodon, rate_limited
from tests.fakes.server import FakeServer, Fault
from tests.network.adapters.conftest import HANG, TIMEOUT, closed_url, slot_publisher
from xensocial.adapters.base import (
    AuthError,
    ChannelContext,
    Post,
    RateLimited,
    Rejected,
    TransientError,
)
from xensocial.adapters.mastodon import DEFAULT_LIMITS, MastodonAdapter
from xensocial.adapters.registry import available, load


@pytest.fixture
def masto(server: FakeServer, clock: FakeClock) -> FakeMastodon:
    return FakeMastodon(server, clock=clock)


def make(url: str, token: str, clock: FakeClock) -> MastodonAdapter:
    return MastodonAdapter(
        ChannelContext(
            name="masto",
            options={"api_base_url": url},
            secrets={"access_token": token},
            timeout_seconds=TIMEOUT,
            clock=clock,
        )
    )


@pytest.fixture
def adapter(server: FakeServer, masto: FakeMastodon, clock: FakeClock) -> Iterator[MastodonAdapter]:
    a = make(server.url, masto.token, clock)
    yield a
    a.close()


def post(n: int = 1, text: str | None = None) -> Post:
    url = f"https://xenproject.org/blog/{n}"
    return Post(
        key=f"delivery-{n}-key",
        channel="masto",
        item_id=n,
        text=text if text is not None else f"Release {n} is out\n\n{url} #xen",
        url=url,
    )


def creates(server: FakeServer) -> int:
    return len(server.requests("POST", FakeMastodon.STATUSES))


def test_registered_as_an_entry_point() -> None:
    assert available()["mastodon"].target == "xensocial.adapters.mastodon:MastodonAdapter"
    assert load("mastodon") is MastodonAdapter


def test_publish_sends_the_idempotency_key(
    adapter: MastodonAdapter, masto: FakeMastodon, server: FakeServer, clock: FakeClock
) -> None:
    result = adapter.publish(post())
    (status,) = masto.statuses
    assert status.text == post().text
    assert result.remote_id == status.id
    assert result.remote_url == f"{server.url}/@xen/{status.id}"
    assert result.published_at == clock()
    (request,) = server.requests("POST", FakeMastodon.STATUSES)
    assert request.headers["idempotency-key"] == post().key
    assert request.headers["authorization"] == f"Bearer {masto.token}"


def test_construction_needs_the_instance_and_a_token(clock: FakeClock) -> None:
    with pytest.raises(ValueError, match="api_base_url"):
        MastodonAdapter(ChannelContext(name="m", secrets={"access_token": "t"}))
    with pytest.raises(ValueError, match="colour"):
        MastodonAdapter(
            ChannelContext(name="m", options={"api_base_url": "https://a.b", "colour": 1})
        )
    with pytest.raises(AuthError, match="access_token"):
        MastodonAdapter(ChannelContext(name="m", options={"api_base_url": "https://a.b"}))


def test_construction_does_no_network_io(server: FakeServer, clock: FakeClock) -> None:
    make(server.url, "t", clock)
    assert server.log == []  # version_check_mode="none": no probe of the instance


def test_rate_limit_gives_the_reset_time_without_sleeping(
    adapter: MastodonAdapter, masto: FakeMastodon, server: FakeServer, clock: FakeClock
) -> None:
    adapter.instance_limits()
    reset = (clock() + timedelta(minutes=30)).replace(microsecond=0)
    server.fault("POST", FakeMastodon.STATUSES, rate_limited(reset))
    started = time.monotonic()
    with pytest.raises(RateLimited) as caught:
        adapter.publish(post())
    assert time.monotonic() - started < TIMEOUT  # ratelimit_method="throw": the library never waits
    assert caught.value.reset_at == reset
    assert not caught.value.maybe_posted
    assert masto.statuses == []


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_is_transient_and_a_post_may_be_out(
    adapter: MastodonAdapter, masto: FakeMastodon, server: FakeServer, status: int
) -> None:
    adapter.instance_limits()
    server.fault("POST", FakeMastodon.STATUSES, Fault.respond(status, {"error": "oops"}))
    with pytest.raises(TransientError) as caught:
        adapter.publish(post())
    assert type(caught.value) is TransientError
    assert caught.value.maybe_posted
    server.fault("GET", FakeMastodon.ME, Fault.respond(status, {"error": "oops"}))
    with pytest.raises(TransientError) as read_error:
        adapter.fetch_followers()
    assert not read_error.value.maybe_posted


def test_an_unreadable_success_is_transient_and_maybe_posted(
    adapter: MastodonAdapter, server: FakeServer
) -> None:
    adapter.instance_limits()
    server.fault(
        "POST",
        FakeMastodon.STATUSES,
        Fault.respond(200, b"<html>cut off", {"Content-Type": "text/html"}),
    )
    with pytest.raises(TransientError) as caught:
        adapter.publish(post())
    assert caught.value.maybe_posted


def test_read_timeout_is_transient_and_maybe_posted(
    adapter: MastodonAdapter, masto: FakeMastodon, server: FakeServer
) -> None:
    adapter.instance_limits()
    server.fault("POST", FakeMastodon.STATUSES, Fault.hang(HANG))
    with pytest.raises(TransientError) as caught:
        adapter.publish(post())
    assert caught.value.maybe_posted
    assert "timeout" in str(caught.value)


def test_connection_refused_is_transient_and_not_posted(clock: FakeClock) -> None:
    adapter = make(closed_url(), "t", clock)
    with pytest.raises(TransientError) as caught:
        adapter.fetch_followers()
    assert not caught.value.maybe_posted


def test_revoked_token_is_an_auth_error(adapter: MastodonAdapter, masto: FakeMastodon) -> None:
    masto.revoke()
    with pytest.raises(AuthError, match="401"):
        adapter.publish(post())
    with pytest.raises(AuthError):
        adapter.verify()
    assert masto.statuses == []


def test_a_url_that_is_no_instance_is_an_auth_error(server: FakeServer, clock: FakeClock) -> None:
    adapter = make(server.url + "/nowhere", "t", clock)  # every path answers 404
    with pytest.raises(AuthError, match="api_base_url"):
        adapter.verify()


def test_validation_failure_is_rejected(
    adapter: MastodonAdapter, masto: FakeMastodon, server: FakeServer
) -> None:
    assert adapter.limits.max_length == 500
    masto.max_characters = 20  # the instance changed its mind after we read its limit
    with pytest.raises(Rejected, match="422.*character limit") as caught:
        adapter.publish(post())
    assert not caught.value.duplicate
    assert masto.statuses == []


def test_accept_then_lose_is_found_and_a_retry_with_the_key_posts_nothing_new(
    adapter: MastodonAdapter, masto: FakeMastodon, server: FakeServer, clock: FakeClock
) -> None:
    since = clock() - timedelta(minutes=1)
    adapter.instance_limits()
    server.fault("POST", FakeMastodon.STATUSES, Fault.accept_then_lose(HANG))
    with pytest.raises(TransientError) as caught:
        adapter.publish(post())
    assert caught.value.maybe_posted
    clock.advance(minutes=1)
    found = adapter.find_published(post(), since=since)
    assert found is not None and found.remote_id == masto.statuses[0].id
    # And had the lookup not been made, sending again would have been just as safe:
    again = adapter.publish(post())
    assert again.remote_id == found.remote_id
    assert creates(server) == 2
    assert len(masto.statuses) == 1


def test_dropped_connection_then_retry_posts_once(
    adapter: MastodonAdapter, masto: FakeMastodon, server: FakeServer
) -> None:
    adapter.instance_limits()
    server.fault("POST", FakeMastodon.STATUSES, Fault.accept_then_lose(0))
    with pytest.raises(TransientError) as caught:
        adapter.publish(post())
    assert caught.value.maybe_posted
    adapter.publish(post())
    assert len(masto.statuses) == 1


def test_find_published_is_none_for_a_post_never_sent(
    adapter: MastodonAdapter, clock: FakeClock
) -> None:
    adapter.publish(post(1))
    assert adapter.find_published(post(2), since=clock() - timedelta(hours=1)) is None
    assert MastodonAdapter.lookup_is_reliable


def test_find_published_matches_whole_links_only(
    adapter: MastodonAdapter, masto: FakeMastodon, clock: FakeClock
) -> None:
    adapter.publish(post(15))
    # ".../blog/1" is a prefix of ".../blog/15": not the same link, and not the same text
    assert adapter.find_published(post(1), since=clock() - timedelta(hours=1)) is None


def test_find_published_matches_the_text_when_there_is_no_link(
    adapter: MastodonAdapter, masto: FakeMastodon, clock: FakeClock
) -> None:
    plain = Post(
        key="k", channel="masto", item_id=9, text="Meetup <tonight> & more\n\nBe there", url=""
    )
    adapter.publish(plain)
    found = adapter.find_published(plain, since=clock() - timedelta(hours=1))
    assert found is not None and found.remote_id == masto.statuses[0].id


def test_find_published_pages_back_then_stops_at_since(
    adapter: MastodonAdapter, masto: FakeMastodon, server: FakeServer, clock: FakeClock
) -> None:
    start = clock()
    adapter.publish(post(1))
    for n in range(2, 90):  # the one we look for is on the third page of 40
        clock.advance(seconds=10)
        adapter.publish(post(n))
    found = adapter.find_published(post(1), since=start)
    assert found is not None and found.remote_id == masto.statuses[0].id
    pages = server.requests("GET", f"/api/v1/accounts/{masto.account_id}/statuses")
    assert len(pages) == 3
    before = len(server.log)
    assert adapter.find_published(post(1), since=clock() - timedelta(seconds=30)) is None
    assert len(server.requests("GET", f"/api/v1/accounts/{masto.account_id}/statuses")) == 4
    assert len(server.log) == before + 1  # the first page already reaches past `since`


def test_instance_max_characters_is_respected(
    server: FakeServer, masto: FakeMastodon, clock: FakeClock
) -> None:
    masto.max_characters = 1000
    adapter = make(server.url, masto.token, clock)
    assert MastodonAdapter.limits == DEFAULT_LIMITS  # what `queue add` checks, offline
    assert adapter.limits.max_length == 1000  # what the daemon renders to
    assert adapter.limits.url_length == 23
    long_text = "word " * 160  # 800 characters: too long for a default instance, fine here
    adapter.publish(post(1, text=long_text))
    assert len(masto.statuses) == 1
    assert len(server.requests("GET", "/api/v2/instance/")) == 1  # read once, then remembered

    small = FakeMastodon(server, max_characters=100)  # the same server, now a strict instance
    small.token = masto.token
    strict = make(server.url, masto.token, clock)
    with pytest.raises(Rejected, match="allows 100"):
        strict.publish(post(2, text="word " * 30))
    assert len(small.statuses) == 0
    assert creates(server) == 1  # refused before sending


def test_limits_fall_back_to_the_default_while_the_instance_is_down(
    adapter: MastodonAdapter, masto: FakeMastodon, server: FakeServer
) -> None:
    masto.max_characters = 700
    server.fault("GET", FakeMastodon.INSTANCE, Fault.respond(503, {"error": "down"}))
    assert adapter.limits == DEFAULT_LIMITS
    assert adapter.limits.max_length == 700  # not remembered: asked again, and now it answers


def test_engagement_counts_and_deleted_statuses_left_out(
    adapter: MastodonAdapter, masto: FakeMastodon, clock: FakeClock
) -> None:
    first = adapter.publish(post(1)).remote_id
    second = adapter.publish(post(2)).remote_id
    s = masto.status(first)
    s.favourites, s.reblogs, s.replies = 7, 2, 1
    readings = adapter.fetch_engagement([first, second, "999"])
    assert [(e.remote_id, e.likes, e.reposts, e.replies) for e in readings] == [
        (first, 7, 2, 1),
        (second, 0, 0, 0),
    ]
    assert all(e.quotes is None and e.impressions is None for e in readings)
    assert all(e.fetched_at == clock() for e in readings)


def test_followers_and_verify(
    adapter: MastodonAdapter, masto: FakeMastodon, server: FakeServer
) -> None:
    assert adapter.fetch_followers() == 987
    masto.followers = 1000
    assert adapter.fetch_followers() == 1000  # read fresh each time
    info = adapter.verify()
    host = server.url.split("://")[1]
    assert (info.account, info.followers, info.url) == (f"@xen@{host}", 1000, f"{server.url}/@xen")


# -- through the publisher ---------------------------------------------------------------------


def test_a_slot_with_a_lost_answer_posts_exactly_once(
    engine: Engine,
    clock: FakeClock,
    tmp_path: Path,
    server: FakeServer,
    masto: FakeMastodon,
    adapter: MastodonAdapter,
) -> None:
    queue, item, channel, pub = slot_publisher(
        engine, clock, tmp_path, adapter, "masto", "mastodon"
    )
    server.fault("POST", FakeMastodon.STATUSES, Fault.accept_then_lose(HANG))
    result = pub.run_slot(channel, datetime(2026, 3, 2, 9, 30, tzinfo=UTC))
    assert (result.outcome, result.item_id) == (SlotOutcome.PUBLISHED, item)
    [created] = masto.statuses
    delivery = queue.get(item).delivery("masto")
    assert delivery is not None and delivery.state == "published"
    assert delivery.remote_id == created.id
    assert creates(server) == 1  # found by the lookup: never sent again
