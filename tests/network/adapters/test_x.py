"""The X adapter through the real tweepy Client, over real HTTP, against the fake X API.

Nothing of ours is mocked: tweepy signs and sends real requests (the fake verifies the OAuth
1.0a signature), and the fake server's own log is the judge of what was posted. Every request
goes to 127.0.0.1 through `api_base_url`; the tests count the fake's log to prove no call went
anywhere else.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from sqlalchemy.engine import Engine

from content_queue import SlotOutcome
from tests.conftest import FakeClock
from tests.fakes.server import FakeServer, Fault
from tests.fakes.x import CREDENTIALS, DUPLICATE, FakeX, rate_limited, server_error
from tests.network.adapters.conftest import slot_publisher
from xensocial.adapters._http import make_session
from xensocial.adapters.base import (
    AuthError,
    ChannelContext,
    LookupUnavailable,
    Post,
    RateLimited,
    Rejected,
    TransientError,
)
from xensocial.adapters.x import XAdapter

TIMEOUT = 0.4  # the client's read timeout; faults that hang wait longer than this
SINCE = timedelta(minutes=5)


@pytest.fixture
def fake_x(server: FakeServer, clock: FakeClock) -> FakeX:
    return FakeX(server, clock=clock)


def make_adapter(
    server: FakeServer,
    clock: FakeClock,
    *,
    secrets: dict[str, str] | None = None,
    **options: object,
) -> XAdapter:
    options.setdefault("api_base_url", server.url)
    return XAdapter(
        ChannelContext(
            "x-main",
            options=options,
            secrets=CREDENTIALS if secrets is None else secrets,
            timeout_seconds=TIMEOUT,
            clock=clock,
        )
    )


@pytest.fixture
def adapter(server: FakeServer, clock: FakeClock, fake_x: FakeX) -> Iterator[XAdapter]:
    a = make_adapter(server, clock)
    yield a
    a.close()


def post(n: int = 1, url: str | None = None) -> Post:
    url = url or f"https://example.org/news/{n}"
    return Post(key=f"key-{n}", channel="x-main", item_id=n, text=f"News number {n} {url}", url=url)


def posts_sent(server: FakeServer) -> int:
    return len(server.requests("POST", "/2/tweets"))


# -- construction ------------------------------------------------------------------------------


@pytest.mark.parametrize("missing", sorted(CREDENTIALS))
def test_a_missing_secret_is_an_auth_error_naming_it(server, clock, missing):
    secrets = {k: v for k, v in CREDENTIALS.items() if k != missing}
    with pytest.raises(AuthError, match=missing):
        make_adapter(server, clock, secrets=secrets)
    assert server.log == []  # constructing does no I/O


def test_bad_options_are_value_errors_naming_the_option(server, clock):
    with pytest.raises(ValueError, match="api_base_url"):
        make_adapter(server, clock, api_base_url="ftp://nowhere")
    with pytest.raises(ValueError, match="wait_on_rate_limit"):
        make_adapter(server, clock, wait_on_rate_limit=True)


# -- publishing --------------------------------------------------------------------------------


def test_publish_creates_one_post_and_returns_its_id_and_url(adapter, server, fake_x, clock):
    result = adapter.publish(post(1))
    [created] = fake_x.posts.values()
    assert result.remote_id == created.id
    assert result.remote_url == f"https://x.com/i/web/status/{created.id}"
    assert result.published_at == clock()
    assert created.urls[0]["expanded_url"] == "https://example.org/news/1"
    [request] = server.log  # the one request there was reached the fake: nothing left 127.0.0.1
    assert (request.method, request.path, request.json()) == (
        "POST",
        "/2/tweets",
        {"text": "News number 1 https://example.org/news/1"},
    )


def test_a_429_without_a_reset_header_is_rate_limited_with_no_time(adapter, server, fake_x):
    server.fault("POST", "/2/tweets", rate_limited(None))
    with pytest.raises(RateLimited) as caught:
        adapter.publish(post(1))
    assert caught.value.reset_at is None


@pytest.mark.parametrize("status", [500, 503])
def test_a_server_error_is_transient_and_may_have_posted(adapter, server, fake_x, status):
    server.fault("POST", "/2/tweets", server_error(status))
    with pytest.raises(TransientError) as caught:
        adapter.publish(post(1))
    assert type(caught.value) is TransientError
    assert caught.value.maybe_posted is True
    assert str(status) in str(caught.value)
    assert adapter.publish(post(1)).remote_id in fake_x.posts  # the next try goes through


def test_a_read_timeout_is_transient_and_may_have_posted(adapter, server, fake_x):
    server.fault("POST", "/2/tweets", Fault.hang(TIMEOUT * 10))
    started = time.monotonic()
    with pytest.raises(TransientError) as caught:
        adapter.publish(post(1))
    assert time.monotonic() - started < TIMEOUT * 5  # the adapter's timeout, not the server's
    assert caught.value.maybe_posted is True
    assert "timeout" in str(caught.value)
    assert fake_x.posts == {}


def test_revoked_credentials_are_an_auth_error(adapter, server, fake_x):
    fake_x.revoke()
    with pytest.raises(AuthError, match="401"):
        adapter.publish(post(1))
    with pytest.raises(AuthError):
        adapter.verify()
    with pytest.raises(AuthError):
        adapter.fetch_followers()
    assert fake_x.posts == {}


def test_a_wrong_secret_fails_the_signature_check(server, clock, fake_x):
    # The fake verifies OAuth 1.0a signatures: proof that tweepy signs the URL it really calls.
    secrets = {**CREDENTIALS, "consumer_secret": "not-the-secret"}
    with pytest.raises(AuthError):
        make_adapter(server, clock, secrets=secrets).publish(post(1))
    assert fake_x.posts == {}


def test_a_duplicate_is_rejected_as_a_duplicate(adapter, server, fake_x):
    adapter.publish(post(1))
    with pytest.raises(Rejected) as caught:
        adapter.publish(post(1))
    assert caught.value.duplicate is True
    assert DUPLICATE in str(caught.value)
    assert len(fake_x.posts) == 1


@pytest.mark.parametrize("status", [400, 403])
def test_other_refusals_are_rejections_but_not_duplicates(adapter, server, status):
    body = {
        "title": "Forbidden",
        "detail": "You are not permitted to perform this action.",
        "type": "about:blank",
        "status": status,
    }
    server.fault("POST", "/2/tweets", Fault.respond(status, body))
    with pytest.raises(Rejected) as caught:
        adapter.publish(post(1))
    assert caught.value.duplicate is False


@pytest.mark.parametrize(
    "fault",
    [Fault.accept_then_lose(), Fault.accept_then_lose(TIMEOUT * 10)],
    ids=["connection-dropped", "read-timeout"],
)
def test_a_post_created_but_unanswered_is_found_by_the_lookup(
    adapter, server, fake_x, clock, fault
):
    server.fault("POST", "/2/tweets", fault)
    sent = post(7, url="https://example.org/news/7?utm_source=x&utm_medium=social")
    with pytest.raises(TransientError) as caught:
        adapter.publish(sent)
    assert caught.value.maybe_posted is True
    [created] = fake_x.posts.values()  # it IS out

    # The lookup matches on the link (wrapped in t.co by X, UTM parameters aside).
    found = adapter.find_published(
        Post(sent.key, sent.channel, sent.item_id, sent.text, "https://example.org/news/7"),
        since=clock() - SINCE,
    )
    assert found is not None and found.remote_id == created.id
    assert posts_sent(server) == 1  # nothing was sent twice


def test_find_published_answers_none_for_a_post_never_sent(adapter, fake_x, clock):
    adapter.publish(post(1))
    assert adapter.find_published(post(2), since=clock() - SINCE) is None
    assert XAdapter.lookup_is_reliable is False  # "not found" is not proof at once...
    assert XAdapter.lookup_settles is True  # ...only after the settle period (in_doubt.py)


def test_find_published_ignores_posts_before_since_and_reads_every_page(
    adapter, server, fake_x, clock
):
    old = fake_x.add_post("Old news https://example.org/news/1", clock() - timedelta(days=3))
    for n in range(150):  # more than one page of 100
        fake_x.add_post(f"Filler {n}", clock() - timedelta(minutes=1))
    assert adapter.find_published(post(1), since=clock() - SINCE) is None
    fresh = fake_x.add_post("News again https://example.org/news/1", clock() - timedelta(minutes=2))
    found = adapter.find_published(post(1), since=clock() - SINCE)
    assert found is not None and found.remote_id == fresh.id != old.id
    assert found.published_at == fresh.created_at.replace(microsecond=0)
    pages = [
        r.arg("pagination_token")
        for r in server.requests("GET")
        if r.path.endswith("/tweets") and r.path.startswith("/2/users/")
    ]
    assert pages == [None, "100", None, "100"]


# -- reading -----------------------------------------------------------------------------------


def test_engagement_is_read_100_ids_a_call(adapter, server, fake_x, clock):
    made = [
        fake_x.add_post(
            f"Post {n}",
            clock() - timedelta(days=2),
            likes=n,
            reposts=1,
            replies=2,
            quotes=3,
            bookmarks=4,
            impressions=100 + n,
            link_clicks=5,
        )
        for n in range(250)
    ]
    ids = [p.id for p in made] + ["1234567890123456789"]  # one the network does not have
    readings = adapter.fetch_engagement(ids)
    assert [e.remote_id for e in readings] == [p.id for p in made]
    calls = server.requests("GET", "/2/tweets")
    assert [len((r.arg("ids") or "").split(",")) for r in calls] == [100, 100, 50, 1]
    e = readings[42]
    assert (e.likes, e.reposts, e.replies, e.quotes, e.bookmarks, e.impressions, e.clicks) == (
        42,
        1,
        2,
        3,
        4,
        142,
        5,
    )
    assert e.fetched_at == clock()


@pytest.mark.parametrize("legacy", [False, True], ids=["repost_count", "retweet_count"])
def test_reposts_are_read_under_either_name(server, clock, adapter, legacy):
    # X's current payloads say repost_count where older ones said retweet_count.
    fake = FakeX(server, clock=clock, legacy_metrics=legacy)  # replaces the fixture's routes
    old = fake.add_post("Old", clock() - timedelta(days=40), reposts=7)
    new = fake.add_post("New", clock() - timedelta(hours=2), reposts=3)
    readings = {e.remote_id: e.reposts for e in adapter.fetch_engagement([old.id, new.id])}
    assert readings == {old.id: 7, new.id: 3}  # the fake sends one name only: each is read


def test_posts_over_30_days_old_get_public_metrics_only(adapter, server, fake_x, clock):
    old = fake_x.add_post(
        "Old", clock() - timedelta(days=40), likes=4, impressions=50, link_clicks=9
    )
    [e] = adapter.fetch_engagement([old.id])
    assert (e.likes, e.impressions, e.clicks) == (4, 50, None)  # clicks are private: unknown
    [call] = server.requests("GET", "/2/tweets")
    assert call.arg("tweet.fields") == "public_metrics"


def test_credentials_without_private_metrics_fall_back_to_public_ones(server, clock, adapter):
    fake = FakeX(server, clock=clock, private_metrics=False)  # replaces the fixture's routes
    new = fake.add_post("New", clock() - timedelta(hours=1), likes=3, impressions=20, link_clicks=2)
    [e] = adapter.fetch_engagement([new.id])
    assert (e.likes, e.impressions, e.clicks) == (3, 20, None)
    adapter.fetch_engagement([new.id])
    fields = [r.arg("tweet.fields") for r in server.requests("GET", "/2/tweets")]
    assert fields == [
        "public_metrics,non_public_metrics,organic_metrics",
        "public_metrics",
        "public_metrics",  # learnt: it does not ask again
    ]


def test_followers_and_verify_read_the_account(adapter, server, fake_x):
    assert adapter.fetch_followers() == 1234
    info = adapter.verify()
    assert (info.account, info.followers, info.url) == (
        "@xensocial_demo",
        1234,
        "https://x.com/xensocial_demo",
    )
    assert [r.arg("user.fields") for r in server.log] == ["public_metrics"] * 2


def test_reads_are_rate_limited_and_never_maybe_posted(adapter, server, fake_x, clock):
    server.fault("GET", "/2/tweets", rate_limited(clock() + timedelta(seconds=30)))
    with pytest.raises(RateLimited):
        adapter.fetch_engagement(["1500000000000000000"])
    server.fault("GET", "/2/users/me", Fault.hang(TIMEOUT * 10))
    with pytest.raises(TransientError) as caught:
        adapter.verify()
    assert caught.value.maybe_posted is False


# -- routing -----------------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["https://api.twitter.com", "https://api.x.com"])
def test_the_session_sends_both_real_hosts_to_the_base_url(server, host):
    from tests.fakes.server import Reply

    server.route("GET", "/2/ping", lambda r: Reply(200, {"ok": True}))
    session = make_session(
        timeout=TIMEOUT,
        real_hosts=("https://api.twitter.com", "https://api.x.com"),
        api_base_url=server.url + "/",
    )
    assert session.get(f"{host}/2/ping?a=1").json() == {"ok": True}
    [r] = server.log
    assert (r.path, r.query_string) == ("/2/ping", "a=1")
    # Another host is left alone (here: nothing listens, so it fails to connect).
    with pytest.raises(requests.ConnectionError):
        session.get("http://127.0.0.1:9/2/ping")


# -- through the publisher ---------------------------------------------------------------------


def test_a_slot_with_a_lost_answer_posts_exactly_once(
    engine: Engine, clock: FakeClock, tmp_path: Path, server, fake_x
):
    queue, item, channel, pub = slot_publisher(
        engine, clock, tmp_path, make_adapter(server, clock), "x-main", "x"
    )
    server.fault("POST", "/2/tweets", Fault.accept_then_lose(TIMEOUT * 10))
    result = pub.run_slot(channel, datetime(2026, 3, 2, 9, 30, tzinfo=UTC))
    assert (result.outcome, result.item_id) == (SlotOutcome.PUBLISHED, item)
    [created] = fake_x.posts.values()
    delivery = queue.get(item).delivery("x-main")
    assert delivery is not None and delivery.state == "published"
    assert delivery.remote_id == created.id
    assert posts_sent(server) == 1  # the fake's own log: posted exactly once


def test_a_403_for_private_fields_falls_back_to_public_ones(adapter, server, fake_x, clock):
    new = fake_x.add_post("New", clock() - timedelta(hours=1), likes=6, impressions=30)
    body = {
        "title": "Forbidden",
        "detail": "Your app is not permitted to access non_public_metrics.",
        "type": "https://api.twitter.com/2/problems/client-forbidden",
        "status": 403,
    }
    server.fault("GET", "/2/tweets", Fault.respond(403, body))
    [e] = adapter.fetch_engagement([new.id])
    assert (e.likes, e.impressions, e.clicks) == (6, 30, None)
    assert len(server.requests("GET", "/2/tweets")) == 2


def test_a_403_on_the_timeline_says_the_lookup_cannot_be_made(adapter, server, fake_x, clock):
    # The app's access tier may not read timelines: find_published can never tell, so it says
    # so (a post in doubt then goes to a person), without pausing the channel as a 401 would.
    body = {
        "title": "Forbidden",
        "detail": "client-not-enrolled",
        "type": "about:blank",
        "status": 403,
    }
    server.fault("GET", "/2/users/:id/tweets", Fault.respond(403, body))
    with pytest.raises(LookupUnavailable, match="403") as caught:
        adapter.find_published(post(1), since=clock() - SINCE)
    assert not isinstance(caught.value, AuthError)


def test_an_answer_that_is_not_json_may_have_posted(adapter, server):
    server.fault("POST", "/2/tweets", Fault.respond(201, b"<html>proxy</html>"))
    with pytest.raises(TransientError) as caught:
        adapter.publish(post(1))
    assert caught.value.maybe_posted is True


def test_a_malformed_reset_header_is_still_an_adapter_error(adapter, server):
    server.fault("POST", "/2/tweets", Fault.respond(429, {}, {"x-rate-limit-reset": "soon"}))
    with pytest.raises(TransientError):
        adapter.publish(post(1))
