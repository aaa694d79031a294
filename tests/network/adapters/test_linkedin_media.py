"""Images on LinkedIn through the adapter's own REST client (httpx), over real HTTP, against
the fake REST API: each image registered and PUT through the Images API once (the same code as
the card's thumbnail), then the post naming them (`content.multiImage`, or `content.media` for
one) with their `altText`, exactly once through lost answers, stops and 413s.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from content_queue import SlotOutcome
from tests.conftest import FakeClock
from tests.daemon.conftest import Sleeps
from tests.fakes.linkedin import FakeLinkedIn
from tests.fakes.linkedin_images import FakeLinkedInImages
from tests.fakes.server import FakeServer, Fault
from tests.network.adapters.linkedin_rig import li, make
from tests.network.adapters.media_rig import (
    ALTS,
    image_bytes,
    media_publisher,
    publisher_for,
    refused_first_image,
    stored_image,
)
from xensocial.adapters.linkedin import LinkedInAdapter
from xensocial.adapters.linkedin.adapter import IMAGE_REUSE

__all__ = ["li"]  # the fixture, used by the tests below

SLOT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
LINK = "https://xenproject.org/blog/4.20"


@pytest.fixture
def adapter(
    server: FakeServer, li: FakeLinkedIn, clock: FakeClock, tmp_path: Path
) -> Iterator[LinkedInAdapter]:
    a = make(server.url, li.token, clock, data_dir=tmp_path)
    yield a
    a.close()


def registered(server: FakeServer) -> int:
    return len(server.requests("POST", FakeLinkedInImages.IMAGES))


def test_two_images_are_uploaded_and_posted_as_multi_image_with_alt_text(
    engine: Engine,
    clock: FakeClock,
    tmp_path: Path,
    adapter: LinkedInAdapter,
    li: FakeLinkedIn,
    server: FakeServer,
) -> None:
    queue, item, images, channel, pub = media_publisher(
        engine, clock, tmp_path, adapter, "li", "linkedin"
    )
    assert pub.run_slot(channel, SLOT).outcome is SlotOutcome.PUBLISHED
    [post] = li.posts
    assert [alt for _, alt in post.media] == list(ALTS)
    assert [li.images[urn].data for urn, _ in post.media] == [
        image_bytes(tmp_path, i) for i in images
    ]
    assert [li.images[urn].content_type for urn, _ in post.media] == ["image/png"] * 2
    assert post.source is None and LINK in post.text  # no card: the link is in the text
    delivery = queue.get(item).delivery("li")
    assert delivery is not None and delivery.remote_id == post.id
    assert registered(server) == 2


def test_one_image_is_posted_as_media(
    engine: Engine,
    clock: FakeClock,
    tmp_path: Path,
    adapter: LinkedInAdapter,
    li: FakeLinkedIn,
    server: FakeServer,
) -> None:
    one = [stored_image(tmp_path, "teal", ALTS[0], (90, 30))]
    _, _, _, channel, pub = media_publisher(
        engine, clock, tmp_path, adapter, "li", "linkedin", images=one
    )
    assert pub.run_slot(channel, SLOT).outcome is SlotOutcome.PUBLISHED
    [sent] = server.requests("POST", FakeLinkedIn.POSTS)
    media = sent.json()["content"]["media"]
    assert media["altText"] == ALTS[0] and media["id"].startswith("urn:li:image:")


def test_a_failed_post_after_the_uploads_reuses_them_after_a_stop(
    engine: Engine,
    clock: FakeClock,
    tmp_path: Path,
    adapter: LinkedInAdapter,
    li: FakeLinkedIn,
    server: FakeServer,
) -> None:
    _, _, _, channel, pub = media_publisher(
        engine, clock, tmp_path, adapter, "li", "linkedin", sleep=Sleeps(stop_at=1)
    )
    server.fault("POST", FakeLinkedIn.POSTS, Fault.respond(429, {"status": 429}))
    assert pub.run_slot(channel, SLOT).outcome is SlotOutcome.FAILED
    assert (registered(server), li.posts) == (2, [])
    at = clock.advance(IMAGE_REUSE / 2)
    again = publisher_for(engine, clock, tmp_path, adapter, channel)
    assert again.run_slot(channel, at).outcome is SlotOutcome.PUBLISHED
    assert registered(server) == 2
    [post] = li.posts
    assert len(post.media) == 2


def test_a_lost_answer_to_the_post_is_found_never_posted_twice(
    engine: Engine,
    clock: FakeClock,
    tmp_path: Path,
    adapter: LinkedInAdapter,
    li: FakeLinkedIn,
    server: FakeServer,
) -> None:
    _, _, _, channel, pub = media_publisher(engine, clock, tmp_path, adapter, "li", "linkedin")
    server.fault("POST", FakeLinkedIn.POSTS, Fault.accept_then_lose())
    assert pub.run_slot(channel, SLOT).outcome is SlotOutcome.PUBLISHED
    [post] = li.posts
    assert len(post.media) == 2 and registered(server) == 2


def test_an_image_refused_as_too_large_fails_the_delivery(
    engine: Engine,
    clock: FakeClock,
    tmp_path: Path,
    adapter: LinkedInAdapter,
    li: FakeLinkedIn,
    server: FakeServer,
) -> None:
    li.image_api.upload_limit = 100
    queue, item, _, channel, pub = media_publisher(
        engine, clock, tmp_path, adapter, "li", "linkedin"
    )
    assert pub.run_slot(channel, SLOT).outcome is SlotOutcome.FAILED
    assert "413" in refused_first_image(queue, item, "li")
    assert li.posts == []
