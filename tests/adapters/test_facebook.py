"""The Facebook Page adapter through the real facebook-sdk, over real HTTP, against a fake Graph.

The fake's own record (`fb.posts`, `server.log`) is the judge of what was posted.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from content_queue import SlotOutcome
from tests.adapters.conftest import HANG, TIMEOUT, closed_url, slot_publisher
from tests.conftest import FakeClock
from tests.fakes.facebook import FakeFacebook, graph_error
from tests.fakes.server import FakeServer, Fault, Request
from xensocial.adapters.base import (
    AuthError,
    ChannelContext,
    Post,
    RateLimited,
    Rejected,
    TransientError,
)
from xensocial.adapters.facebook import DEFAULT_GRAPH_VERSION, FacebookPageAdapter
from xensocial.adapters.registry import available, load


@pytest.fixture
def fb(server: FakeServer, clock: FakeClock) -> FakeFacebook:
    return FakeFacebook(server, clock=clock)


def make(
    server: FakeServer, fb: FakeFacebook, clock: FakeClock, **options: object
) -> FacebookPageAdapter:
    return FacebookPageAdapter(
        ChannelContext(
            name="fb",
            options={"page_id": fb.page_id, "api_base_url": server.url, **options},
            secrets={"access_token": fb.token},
            timeout_seconds=TIMEOUT,
            clock=clock,
        )
    )


@pytest.fixture
def adapter(
    server: FakeServer, fb: FakeFacebook, clock: FakeClock
) -> Iterator[FacebookPageAdapter]:
    a = make(server, fb, clock)
    yield a
    a.close()


def post(n: int = 1) -> Post:
    url = f"https://xenproject.org/blog/{n}"
    return Post(key=f"d{n}-key", channel="fb", item_id=n, text=f"Release {n} is out {url}", url=url)


def feed_posts(server: FakeServer) -> list[Request]:
    return server.requests("POST", f"/{DEFAULT_GRAPH_VERSION}/1029384756/feed")


def test_registered_as_an_entry_point() -> None:
    assert available()["facebook"].target == "xensocial.adapters.facebook:FacebookPageAdapter"
    assert load("facebook") is FacebookPageAdapter


def test_publish_posts_to_the_page_feed_with_a_current_graph_version(
    adapter: FacebookPageAdapter, fb: FakeFacebook, server: FakeServer, clock: FakeClock
) -> None:
    result = adapter.publish(post())
    assert [p.message for p in fb.posts] == [post().text]
    assert fb.posts[0].link == post().url
    assert result.remote_id == fb.posts[0].id
    assert (
        result.remote_url
        == f"https://www.facebook.com/{fb.page_id}/posts/{fb.posts[0].id.split('_')[1]}"
    )
    assert result.published_at == clock()
    (request,) = server.log
    # The library refuses versions above 3.1; the adapter still speaks the current one.
    assert request.path == f"/{DEFAULT_GRAPH_VERSION}/{fb.page_id}/feed"
    assert request.form["access_token"] == fb.token


def test_graph_version_is_configurable(
    server: FakeServer, fb: FakeFacebook, clock: FakeClock
) -> None:
    adapter = make(server, fb, clock, graph_version="v23.0")
    adapter.publish(post())
    assert [r.path for r in server.log] == [f"/v23.0/{fb.page_id}/feed"]


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({"page_id": None}, "page_id"),
        ({"page_id": "my-page"}, "page_id"),
        ({"graph_version": "3.1"}, "graph_version"),
        ({"api_base_url": "ftp://x"}, "api_base_url"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_bad_options_are_named(
    server: FakeServer, fb: FakeFacebook, clock: FakeClock, options: dict[str, object], problem: str
) -> None:
    base = {"page_id": fb.page_id, "api_base_url": server.url}
    merged = {k: v for k, v in {**base, **options}.items() if v is not None}
    with pytest.raises(ValueError, match=problem):
        FacebookPageAdapter(
            ChannelContext(name="fb", options=merged, secrets={"access_token": "t"})
        )
    assert server.log == []  # no network I/O at construction


def test_missing_token_is_an_auth_error(fb: FakeFacebook) -> None:
    with pytest.raises(AuthError, match="access_token"):
        FacebookPageAdapter(ChannelContext(name="fb", options={"page_id": fb.page_id}))


@pytest.mark.parametrize("code", [4, 17, 32, 613])
def test_rate_limit_codes_give_the_reset_time(
    adapter: FacebookPageAdapter, fb: FakeFacebook, server: FakeServer, clock: FakeClock, code: int
) -> None:
    usage = {
        fb.page_id: [
            {
                "type": "pages",
                "call_count": 100,
                "total_cputime": 40,
                "total_time": 60,
                "estimated_time_to_regain_access": 15,
            }
        ]
    }
    server.fault(
        "POST",
        FakeFacebook.FEED,
        Fault.respond(
            400,
            graph_error(code, "(#32) Page request limit reached"),
            {"x-business-use-case-usage": json.dumps(usage)},
        ),
    )
    with pytest.raises(RateLimited) as caught:
        adapter.publish(post())
    assert caught.value.reset_at == clock() + timedelta(minutes=15)
    assert fb.posts == []


def test_app_rate_limit_without_a_reset_time(
    adapter: FacebookPageAdapter, fb: FakeFacebook, server: FakeServer
) -> None:
    server.fault(
        "GET",
        FakeFacebook.OBJECT,
        Fault.respond(
            400,
            graph_error(4, "(#4) Application request limit reached"),
            {"x-app-usage": json.dumps({"call_count": 100, "total_cputime": 20, "total_time": 25})},
        ),
    )
    with pytest.raises(RateLimited) as caught:
        adapter.fetch_followers()
    assert caught.value.reset_at is None  # x-app-usage says how much, never until when


def test_a_5xx_page_that_is_not_graph_json_is_transient_and_may_be_posted(
    adapter: FacebookPageAdapter, fb: FakeFacebook, server: FakeServer
) -> None:
    server.fault(
        "POST",
        FakeFacebook.FEED,
        Fault.respond(500, b"<html>Internal Server Error</html>", {"Content-Type": "text/html"}),
    )
    with pytest.raises(TransientError) as caught:
        adapter.publish(post())
    assert type(caught.value) is TransientError
    assert caught.value.maybe_posted
    assert "HTTP 500" in str(caught.value)


def test_service_unavailable_code_2_is_transient(
    adapter: FacebookPageAdapter, fb: FakeFacebook, server: FakeServer
) -> None:
    server.fault(
        "POST",
        FakeFacebook.FEED,
        Fault.respond(
            503, graph_error(2, "Service temporarily unavailable", type="OAuthException")
        ),
    )
    with pytest.raises(TransientError) as caught:
        adapter.publish(post())
    assert type(caught.value) is TransientError
    server.fault(
        "GET", FakeFacebook.OBJECT, Fault.respond(503, graph_error(1, "An unknown error occurred"))
    )
    with pytest.raises(TransientError) as read_error:
        adapter.fetch_followers()
    assert not read_error.value.maybe_posted  # a read posts nothing
    adapter.publish(post())  # and then it passes
    assert len(fb.posts) == 1


def test_read_timeout_is_transient_and_maybe_posted(
    adapter: FacebookPageAdapter, fb: FakeFacebook, server: FakeServer
) -> None:
    server.fault("POST", FakeFacebook.FEED, Fault.hang(HANG))
    with pytest.raises(TransientError) as caught:
        adapter.publish(post())
    assert caught.value.maybe_posted
    assert "timeout" in str(caught.value)


def test_connection_refused_is_transient_and_not_posted(fb: FakeFacebook, clock: FakeClock) -> None:
    adapter = FacebookPageAdapter(
        ChannelContext(
            name="fb",
            options={"page_id": fb.page_id, "api_base_url": closed_url()},
            secrets={"access_token": fb.token},
            timeout_seconds=TIMEOUT,
            clock=clock,
        )
    )
    with pytest.raises(TransientError) as caught:
        adapter.publish(post())
    assert not caught.value.maybe_posted


def test_expired_token_is_an_auth_error(adapter: FacebookPageAdapter, fb: FakeFacebook) -> None:
    fb.revoke()
    with pytest.raises(AuthError, match="190/463"):
        adapter.publish(post())
    with pytest.raises(AuthError):
        adapter.verify()
    assert fb.posts == []


def test_an_error_object_sent_with_http_200_is_still_an_error(
    adapter: FacebookPageAdapter, fb: FakeFacebook, server: FakeServer
) -> None:
    # The library ignores the HTTP status; so must nothing in our mapping depend on it.
    server.fault(
        "POST",
        FakeFacebook.FEED,
        Fault.respond(200, graph_error(190, "Invalid OAuth access token.")),
    )
    with pytest.raises(AuthError):
        adapter.publish(post())


def test_missing_permission_pauses_rather_than_rejects(
    adapter: FacebookPageAdapter, server: FakeServer
) -> None:
    server.fault(
        "POST",
        FakeFacebook.FEED,
        Fault.respond(
            400,
            graph_error(
                200, "(#200) The user hasn't authorized the application to perform this action"
            ),
        ),
    )
    with pytest.raises(AuthError):
        adapter.publish(post())


def test_duplicate_is_rejected_as_duplicate(adapter: FacebookPageAdapter, fb: FakeFacebook) -> None:
    adapter.publish(post())
    with pytest.raises(Rejected) as caught:
        adapter.publish(post())  # the fake, like Graph, refuses the same status twice
    assert caught.value.duplicate
    assert "506" in str(caught.value)
    assert len(fb.posts) == 1


@pytest.mark.parametrize(
    ("code", "message", "duplicate"),
    [
        (368, "The action attempted has been deemed abusive or is otherwise disallowed", False),
        (368, "Duplicate post: this content was already posted", True),
    ],
)
def test_code_368_is_a_duplicate_only_when_it_says_so(
    adapter: FacebookPageAdapter, server: FakeServer, code: int, message: str, duplicate: bool
) -> None:
    server.fault("POST", FakeFacebook.FEED, Fault.respond(400, graph_error(code, message)))
    with pytest.raises(Rejected) as caught:
        adapter.publish(post())
    assert caught.value.duplicate is duplicate


def test_other_errors_are_rejected_not_duplicate(
    adapter: FacebookPageAdapter, server: FakeServer
) -> None:
    server.fault(
        "POST", FakeFacebook.FEED, Fault.respond(400, graph_error(100, "(#100) Invalid parameter"))
    )
    with pytest.raises(Rejected) as caught:
        adapter.publish(post())
    assert not caught.value.duplicate


def test_accept_then_lose_is_found_and_never_posted_twice(
    adapter: FacebookPageAdapter, fb: FakeFacebook, server: FakeServer, clock: FakeClock
) -> None:
    since = clock() - timedelta(minutes=1)
    server.fault("POST", FakeFacebook.FEED, Fault.accept_then_lose(HANG))
    with pytest.raises(TransientError) as caught:
        adapter.publish(post())
    assert caught.value.maybe_posted
    clock.advance(minutes=2)
    found = adapter.find_published(post(), since=since)
    assert found is not None
    assert found.remote_id == fb.posts[0].id
    assert found.remote_url and found.remote_url.startswith("https://www.facebook.com/")
    assert len(fb.posts) == 1
    assert len(feed_posts(server)) == 1


def test_find_published_is_none_for_a_post_never_sent(
    adapter: FacebookPageAdapter, clock: FakeClock
) -> None:
    adapter.publish(post(1))
    assert adapter.find_published(post(2), since=clock() - timedelta(hours=1)) is None
    assert not FacebookPageAdapter.lookup_is_reliable  # so None sends the delivery to a person


def test_find_published_pages_back_and_respects_since(
    adapter: FacebookPageAdapter, fb: FakeFacebook, clock: FakeClock, server: FakeServer
) -> None:
    start = clock()
    adapter.publish(post(1))
    for n in range(2, 160):  # a busy Page: the one we look for is on the second page
        clock.advance(seconds=10)
        adapter.publish(post(n))
    found = adapter.find_published(post(1), since=start)
    assert found is not None and found.remote_id == fb.posts[0].id
    assert found.published_at == start
    lookups = server.requests("GET", f"/{DEFAULT_GRAPH_VERSION}/{fb.page_id}/posts")
    assert len(lookups) == 2 and lookups[0].arg("since") == str(int(start.timestamp()))
    # a `since` after the post: it is not there
    assert adapter.find_published(post(1), since=start + timedelta(seconds=5)) is None


def test_engagement_reads_current_metrics_and_leaves_deleted_posts_out(
    adapter: FacebookPageAdapter, fb: FakeFacebook, server: FakeServer, clock: FakeClock
) -> None:
    shared = adapter.publish(post(1)).remote_id
    quiet = adapter.publish(post(2)).remote_id
    p = fb.post(shared)
    p.reactions, p.comments, p.shares = 12, 3, 4
    readings = adapter.fetch_engagement([shared, quiet, f"{fb.page_id}_999"])
    assert [(e.remote_id, e.likes, e.reposts, e.replies) for e in readings] == [
        (shared, 12, 4, 3),
        (quiet, 0, 0, 0),  # Graph leaves `shares` out when nobody shared: that is zero
    ]
    assert all(
        e.impressions is None and e.quotes is None and e.fetched_at == clock() for e in readings
    )
    fields = server.requests("GET", f"/{DEFAULT_GRAPH_VERSION}/{shared}")[0].arg("fields")
    assert fields == "shares,reactions.summary(true),comments.summary(true)"


def test_followers_and_verify(adapter: FacebookPageAdapter, fb: FakeFacebook) -> None:
    assert adapter.fetch_followers() == 4321
    fb.followers = 4400
    info = adapter.verify()
    assert (info.account, info.followers) == ("Xen Project", 4400)
    assert info.url == f"https://www.facebook.com/{fb.page_id}"


def test_limits() -> None:
    assert FacebookPageAdapter.limits.max_length == 63206
    assert FacebookPageAdapter.name == "facebook"


# -- through the publisher ---------------------------------------------------------------------


def test_a_slot_with_a_lost_answer_posts_exactly_once(
    engine: Engine,
    clock: FakeClock,
    tmp_path: Path,
    server: FakeServer,
    fb: FakeFacebook,
    adapter: FacebookPageAdapter,
) -> None:
    queue, item, channel, pub = slot_publisher(engine, clock, tmp_path, adapter, "fb", "facebook")
    server.fault("POST", FakeFacebook.FEED, Fault.accept_then_lose(HANG))
    result = pub.run_slot(channel, datetime(2026, 3, 2, 9, 30, tzinfo=UTC))
    assert (result.outcome, result.item_id) == (SlotOutcome.PUBLISHED, item)
    [created] = fb.posts
    delivery = queue.get(item).delivery("fb")
    assert delivery is not None and delivery.state == "published"
    assert delivery.remote_id == created.id
    assert len(feed_posts(server)) == 1  # the fake's own log: posted exactly once


def test_a_lost_answer_the_lookup_cannot_see_goes_to_a_person_not_out_again(
    engine: Engine,
    clock: FakeClock,
    tmp_path: Path,
    server: FakeServer,
    fb: FakeFacebook,
    adapter: FacebookPageAdapter,
) -> None:
    queue, item, channel, pub = slot_publisher(engine, clock, tmp_path, adapter, "fb", "facebook")
    server.fault("POST", FakeFacebook.FEED, Fault.accept_then_lose(HANG))
    # The posts edge lags behind the feed: the post is out but not listed yet.
    server.fault("GET", FakeFacebook.POSTS, Fault.respond(200, {"data": []}), times=5)
    pub.run_slot(channel, datetime(2026, 3, 2, 9, 30, tzinfo=UTC))
    delivery = queue.get(item).delivery("fb")
    assert delivery is not None and delivery.state == "unknown"
    assert len(fb.posts) == 1
    assert len(feed_posts(server)) == 1  # never sent a second time
