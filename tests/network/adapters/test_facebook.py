"""The Facebook Page adapter through the real facebook-sdk, over real HTTP, against a fake Graph:
posting, lookups, engagement and views, the version default and its warning. Graph's errors
are in `test_facebook_errors.py`.

The fake's own record (`fb.posts`, `server.log`) is the judge of what was posted.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from content_queue import SlotOutcome
from tests.conftest import FakeClock
from tests.fakes.facebook import FakeFacebook, graph_error
from tests.fakes.server import FakeServer, Fault, Request
from tests.network.adapters.conftest import HANG, TIMEOUT, slot_publisher
from xensocial.adapters import versions
from xensocial.adapters.base import AuthError, ChannelContext, Post, TransientError
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


def test_the_default_version_is_the_one_in_the_version_table(
    adapter: FacebookPageAdapter, server: FakeServer, fb: FakeFacebook
) -> None:
    assert versions.DEFAULTS["facebook"] == ("graph_version", DEFAULT_GRAPH_VERSION)
    assert adapter.graph_version == DEFAULT_GRAPH_VERSION
    adapter.fetch_followers()
    assert [r.path for r in server.log] == [f"/{DEFAULT_GRAPH_VERSION}/{fb.page_id}"]


def test_warns_when_the_configured_version_nears_its_end(
    server: FakeServer, fb: FakeFacebook, clock: FakeClock
) -> None:
    old = make(server, fb, clock, graph_version="v21.0")  # Meta serves it until 2027-01-21
    assert old.warnings() == () and make(server, fb, clock).warnings() == ()
    clock.set(datetime(2026, 11, 22, 12, tzinfo=UTC))  # 60 days before: the warning starts
    [line] = old.warnings()
    assert "'fb'" in line and "v21.0" in line and "2027-01-21" in line
    assert f'[channels.options] graph_version = "{DEFAULT_GRAPH_VERSION}"' in line
    assert line == versions.version_warning("facebook", "v21.0", date(2026, 11, 22), channel="fb")
    clock.set(datetime(2027, 2, 1, tzinfo=UTC))
    assert "ended by 2027-01-21" in old.warnings()[0]
    assert make(server, fb, clock).warnings() == ()  # the default lasts longer
    assert server.log == []  # warnings come from the configuration alone


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
    p.reactions, p.comments, p.shares, p.views = 12, 3, 4, 950
    readings = adapter.fetch_engagement([shared, quiet, f"{fb.page_id}_999"])
    assert [(e.remote_id, e.likes, e.reposts, e.replies, e.impressions) for e in readings] == [
        (shared, 12, 4, 3, 950),  # impressions holds Facebook's views
        (quiet, 0, 0, 0, 0),  # Graph leaves `shares` out when nobody shared: that is zero
    ]
    assert all(e.quotes is None and e.clicks is None for e in readings)
    assert all(e.fetched_at == clock() for e in readings)
    reads = server.requests("GET")
    assert len(reads) == 3  # one per post, the deleted one included: no second try for it
    assert reads[0].arg("fields") == (
        "shares,reactions.summary(true),comments.summary(true),"
        "insights.metric(post_total_media_view_unique)"
    )


def test_views_are_none_when_graph_has_no_figure(
    adapter: FacebookPageAdapter, fb: FakeFacebook
) -> None:
    remote_id = adapter.publish(post()).remote_id
    fb.post(remote_id).views = None  # a Page under 100 likes: insights answer with no data
    fb.post(remote_id).reactions = 2
    [reading] = adapter.fetch_engagement([remote_id])
    assert (reading.impressions, reading.likes) == (None, 2)


@pytest.mark.parametrize(
    "refusal",
    [
        graph_error(200, "(#200) Permissions error"),  # a token without read_insights
        graph_error(10, "(#10) This endpoint requires the 'read_insights' permission"),
        graph_error(100, "(#100) The value must be a valid insights metric"),  # renamed again
    ],
)
def test_views_refused_are_none_and_the_other_counters_stay(
    adapter: FacebookPageAdapter,
    fb: FakeFacebook,
    server: FakeServer,
    clock: FakeClock,
    refusal: dict[str, object],
) -> None:
    first, second = (adapter.publish(post(n)).remote_id for n in (1, 2))
    for remote_id in (first, second):
        fb.post(remote_id).reactions, fb.post(remote_id).views = 7, 500
    fb.insights_refusal = refusal
    readings = adapter.fetch_engagement([first]) + adapter.fetch_engagement([second])
    assert [(e.likes, e.reposts, e.replies, e.impressions) for e in readings] == [
        (7, 0, 0, None),
        (7, 0, 0, None),
    ]
    asked = [r.arg("fields") or "" for r in server.requests("GET")]
    # The refusal costs one more read, once: the next post is read without views at once.
    assert ["insights" in f for f in asked] == [True, False, False]
    clock.advance(days=1)  # a day on, views are asked for again (the token may have changed)
    fb.insights_refusal = None
    [again] = adapter.fetch_engagement([first])
    assert again.impressions == 500


def test_a_refused_token_still_fails_the_engagement_read(
    adapter: FacebookPageAdapter, fb: FakeFacebook
) -> None:
    remote_id = adapter.publish(post()).remote_id
    fb.revoke()
    with pytest.raises(AuthError):  # not mistaken for views refused: the plain read fails too
        adapter.fetch_engagement([remote_id])


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
