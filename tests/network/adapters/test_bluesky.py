"""The Bluesky adapter through the real atproto SDK, over real HTTP, against a fake PDS.

The fake's own record (`bsky.posts`, `server.log`) is the judge of what was posted.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import Engine

from content_queue import SlotOutcome
from tests.conftest import FakeClock
from tests.fakes.bluesky import BskyPost, FakeBluesky, rate_limited, tid
from tests.fakes.server import FakeServer, Fault, Reply
from tests.network.adapters.conftest import HANG, TIMEOUT, slot_publisher
from xensocial.adapters.base import (
    AuthError,
    ChannelContext,
    Post,
    RateLimited,
    Rejected,
    TransientError,
)
from xensocial.adapters.bluesky import KEY_FIELD, BlueskyAdapter
from xensocial.adapters.registry import available, load

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PAGE = b"""<!doctype html><html><head><title>Xen 4.20</title>
<meta property="og:title" content="Xen Project 4.20 released">
<meta property="og:description" content="What&#39;s new in 4.20">
<meta property="og:image" content="/og.png">
</head><body>...</body></html>"""


@pytest.fixture
def bsky(server: FakeServer, clock: FakeClock) -> FakeBluesky:
    return FakeBluesky(server, clock=clock)


def make(
    url: str,
    fake: FakeBluesky,
    clock: FakeClock,
    data_dir: Path,
    *,
    private: bool = True,
    **options: object,
) -> BlueskyAdapter:
    """The adapter against the fake, keeping its session in `data_dir`; `private`: its card
    pages on 127.0.0.1 may be read."""
    return BlueskyAdapter(
        ChannelContext(
            name="bsky",
            options={"handle": fake.handle, "api_base_url": url, "link_cards": False, **options},
            secrets={"app_password": fake.password},
            data_dir=data_dir,
            timeout_seconds=TIMEOUT,
            clock=clock,
            allow_private_addresses=private,
        )
    )


@pytest.fixture
def adapter(
    server: FakeServer, bsky: FakeBluesky, clock: FakeClock, tmp_path: Path
) -> Iterator[BlueskyAdapter]:
    a = make(server.url, bsky, clock, tmp_path)
    yield a
    a.close()


def post(n: int = 1, text: str | None = None, url: str | None = None) -> Post:
    url = url if url is not None else f"https://xenproject.org/blog/{n}"
    return Post(
        key=f"delivery-{n}-key",
        channel="bsky",
        item_id=n,
        text=text if text is not None else f"Release {n} is out {url} #xen",
        url=url,
        title=f"Release {n}",
    )


def creates(server: FakeServer) -> int:
    return len(server.requests("POST", FakeBluesky.CREATE_RECORD))


def test_registered_as_an_entry_point() -> None:
    assert available()["bluesky"].target == "xensocial.adapters.bluesky:BlueskyAdapter"
    assert load("bluesky") is BlueskyAdapter


def test_publish_sends_a_post_with_link_facets_and_a_card(
    adapter: BlueskyAdapter, bsky: FakeBluesky, server: FakeServer, clock: FakeClock
) -> None:
    text = "👨‍👩‍👧 Family release! https://xenproject.org/blog/1 #xen #Xen日本"
    result = adapter.publish(post(1, text=text))
    (created,) = bsky.posts  # the fake checked each facet's range holds its link or tag
    record = created.record
    assert record["text"] == text
    link, tag, other = record["facets"]
    start = len("👨‍👩‍👧 Family release! ".encode())
    assert link["index"]["byteStart"] == start  # 18 bytes of emoji, not 5 code points
    assert link["index"]["byteEnd"] == start + len("https://xenproject.org/blog/1")
    tag_start = text.encode().index(b"#xen")
    assert (tag["index"]["byteStart"], tag["index"]["byteEnd"]) == (tag_start, tag_start + 4)
    assert tag["features"] == [{"$type": "app.bsky.richtext.facet#tag", "tag": "xen"}]
    assert other["features"][0]["tag"] == "Xen日本"
    assert other["index"]["byteEnd"] == len(text.encode()) == other["index"]["byteStart"] + 10
    assert record["embed"]["external"]["uri"] == "https://xenproject.org/blog/1"
    assert record["embed"]["external"]["title"] == "Release 1"
    assert "thumb" not in record["embed"]["external"]  # link_cards off: the page is not read
    assert record[KEY_FIELD] == post(1).key
    assert record["createdAt"] == clock().strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert result.remote_id == created.uri == f"at://{bsky.did}/app.bsky.feed.post/{created.rkey}"
    assert result.remote_url == f"https://bsky.app/profile/{bsky.handle}/post/{created.rkey}"
    assert result.published_at == clock()
    assert [r.path for r in server.log] == [FakeBluesky.CREATE_SESSION, FakeBluesky.CREATE_RECORD]


def test_the_card_takes_the_pages_open_graph_tags_and_image(
    server: FakeServer, bsky: FakeBluesky, clock: FakeClock, tmp_path: Path
) -> None:
    server.route("GET", "/news/4.20", lambda r: Reply(200, PAGE, {"Content-Type": "text/html"}))
    server.route("GET", "/og.png", lambda r: Reply(200, PNG, {"Content-Type": "image/png"}))
    adapter = make(server.url, bsky, clock, tmp_path, link_cards=True)
    url = f"{server.url}/news/4.20"
    adapter.publish(Post(key="k", channel="bsky", item_id=1, text=f"Out now: {url}", url=url))
    external = bsky.posts[0].record["embed"]["external"]
    assert external["title"] == "Xen Project 4.20 released"
    assert external["description"] == "What's new in 4.20"
    (blob_cid,) = bsky.blobs
    assert bsky.blobs[blob_cid] == PNG
    assert external["thumb"]["ref"]["$link"] == blob_cid
    assert external["thumb"]["mimeType"] == "image/png"
    assert external["thumb"]["size"] == len(PNG)


def test_a_card_page_on_a_private_address_is_not_read_unless_allowed(
    server: FakeServer, bsky: FakeBluesky, clock: FakeClock, tmp_path: Path
) -> None:
    """An item's link must not steer the daemon into the local network: the page on
    127.0.0.1 is never requested, and the post still goes out, with a card from its words."""
    server.route("GET", "/news/4.20", lambda r: Reply(200, PAGE, {"Content-Type": "text/html"}))
    adapter = make(server.url, bsky, clock, tmp_path, private=False, link_cards=True)
    url = f"{server.url}/news/4.20"
    adapter.publish(
        Post(key="k", channel="bsky", item_id=1, text=f"Out now: {url}", url=url, title="Release")
    )
    assert "/news/4.20" not in [r.path for r in server.log]
    external = bsky.posts[0].record["embed"]["external"]
    assert external["uri"] == url
    assert "thumb" not in external


def test_a_card_that_cannot_be_built_never_fails_the_post(
    server: FakeServer, bsky: FakeBluesky, clock: FakeClock, tmp_path: Path
) -> None:
    server.route("GET", "/slow", lambda r: Reply(200, PAGE, {"Content-Type": "text/html"}))
    server.fault("GET", "/slow", Fault.hang(HANG))
    server.route("GET", "/pic", lambda r: Reply(200, PAGE, {"Content-Type": "text/html"}))
    server.route("GET", "/og.png", lambda r: Reply(404, {"error": "gone"}))
    adapter = make(server.url, bsky, clock, tmp_path, link_cards=True)
    started = time.monotonic()
    adapter.publish(post(1, url=f"{server.url}/slow", text="slow page"))
    assert time.monotonic() - started < HANG  # the page's timeout, not the fault's hang
    adapter.publish(post(2, url=f"{server.url}/pic", text="page with a missing image"))
    adapter.publish(post(3, url=f"{server.url}/nowhere", text="a page that is not there"))
    cards = [p.record["embed"]["external"] for p in bsky.posts]
    assert [c["title"] for c in cards] == ["Release 1", "Release 2", "Release 3"]
    assert all("thumb" not in c for c in cards)
    assert bsky.blobs == {}


def test_graphemes_and_bytes_are_counted_before_sending(
    adapter: BlueskyAdapter, bsky: FakeBluesky, server: FakeServer
) -> None:
    adapter.publish(post(1, text="👨‍👩‍👧" * 166, url=""))  # 166 graphemes, 2,988 bytes: fits
    with pytest.raises(Rejected, match="301 graphemes"):
        adapter.publish(post(2, text="a" * 301, url=""))
    # 300 graphemes but 5,400 bytes: the lexicon's maxLength, which the PDS would refuse.
    with pytest.raises(Rejected, match="5,400 bytes, Bluesky allows 3,000"):
        adapter.publish(post(3, text="👨‍👩‍👧" * 300, url=""))
    assert creates(server) == 1
    assert (BlueskyAdapter.limits.max_length, BlueskyAdapter.limits.max_bytes) == (300, 3000)


def test_the_fake_refuses_what_the_lexicon_refuses(
    adapter: BlueskyAdapter, bsky: FakeBluesky, server: FakeServer
) -> None:
    """The judge of the check above: 3,000 bytes is the PDS's own limit, in its own words."""
    adapter.verify()
    token = bsky._session()["accessJwt"]
    for text, words in (
        ("👨‍👩‍👧" * 167, "longer than 3000 characters"),
        ("a" * 301, "300 graphemes"),
    ):
        body = {
            "repo": bsky.did,
            "collection": "app.bsky.feed.post",
            "record": {"$type": "app.bsky.feed.post", "text": text, "createdAt": "2026-03-02"},
        }
        answer = httpx.post(
            server.url + FakeBluesky.CREATE_RECORD,
            json=body,
            headers={"Authorization": f"Bearer {token}"},
        )
        assert answer.status_code == 400
        assert answer.json()["error"] == "InvalidRequest"
        assert words in answer.json()["message"]
    assert bsky.posts == []


