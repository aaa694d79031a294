"""Images on X through the real tweepy (its session and OAuth 1.0a, which the fake verifies),
over real HTTP, against the fake X API: each image uploaded once (`POST /2/media/upload`), its
alt text set (`POST /2/media/metadata`), then the post with `media.media_ids`, exactly once
through lost answers, stops and 413s. The fake's own record is the judge.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from content_queue import SlotOutcome
from tests.conftest import FakeClock
from tests.fakes.server import FakeServer, Fault
from tests.fakes.x import CREDENTIALS, FakeX, rate_limited
from tests.fakes.x_media import LIFETIME
from tests.network.adapters.media_rig import (
    ALTS,
    image_bytes,
    media_publisher,
    publisher_for,
    refused_first_image,
    stored_image,
)
from xensocial.adapters.base import ChannelContext
from xensocial.adapters.x import XAdapter

SLOT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
UPLOAD, METADATA = "/2/media/upload", "/2/media/metadata"


@pytest.fixture
def fake_x(server: FakeServer, clock: FakeClock) -> FakeX:
    return FakeX(server, clock=clock)


@pytest.fixture
def adapter(
    server: FakeServer, clock: FakeClock, fake_x: FakeX, tmp_path: Path
) -> Iterator[XAdapter]:
    a = XAdapter(
        ChannelContext(
            "x-main",
            options={"api_base_url": server.url},
            secrets=CREDENTIALS,
            data_dir=tmp_path,
            timeout_seconds=0.5,
            clock=clock,
        )
    )
    yield a
    a.close()


def uploads(server: FakeServer) -> int:
    return len(server.requests("POST", UPLOAD))


def test_two_images_are_uploaded_with_their_alt_text_and_the_post_names_them(
    engine: Engine,
    clock: FakeClock,
    tmp_path: Path,
    adapter: XAdapter,
    fake_x: FakeX,
    server: FakeServer,
) -> None:
    queue, item, images, channel, pub = media_publisher(
        engine, clock, tmp_path, adapter, "x-main", "x"
    )
    assert pub.run_slot(channel, SLOT).outcome is SlotOutcome.PUBLISHED
    made = list(fake_x.uploads.values())
    assert [u.data for u in made] == [image_bytes(tmp_path, i) for i in images]
    assert [(u.mime, u.category, u.alt) for u in made] == [
        ("image/png", "tweet_image", ALTS[0]),
        ("image/png", "tweet_image", ALTS[1]),
    ]
    [post] = fake_x.posts.values()
    assert post.media_ids == tuple(u.id for u in made)
    assert len(server.requests("POST", METADATA)) == 2
    delivery = queue.get(item).delivery("x-main")
    assert delivery is not None and delivery.remote_id == post.id


def test_a_decorative_image_gets_no_alt_text_call(
    engine: Engine,
    clock: FakeClock,
    tmp_path: Path,
    adapter: XAdapter,
    fake_x: FakeX,
    server: FakeServer,
) -> None:
    plain = stored_image(tmp_path, "white", "", (10, 10))
    _, _, _, channel, pub = media_publisher(
        engine, clock, tmp_path, adapter, "x-main", "x", images=[plain]
    )
    assert pub.run_slot(channel, SLOT).outcome is SlotOutcome.PUBLISHED
    assert server.requests("POST", METADATA) == []
    [post] = fake_x.posts.values()
    assert len(post.media_ids) == 1


def test_a_post_refused_for_now_reuses_the_uploads_until_x_lets_them_expire(
    engine: Engine,
    clock: FakeClock,
    tmp_path: Path,
    adapter: XAdapter,
    fake_x: FakeX,
    server: FakeServer,
) -> None:
    _, _, _, channel, pub = media_publisher(engine, clock, tmp_path, adapter, "x-main", "x")
    server.fault("POST", "/2/tweets", rate_limited(clock() + timedelta(hours=1)))
    assert pub.run_slot(channel, SLOT).outcome is SlotOutcome.FAILED
    assert (uploads(server), fake_x.posts) == (2, {})
    server.fault("POST", "/2/tweets", rate_limited(clock() + timedelta(hours=1)))
    assert pub.run_slot(channel, SLOT + timedelta(hours=2)).outcome is SlotOutcome.FAILED
    assert uploads(server) == 2  # the recorded ids, not new uploads

    clock.advance(LIFETIME)  # past X's media lifetime: an old id would be refused
    again = publisher_for(engine, clock, tmp_path, adapter, channel)
    assert again.run_slot(channel, SLOT + timedelta(days=1)).outcome is SlotOutcome.PUBLISHED
    assert uploads(server) == 4
    [post] = fake_x.posts.values()
    assert len(post.media_ids) == 2


def test_a_lost_answer_to_the_post_posts_once_with_its_images(
    engine: Engine,
    clock: FakeClock,
    tmp_path: Path,
    adapter: XAdapter,
    fake_x: FakeX,
    server: FakeServer,
) -> None:
    queue, item, _, channel, pub = media_publisher(engine, clock, tmp_path, adapter, "x-main", "x")
    server.fault("POST", "/2/tweets", Fault.accept_then_lose())
    pub.run_slot(channel, SLOT)
    [post] = fake_x.posts.values()  # never a second post, never one without its images
    assert len(post.media_ids) == 2
    assert uploads(server) == 2


def test_an_image_refused_as_too_large_fails_the_delivery_with_the_reason(
    engine: Engine,
    clock: FakeClock,
    tmp_path: Path,
    adapter: XAdapter,
    fake_x: FakeX,
    server: FakeServer,
) -> None:
    fake_x.upload_limit = 100
    queue, item, _, channel, pub = media_publisher(engine, clock, tmp_path, adapter, "x-main", "x")
    assert pub.run_slot(channel, SLOT).outcome is SlotOutcome.FAILED
    assert "413" in refused_first_image(queue, item, "x-main")
    assert fake_x.posts == {} and uploads(server) == 1
