"""LinkedIn article cards: the page's Open Graph tags, and its image uploaded through the Images
API, against the fake LinkedIn over real HTTP. The card pages are served by the same fake
server, on 127.0.0.1, so the adapter is allowed private addresses unless a test says not.

The fake's records (`li.images`, `li.posts`, `server.log`) are the judge of what was uploaded
and posted.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from structlog.testing import capture_logs

from content_queue import ContentQueue, Ledger, NewItem, SlotOutcome
from tests.conftest import FakeClock
from tests.daemon.conftest import Sleeps, make_channel, make_settings
from tests.fakes.linkedin import FakeLinkedIn, error, rate_limited
from tests.fakes.server import FakeServer, Fault, Reply
from tests.network.adapters.conftest import HANG
from tests.network.adapters.linkedin_rig import creates, li, make, post
from xensocial.adapters.base import ChannelBlocked, Post, RateLimited, TransientError
from xensocial.adapters.linkedin import LinkedInAdapter
from xensocial.publishing import Publisher

__all__ = ["li"]  # a fixture, from the rig

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x11\x22" * 40
PAGE = """<!doctype html><html><head><title>Xen 4.20</title>
<meta property="og:title" content="Xen Project 4.20 released">
<meta property="og:description" content="What&#39;s new in 4.20">
{image}
</head><body>...</body></html>"""


def page(
    image: str | None = '<meta property="og:image" content="/og.png">',
) -> Callable[..., Reply]:
    body = PAGE.format(image=image or "").encode()
    return lambda request: Reply(200, body, {"Content-Type": "text/html; charset=utf-8"})


def card_adapter(
    server: FakeServer, li: FakeLinkedIn, clock: FakeClock, **options: str
) -> LinkedInAdapter:
    return make(server.url, li.token, clock, link_cards=True, private=True, **options)


@pytest.fixture
def site(server: FakeServer) -> str:
    """A page with all three tags and a PNG image, on the fake server; its URL."""
    server.route("GET", "/news/4.20", page())
    server.route("GET", "/og.png", lambda r: Reply(200, PNG, {"Content-Type": "image/png"}))
    return f"{server.url}/news/4.20"


def test_the_card_carries_the_pages_tags_and_the_uploaded_thumbnail(
    server: FakeServer, li: FakeLinkedIn, clock: FakeClock, site: str
) -> None:
    adapter = card_adapter(server, li, clock)
    adapter.publish(post(1, url=site, title="Xen 4.20 is out"))
    (init,) = server.requests("POST", FakeLinkedIn.IMAGES)
    assert init.arg("action") == "initializeUpload"
    assert init.json() == {"initializeUploadRequest": {"owner": "urn:li:organization:2414183"}}
    assert init.headers["linkedin-version"] == adapter.api_version
    (image,) = li.images.values()
    (put,) = server.requests("PUT")
    assert put.path == image.upload_path and put.body == PNG
    assert put.headers["authorization"] == f"Bearer {li.token}"
    assert image.data == PNG and image.content_type == "image/png"
    (sent,) = server.requests("POST", FakeLinkedIn.POSTS)
    assert sent.json()["content"] == {
        "article": {
            "source": site,
            "title": "Xen 4.20 is out",  # the item's title, as staff wrote it
            "description": "What's new in 4.20",
            "thumbnail": image.urn,
        }
    }
    (created,) = li.posts
    assert created.thumbnail == image.urn and created.description == "What's new in 4.20"
    order = [(r.method, r.path) for r in server.log]
    assert order.index(("PUT", image.upload_path)) < order.index(("POST", FakeLinkedIn.POSTS))


def test_an_item_without_a_title_takes_the_pages(
    server: FakeServer, li: FakeLinkedIn, clock: FakeClock, site: str
) -> None:
    untitled = Post(key="k", channel="li", item_id=1, text=f"Out now: {site}", url=site)
    card_adapter(server, li, clock).publish(untitled)
    assert li.posts[0].title == "Xen Project 4.20 released"


def test_a_page_without_an_image_posts_a_card_without_a_thumbnail_and_says_so(
    server: FakeServer, li: FakeLinkedIn, clock: FakeClock
) -> None:
    server.route("GET", "/plain", page(image=None))
    url = f"{server.url}/plain"
    with capture_logs() as logs:
        card_adapter(server, li, clock).publish(post(1, url=url))
    assert server.requests("POST", FakeLinkedIn.IMAGES) == []
    (sent,) = server.requests("POST", FakeLinkedIn.POSTS)
    assert sent.json()["content"]["article"] == {
        "source": url,
        "title": "Release 1",
        "description": "What's new in 4.20",
    }
    [said] = [e for e in logs if e["event"] == "linkedin_card_without_thumbnail"]
    assert said["url"] == url and "og:image" in said["reason"]


@pytest.mark.parametrize(
    ("reply", "why"),
    [
        (Reply(404, {"error": "gone"}), "og:image"),
        (Reply(200, b"<html>not a picture</html>", {"Content-Type": "text/html"}), "og:image"),
        (Reply(200, b"RIFF....WEBPVP8 ", {"Content-Type": "image/webp"}), "image/webp"),
    ],
    ids=["missing", "not-an-image", "webp"],
)
def test_an_image_that_cannot_be_had_or_used_leaves_the_thumbnail_out(
    server: FakeServer, li: FakeLinkedIn, clock: FakeClock, site: str, reply: Reply, why: str
) -> None:
    server.route("GET", "/og.png", lambda r: reply)
    with capture_logs() as logs:
        card_adapter(server, li, clock).publish(post(1, url=site))
    assert li.images == {}
    assert li.posts[0].thumbnail is None
    assert li.posts[0].description == "What's new in 4.20"
    [said] = [e for e in logs if e["event"] == "linkedin_card_without_thumbnail"]
    assert why in said["reason"]


def test_a_page_that_cannot_be_read_still_posts_with_the_items_words(
    server: FakeServer, li: FakeLinkedIn, clock: FakeClock
) -> None:
    server.route("GET", "/slow", page())
    server.fault("GET", "/slow", Fault.hang(HANG))
    card_adapter(server, li, clock).publish(post(1, url=f"{server.url}/slow"))
    card_adapter(server, li, clock).publish(post(2, url=f"{server.url}/nowhere"))
    assert [(p.title, p.description, p.thumbnail) for p in li.posts] == [
        ("Release 1", None, None),
        ("Release 2", None, None),
    ]


def test_a_card_page_on_a_private_address_is_not_read_unless_allowed(
    server: FakeServer, li: FakeLinkedIn, clock: FakeClock, site: str
) -> None:
    adapter = make(server.url, li.token, clock, link_cards=True, private=False)
    adapter.publish(post(1, url=site))
    assert "/news/4.20" not in [r.path for r in server.log]
    assert (li.posts[0].title, li.posts[0].thumbnail) == ("Release 1", None)


def test_an_upload_that_fails_posts_without_the_thumbnail(
    server: FakeServer, li: FakeLinkedIn, clock: FakeClock, site: str
) -> None:
    adapter = card_adapter(server, li, clock)
    server.fault("POST", FakeLinkedIn.IMAGES, Fault.respond(500, error(500, "ERR", "oops")))
    adapter.publish(post(1, url=site))
    server.fault("PUT", FakeLinkedIn.UPLOAD, Fault.respond(400, error(400, "BAD", "no")))
    adapter.publish(post(2, url=site, text="Again, other words"))
    assert [p.thumbnail for p in li.posts] == [None, None]
    (registered,) = li.images.values()  # the second was registered, its bytes refused
    assert registered.data is None


def test_an_upload_url_on_another_host_is_never_sent_the_token(
    server: FakeServer, li: FakeLinkedIn, clock: FakeClock, site: str
) -> None:
    with FakeServer() as elsewhere:
        elsewhere.route("PUT", "/upload", lambda r: Reply(201, None))
        answer = {"value": {"uploadUrl": f"{elsewhere.url}/upload", "image": "urn:li:image:X1"}}
        server.fault("POST", FakeLinkedIn.IMAGES, Fault.respond(200, answer))
        card_adapter(server, li, clock).publish(post(1, url=site))
        assert elsewhere.log == []
    assert li.posts[0].thumbnail is None


def test_a_retired_version_on_the_upload_pauses_before_anything_is_posted(
    server: FakeServer, li: FakeLinkedIn, clock: FakeClock, site: str
) -> None:
    li.retired_versions = {"202510"}
    adapter = card_adapter(server, li, clock, api_version="202510")
    with pytest.raises(ChannelBlocked, match="api_version 202510"):
        adapter.publish(post(1, url=site))
    assert creates(server) == 0 and li.posts == []


# -- never twice ---------------------------------------------------------------------------------


def test_a_retry_uploads_the_image_again_and_posts_once(
    server: FakeServer, li: FakeLinkedIn, clock: FakeClock, site: str
) -> None:
    """The post was refused before it was made (a 429): trying again uploads the image again,
    harmlessly, and the one post carries the image of the try that made it."""
    adapter = card_adapter(server, li, clock)
    server.fault("POST", FakeLinkedIn.POSTS, rate_limited())
    with pytest.raises(RateLimited) as caught:
        adapter.publish(post(1, url=site))
    assert not caught.value.maybe_posted
    adapter.publish(post(1, url=site))
    first, second = li.images.values()
    assert first.data == second.data == PNG
    (created,) = li.posts
    assert created.thumbnail == second.urn
    assert creates(server) == 2  # the refused one and the one that made the post


def test_a_lost_answer_to_the_upload_registration_still_posts_once(
    server: FakeServer, li: FakeLinkedIn, clock: FakeClock, site: str
) -> None:
    adapter = card_adapter(server, li, clock)
    server.fault("POST", FakeLinkedIn.IMAGES, Fault.accept_then_lose(0))
    adapter.publish(post(1, url=site))
    (orphan,) = li.images.values()  # registered at LinkedIn, its answer lost: never used
    assert orphan.data is None
    assert [p.thumbnail for p in li.posts] == [None]


def test_an_upload_error_is_never_maybe_posted(
    server: FakeServer, li: FakeLinkedIn, clock: FakeClock, site: str
) -> None:
    from xensocial.adapters.linkedin.cards import upload_image

    adapter = card_adapter(server, li, clock)
    server.fault("POST", FakeLinkedIn.IMAGES, Fault.hang(HANG))
    with pytest.raises(TransientError) as caught:
        upload_image(adapter.api, adapter.author, PNG, "image/png")
    assert not caught.value.maybe_posted


def test_a_slot_whose_post_answer_is_lost_posts_once_with_its_thumbnail(
    engine: Engine,
    clock: FakeClock,
    tmp_path: Path,
    server: FakeServer,
    li: FakeLinkedIn,
    site: str,
) -> None:
    """Through the publisher: the post is made but its answer lost; the lookup finds it by its
    article source, so it is neither posted nor its image uploaded a second time."""
    queue = ContentQueue(engine, clock)
    item = queue.add(NewItem(url=site, title="Xen 4.20 is out", channels=("li",))).id
    channel = make_channel("li", network="linkedin")
    pub = Publisher(
        Ledger(engine, clock),
        {"li": card_adapter(server, li, clock)},
        make_settings(tmp_path, [channel]),
        identity="host-a",
        clock=clock,
        sleep=Sleeps(),
    )
    server.fault("POST", FakeLinkedIn.POSTS, Fault.accept_then_lose(HANG))
    result = pub.run_slot(channel, datetime(2026, 3, 2, 9, 30, tzinfo=UTC))
    assert (result.outcome, result.item_id) == (SlotOutcome.PUBLISHED, item)
    (created,) = li.posts
    (image,) = li.images.values()
    assert created.thumbnail == image.urn and image.data == PNG
    delivery = queue.get(item).delivery("li")
    assert delivery is not None and delivery.remote_id == created.id
    assert creates(server) == 1