def test_a_refused_record_is_rejected(adapter: BlueskyAdapter, server: FakeServer) -> None:
    server.fault(
        "POST",
        FakeBluesky.CREATE_RECORD,
        Fault.respond(400, {"error": "InvalidRequest", "message": "Invalid record"}),
    )
    with pytest.raises(Rejected, match="InvalidRequest") as caught:
        adapter.publish(post())
    assert not caught.value.duplicate


def test_construction_checks_options_and_does_no_io(
    server: FakeServer, clock: FakeClock, tmp_path: Path
) -> None:
    with pytest.raises(ValueError, match="handle"):
        BlueskyAdapter(ChannelContext(name="b", secrets={"app_password": "p"}))
    with pytest.raises(ValueError, match="colour"):
        BlueskyAdapter(ChannelContext(name="b", options={"handle": "a.b", "colour": 1}))
    with pytest.raises(ValueError, match="link_cards"):
        BlueskyAdapter(ChannelContext(name="b", options={"handle": "a.b", "link_cards": "yes"}))
    with pytest.raises(ValueError, match="api_base_url"):
        BlueskyAdapter(ChannelContext(name="b", options={"handle": "a.b", "api_base_url": "pds"}))
    with pytest.raises(AuthError, match="app_password"):
        BlueskyAdapter(ChannelContext(name="b", options={"handle": "a.b"}))
    default = BlueskyAdapter(
        ChannelContext(name="b", options={"handle": "@a.b"}, secrets={"app_password": "p"})
    )
    assert (default.base_url, default.handle) == ("https://bsky.social", "a.b")
    FakeBluesky(server)
    make(server.url, FakeBluesky(server), clock, tmp_path)
    assert server.log == []


