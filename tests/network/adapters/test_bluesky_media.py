"""Images on Bluesky through the real atproto SDK, over real HTTP, against the fake PDS: each
image uploaded once as a blob, then the post embedding them (`app.bsky.embed.images`, with
`alt` and `aspectRatio`), exactly once through lost answers, stops and 413s.

The fake's own record (`bsky.blobs`, `bsky.posts`, the server's log) is the judge; every slot
runs through the real `Publisher`.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy.engine import Engine

from content_queue import SlotOutcome
from content_queue.views import ItemImage
from tests.conftest import FakeClock
from tests.fakes.bluesky import FakeBluesky, rate_limited
from tests.fakes.server import FakeServer, Fault
from tests.network.adapters.media_rig import (
    ALTS,
    image_bytes,
    media_publisher,
    publisher_for,
    refused_first_image,
)
from tests.network.adapters.test_bluesky import make
from xensocial.adapters.bluesky import BLOB_REUSE, BlueskyAdapter
from xensocial.media.store import MediaStore

SLOT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@pytest.fixture
def bsky(server: FakeServer, clock: FakeClock) -> FakeBluesky:
    return FakeBluesky(server, clock=clock)


@pytest.fixture
def adapter(
    server: FakeServer, bsky: FakeBluesky, clock: FakeClock, tmp_path: Path
) -> Iterator[BlueskyAdapter]:
    a = make(server.url, bsky, clock, tmp_path)
    yield a
    a.close()


def uploads(server: FakeServer) -> int:
    return len(server.requests("POST", FakeBluesky.UPLOAD_BLOB))


def embedded(bsky: FakeBluesky) -> list[dict[str, object]]:
    [post] = bsky.posts
    embed = post.record["embed"]
    assert embed["$type"] == "app.bsky.embed.images"
    images: list[dict[str, object]] = embed["images"]
    return images


def ratio(image: dict[str, object]) -> tuple[object, object]:
    aspect = image["aspectRatio"]
    assert isinstance(aspect, dict)
    return aspect["width"], aspect["height"]


def test_two_images_are_embedded_with_alt_and_aspect_ratio_and_the_link_stays_a_facet(
    engine: Engine,
    clock: FakeClock,
    tmp_path: Path,
    adapter: BlueskyAdapter,
    bsky: FakeBluesky,
    server: FakeServer,
) -> None:
    queue, item, images, channel, pub = media_publisher(
        engine, clock, tmp_path, adapter, "bsky", "bluesky"
    )
    assert pub.run_slot(channel, SLOT).outcome is SlotOutcome.PUBLISHED
    sent = server.requests("POST", FakeBluesky.UPLOAD_BLOB)
    assert [r.body for r in sent] == [image_bytes(tmp_path, i) for i in images]
    assert [r.headers["content-type"] for r in sent] == ["image/png", "image/png"]
    shown = embedded(bsky)
    assert [i["alt"] for i in shown] == list(ALTS)
    assert [ratio(i) for i in shown] == [(120, 60), (80, 80)]
    [post] = bsky.posts
    links = [f["uri"] for x in post.record["facets"] for f in x["features"] if "uri" in f]
    assert links == ["https://xenproject.org/blog/4.20"]  # no card: the link is its facet
    delivery = queue.get(item).delivery("bsky")
    assert delivery is not None and delivery.remote_id == post.uri


def test_a_failed_create_after_the_uploads_reuses_the_blobs_after_a_stop_until_they_expire(
    engine: Engine,
    clock: FakeClock,
    tmp_path: Path,
    adapter: BlueskyAdapter,
    bsky: FakeBluesky,
    server: FakeServer,
) -> None:
    """A create refused for now (a rate limit lifting in an hour) after both uploads: the
    delivery goes back to the queue with its uploads recorded, and the next slot reuses them
    while the PDS keeps unreferenced blobs, and uploads them again after."""
    _, _, _, channel, pub = media_publisher(engine, clock, tmp_path, adapter, "bsky", "bluesky")
    busy = rate_limited(clock() + timedelta(hours=1))
    server.fault("POST", FakeBluesky.CREATE_RECORD, busy)
    assert pub.run_slot(channel, SLOT).outcome is SlotOutcome.FAILED
    assert (uploads(server), bsky.posts) == (2, [])
    server.fault("POST", FakeBluesky.CREATE_RECORD, busy)
    assert pub.run_slot(channel, SLOT + timedelta(minutes=1)).outcome is SlotOutcome.FAILED
    assert uploads(server) == 2  # reused within the PDS's window

    clock.advance(BLOB_REUSE + timedelta(minutes=1))
    again = publisher_for(engine, clock, tmp_path, adapter, channel)
    assert again.run_slot(channel, SLOT + timedelta(hours=1)).outcome is SlotOutcome.PUBLISHED
    assert uploads(server) == 4  # the PDS may have collected them: uploaded again
    assert len(embedded(bsky)) == 2


def test_a_lost_answer_to_the_create_posts_once_with_its_images(
    engine: Engine,
    clock: FakeClock,
    tmp_path: Path,
    adapter: BlueskyAdapter,
    bsky: FakeBluesky,
    server: FakeServer,
) -> None:
    _, _, _, channel, pub = media_publisher(engine, clock, tmp_path, adapter, "bsky", "bluesky")
    server.fault("POST", FakeBluesky.CREATE_RECORD, Fault.accept_then_lose())
    assert pub.run_slot(channel, SLOT).outcome is SlotOutcome.PUBLISHED
    assert len(embedded(bsky)) == 2  # one post, with both images
    assert uploads(server) == 2


def test_an_upload_refused_as_too_large_fails_the_delivery(
    engine: Engine,
    clock: FakeClock,
    tmp_path: Path,
    adapter: BlueskyAdapter,
    bsky: FakeBluesky,
    server: FakeServer,
) -> None:
    bsky.upload_limit = 100
    queue, item, _, channel, pub = media_publisher(
        engine, clock, tmp_path, adapter, "bsky", "bluesky"
    )
    assert pub.run_slot(channel, SLOT).outcome is SlotOutcome.FAILED
    assert "PayloadTooLarge" in refused_first_image(queue, item, "bsky")
    assert bsky.posts == []


def test_an_image_above_the_lexicon_limit_is_reencoded_down_not_refused(
    engine: Engine,
    clock: FakeClock,
    tmp_path: Path,
    adapter: BlueskyAdapter,
    bsky: FakeBluesky,
    server: FakeServer,
) -> None:
    noise = Image.frombytes("RGB", (700, 700), os.urandom(700 * 700 * 3))
    path = tmp_path / "noise.png"
    noise.save(path, "PNG")
    data = path.read_bytes()
    assert len(data) > 1_000_000
    sha = hashlib.sha256(data).hexdigest()
    MediaStore(tmp_path).put(data, sha, "image/png")
    big = ItemImage(sha, "image/png", 700, 700, len(data), "Static, for a test")
    _, _, _, channel, pub = media_publisher(
        engine, clock, tmp_path, adapter, "bsky", "bluesky", images=[big]
    )
    assert pub.run_slot(channel, SLOT).outcome is SlotOutcome.PUBLISHED
    [sent] = server.requests("POST", FakeBluesky.UPLOAD_BLOB)
    assert len(sent.body) <= 1_000_000 and sent.headers["content-type"] == "image/jpeg"
    [shown] = embedded(bsky)
    assert ratio(shown) == (700, 700)
