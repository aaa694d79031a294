"""Images on a Facebook Page through the real facebook-sdk, over real HTTP, against the fake
Graph: each image uploaded once as an unpublished photo (`published=false`, its alt text as
`alt_text_custom`), then the Page post naming them (`attached_media`), exactly once through
lost answers, stops and 413s. The fake's own record is the judge.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from content_queue import SlotOutcome
from tests.conftest import FakeClock
from tests.daemon.conftest import Sleeps
from tests.fakes.facebook import FakeFacebook, graph_error
from tests.fakes.server import FakeServer, Fault, Request
from tests.network.adapters.media_rig import (
    ALTS,
    image_bytes,
    media_publisher,
    publisher_for,
    refused_first_image,
)
from xensocial.adapters._facebook_media import PHOTO_REUSE
from xensocial.adapters.base import ChannelContext
from xensocial.adapters.facebook import FacebookPageAdapter

SLOT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
LINK = "https://xenproject.org/blog/4.20"


@pytest.fixture
def fb(server: FakeServer, clock: FakeClock) -> FakeFacebook:
    return FakeFacebook(server, clock=clock)


@pytest.fixture
def adapter(
    server: FakeServer, fb: FakeFacebook, clock: FakeClock, tmp_path: Path
) -> Iterator[FacebookPageAdapter]:
    a = FacebookPageAdapter(
        ChannelContext(
            name="fb",
            options={"page_id": fb.page_id, "api_base_url": server.url},
            secrets={"access_token": fb.token},
            data_dir=tmp_path,
            # No test here waits for a read timeout (a lost answer closes the connection),
            # so a loaded machine's slow upload must not become one: 0.5 s did once in CI.
            timeout_seconds=10.0,
            clock=clock,
        )
    )
    yield a
    a.close()


def sent(server: FakeServer, edge: str) -> list[Request]:
    return [r for r in server.requests("POST") if r.path.endswith(f"/{edge}")]


def uploads(server: FakeServer) -> int:
    return len(sent(server, "photos"))


def test_two_photos_are_uploaded_unpublished_with_alt_text_and_the_post_attaches_them(
    engine: Engine,
    clock: FakeClock,
    tmp_path: Path,
    adapter: FacebookPageAdapter,
    fb: FakeFacebook,
    server: FakeServer,
) -> None:
    queue, item, images, channel, pub = media_publisher(
        engine, clock, tmp_path, adapter, "fb", "facebook"
    )
    assert pub.run_slot(channel, SLOT).outcome is SlotOutcome.PUBLISHED
    photos = list(fb.photos.values())
    assert [p.data for p in photos] == [image_bytes(tmp_path, i) for i in images]
    assert [(p.alt, p.mime) for p in photos] == [(ALTS[0], "image/png"), (ALTS[1], "image/png")]
    [post] = fb.posts
    assert post.photos == tuple(p.id for p in photos)
    assert all(p.published for p in photos)  # published by the post, not before
    assert post.link is None and LINK in post.message  # the link stays, in the message
    delivery = queue.get(item).delivery("fb")
    assert delivery is not None and delivery.remote_id == post.id
    [feed] = sent(server, "feed")
    assert json.loads(feed.form["attached_media[0]"]) == {"media_fbid": photos[0].id}


def test_a_post_refused_for_now_reuses_the_photos_after_a_stop(
    engine: Engine,
    clock: FakeClock,
    tmp_path: Path,
    adapter: FacebookPageAdapter,
    fb: FakeFacebook,
    server: FakeServer,
) -> None:
    """A Page limit on the post after both uploads, and the process stops while it waits: the
    next process posts with the recorded photos, uploading none again."""
    _, _, _, channel, pub = media_publisher(
        engine, clock, tmp_path, adapter, "fb", "facebook", sleep=Sleeps(stop_at=1)
    )
    limit = Fault.respond(400, graph_error(32, "(#32) Page request limit reached"))
    server.fault("POST", FakeFacebook.FEED, limit)
    assert pub.run_slot(channel, SLOT).outcome is SlotOutcome.FAILED
    assert (uploads(server), fb.posts) == (2, [])
    at = clock.advance(PHOTO_REUSE - timedelta(hours=1))
    again = publisher_for(engine, clock, tmp_path, adapter, channel)
    assert again.run_slot(channel, at).outcome is SlotOutcome.PUBLISHED
    assert uploads(server) == 2
    [post] = fb.posts
    assert len(post.photos) == 2


def test_a_lost_answer_to_the_post_is_found_never_posted_twice(
    engine: Engine,
    clock: FakeClock,
    tmp_path: Path,
    adapter: FacebookPageAdapter,
    fb: FakeFacebook,
    server: FakeServer,
) -> None:
    queue, item, _, channel, pub = media_publisher(
        engine, clock, tmp_path, adapter, "fb", "facebook"
    )
    server.fault("POST", FakeFacebook.FEED, Fault.accept_then_lose())
    assert pub.run_slot(channel, SLOT).outcome is SlotOutcome.PUBLISHED
    [post] = fb.posts
    assert len(post.photos) == 2 and uploads(server) == 2


def test_a_photo_refused_as_too_large_fails_the_delivery(
    engine: Engine,
    clock: FakeClock,
    tmp_path: Path,
    adapter: FacebookPageAdapter,
    fb: FakeFacebook,
    server: FakeServer,
) -> None:
    fb.upload_limit = 100
    queue, item, _, channel, pub = media_publisher(
        engine, clock, tmp_path, adapter, "fb", "facebook"
    )
    assert pub.run_slot(channel, SLOT).outcome is SlotOutcome.FAILED
    assert "413" in refused_first_image(queue, item, "fb")
    assert fb.posts == []