def test_rate_limit_gives_the_reset_time_without_sleeping(
    adapter: BlueskyAdapter, bsky: FakeBluesky, server: FakeServer, clock: FakeClock
) -> None:
    reset = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    server.fault("POST", FakeBluesky.CREATE_RECORD, rate_limited(reset))
    started = time.monotonic()
    with pytest.raises(RateLimited) as caught:
        adapter.publish(post())
    assert time.monotonic() - started < TIMEOUT
    assert caught.value.reset_at == reset
    assert not caught.value.maybe_posted
    assert bsky.posts == []


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_is_transient_and_a_post_may_be_out(
    adapter: BlueskyAdapter, server: FakeServer, status: int
) -> None:
    body = {"error": "InternalServerError", "message": "Internal Server Error"}
    server.fault("POST", FakeBluesky.CREATE_RECORD, Fault.respond(status, body))
    with pytest.raises(TransientError) as caught:
        adapter.publish(post())
    assert type(caught.value) is TransientError
    assert caught.value.maybe_posted
    server.fault("GET", FakeBluesky.GET_PROFILE, Fault.respond(status, body))
    with pytest.raises(TransientError) as read_error:
        adapter.fetch_followers()
    assert not read_error.value.maybe_posted


def test_read_timeout_is_transient_and_maybe_posted(
    adapter: BlueskyAdapter, bsky: FakeBluesky, server: FakeServer
) -> None:
    adapter.verify()  # signed in: the hang below is the post's
    server.fault("POST", FakeBluesky.CREATE_RECORD, Fault.hang(HANG))
    started = time.monotonic()
    with pytest.raises(TransientError) as caught:
        adapter.publish(post())
    assert time.monotonic() - started < HANG
    assert caught.value.maybe_posted
    assert "timeout" in str(caught.value)
    assert bsky.posts == []


def test_an_expired_token_is_refreshed_once_and_the_call_retried(
    adapter: BlueskyAdapter, bsky: FakeBluesky, server: FakeServer
) -> None:
    adapter.publish(post(1))
    bsky.expire_tokens()
    adapter.publish(post(2))
    assert [p.text for p in bsky.posts] == [post(1).text, post(2).text]
    assert len(server.requests("POST", FakeBluesky.REFRESH_SESSION)) == 1
    assert len(server.requests("POST", FakeBluesky.CREATE_SESSION)) == 1
    assert creates(server) == 3  # the refused one, then the retry


def test_a_spent_refresh_token_signs_in_again(
    adapter: BlueskyAdapter, bsky: FakeBluesky, server: FakeServer
) -> None:
    adapter.verify()
    bsky.expire_tokens()
    bsky._refresh.clear()  # the refresh token expired too (90 days)
    assert adapter.fetch_followers() == bsky.followers
    assert len(server.requests("POST", FakeBluesky.CREATE_SESSION)) == 2


def test_a_revoked_app_password_is_an_auth_error(
    adapter: BlueskyAdapter, bsky: FakeBluesky, server: FakeServer, tmp_path: Path
) -> None:
    adapter.verify()
    bsky.revoke()
    with pytest.raises(AuthError, match="Invalid identifier or password"):
        adapter.publish(post())
    assert bsky.posts == []
    fresh = make(server.url, bsky, FakeClock(datetime.now(UTC)), tmp_path / "other")
    with pytest.raises(AuthError):
        fresh.verify()


def test_a_url_that_is_no_pds_is_an_auth_error(
    server: FakeServer, bsky: FakeBluesky, clock: FakeClock, tmp_path: Path
) -> None:
    adapter = make(server.url + "/nowhere", bsky, clock, tmp_path)  # every path answers 404
    with pytest.raises(AuthError, match="api_base_url"):
        adapter.verify()


def test_accept_then_lose_is_found_and_not_posted_again(
    adapter: BlueskyAdapter, bsky: FakeBluesky, server: FakeServer, clock: FakeClock
) -> None:
    since = clock() - timedelta(minutes=1)
    server.fault("POST", FakeBluesky.CREATE_RECORD, Fault.accept_then_lose(HANG))
    with pytest.raises(TransientError) as caught:
        adapter.publish(post())
    assert caught.value.maybe_posted
    clock.advance(minutes=1)
    found = adapter.find_published(post(), since=since)
    assert found is not None and found.remote_id == bsky.posts[0].uri
    assert creates(server) == 1 and len(bsky.posts) == 1


def test_a_dropped_connection_is_maybe_posted(
    adapter: BlueskyAdapter, bsky: FakeBluesky, server: FakeServer, clock: FakeClock
) -> None:
    adapter.verify()
    server.fault("POST", FakeBluesky.CREATE_RECORD, Fault.accept_then_lose(0))
    with pytest.raises(TransientError) as caught:
        adapter.publish(post())
    assert caught.value.maybe_posted
    assert adapter.find_published(post(), since=clock() - timedelta(minutes=1)) is not None


def test_find_published_matches_key_then_card_link_then_text(
    adapter: BlueskyAdapter, bsky: FakeBluesky, clock: FakeClock
) -> None:
    since = clock() - timedelta(hours=1)
    adapter.publish(post(15))
    assert adapter.find_published(post(1), since=since) is None  # ".../1" is not ".../15"
    # Posts made by hand in the app carry no key: found by the card's URI, a facet or the text.
    micros = int(clock().timestamp() * 1e6)
    for n, record in enumerate(
        [
            {"text": "see", "embed": {"external": {"uri": post(2).url}}},
            {"text": "see", "facets": [{"features": [{"uri": post(3).url}]}]},
            {"text": "  Release 4   is out  "},
        ],
        start=1,
    ):
        rkey = tid(micros, n + 100)
        record.update({"$type": "app.bsky.feed.post", "createdAt": "2026-03-02T09:00:00.000Z"})
        bsky.posts.append(BskyPost(rkey, record, "bafyx", clock(), uri=f"at://{bsky.did}/p/{rkey}"))
    for n in (2, 3):
        found = adapter.find_published(post(n), since=since)
        assert found is not None and found.remote_id == bsky.posts[n - 1].uri
    plain = post(4, text="Release 4 is out", url="")
    found = adapter.find_published(plain, since=since)
    assert found is not None and found.remote_id == bsky.posts[3].uri
    assert BlueskyAdapter.lookup_is_reliable


def test_find_published_pages_back_then_stops_at_since(
    adapter: BlueskyAdapter, bsky: FakeBluesky, server: FakeServer, clock: FakeClock
) -> None:
    start = clock()
    adapter.publish(post(1))
    for n in range(2, 230):  # the one we look for is on the third page of 100
        clock.advance(seconds=10)
        adapter.publish(post(n))
    found = adapter.find_published(post(1), since=start)
    assert found is not None and found.remote_id == bsky.posts[0].uri
    assert len(server.requests("GET", FakeBluesky.LIST_RECORDS)) == 3
    assert adapter.find_published(post(1), since=clock() - timedelta(seconds=30)) is None
    assert len(server.requests("GET", FakeBluesky.LIST_RECORDS)) == 4  # one page reached `since`


def test_engagement_in_batches_of_25_and_deleted_posts_left_out(
    adapter: BlueskyAdapter, bsky: FakeBluesky, server: FakeServer, clock: FakeClock
) -> None:
    ids = [adapter.publish(post(n)).remote_id for n in range(30)]
    bsky.posts[0].likes, bsky.posts[0].reposts = 7, 2
    bsky.posts[0].replies, bsky.posts[0].quotes = 1, 3
    gone = f"at://{bsky.did}/app.bsky.feed.post/3zzzzzzzzzzzz"
    readings = adapter.fetch_engagement([*ids, gone])
    assert [e.remote_id for e in readings] == ids
    first = readings[0]
    assert (first.likes, first.reposts, first.replies, first.quotes) == (7, 2, 1, 3)
    assert all(e.impressions is None and e.clicks is None for e in readings)
    assert all(e.fetched_at == clock() for e in readings)
    calls = server.requests("GET", FakeBluesky.GET_POSTS)
    assert [len(c.query["uris"]) for c in calls] == [25, 6]
    assert adapter.fetch_engagement([]) == []


def test_followers_and_verify(adapter: BlueskyAdapter, bsky: FakeBluesky) -> None:
    assert adapter.fetch_followers() == 4321
    bsky.followers = 5000
    assert adapter.fetch_followers() == 5000  # read fresh each time
    info = adapter.verify()
    assert (info.account, info.followers) == ("@xen.bsky.social", 5000)
    assert info.url == "https://bsky.app/profile/xen.bsky.social"


# -- through the publisher ---------------------------------------------------------------------


def test_a_slot_with_a_lost_answer_posts_exactly_once(
    engine: Engine,
    clock: FakeClock,
    tmp_path: Path,
    server: FakeServer,
    bsky: FakeBluesky,
    adapter: BlueskyAdapter,
) -> None:
    queue, item, channel, pub = slot_publisher(engine, clock, tmp_path, adapter, "bsky", "bluesky")
    server.fault("POST", FakeBluesky.CREATE_RECORD, Fault.accept_then_lose(HANG))
    result = pub.run_slot(channel, datetime(2026, 3, 2, 9, 30, tzinfo=UTC))
    assert (result.outcome, result.item_id) == (SlotOutcome.PUBLISHED, item)
    [created] = bsky.posts
    delivery = queue.get(item).delivery("bsky")
    assert delivery is not None and delivery.state == "published"
    assert delivery.remote_id == created.uri
    assert creates(server) == 1  # found by the lookup: never sent again


@pytest.mark.parametrize(
    ("status", "error"), [(400, "ExpiredToken"), (401, "ExpiredToken"), (401, "InvalidToken")]
)
def test_a_refused_token_is_refreshed_whatever_the_status(
    adapter: BlueskyAdapter, bsky: FakeBluesky, server: FakeServer, status: int, error: str
) -> None:
    adapter.verify()
    refused = Fault.respond(status, {"error": error, "message": "Token has expired"})
    server.fault("POST", FakeBluesky.CREATE_RECORD, refused)
    adapter.publish(post())
    assert len(bsky.posts) == 1
    assert len(server.requests("POST", FakeBluesky.REFRESH_SESSION)) == 1


def test_an_unreadable_success_is_transient_and_maybe_posted(
    adapter: BlueskyAdapter, server: FakeServer
) -> None:
    adapter.verify()
    cut = Fault.respond(200, b"<html>cut off", {"Content-Type": "text/html"})
    server.fault("POST", FakeBluesky.CREATE_RECORD, cut)
    with pytest.raises(TransientError) as caught:
        adapter.publish(post())
    assert caught.value.maybe_posted
