"""Images on Mastodon through the real Mastodon.py, over real HTTP, against the fake instance:
each image uploaded once (`POST /api/v2/media` with its alt text as `description`), recorded,
then the status referencing them, exactly once through lost answers, stops and 413s.

The fake's own record (`masto.media`, `masto.statuses`) is the judge of what was uploaded and
posted; a slot runs through the real `Publisher`, so the media step is what is tested.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from content_queue import Ledger, SlotOutcome
from tests.conftest import FakeClock
from tests.daemon.conftest import Sleeps
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.server import FakeServer, Fault
from tests.network.adapters.conftest import HANG, TIMEOUT
from tests.network.adapters.media_rig import (
    ALTS,
    image_bytes,
    media_publisher,
    publisher_for,
    refused_first_image,
    stored_image,
)
from xensocial.adapters.base import ChannelContext, Post, PublishResult
from xensocial.adapters.mastodon import MEDIA_REUSE, MastodonAdapter

SLOT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
LATER = datetime(2026, 3, 2, 13, 30, tzinfo=UTC)


@pytest.fixture
def masto(server: FakeServer, clock: FakeClock) -> FakeMastodon:
    return FakeMastodon(server, clock=clock)


def make(
    server: FakeServer, masto: FakeMastodon, clock: FakeClock, data_dir: Path
) -> MastodonAdapter:
    return MastodonAdapter(
        ChannelContext(
            name="masto",
            options={"api_base_url": server.url},
            secrets={"access_token": masto.token},
            data_dir=data_dir,
            timeout_seconds=TIMEOUT,
            clock=clock,
        )
    )


@pytest.fixture
def adapter(
    server: FakeServer, masto: FakeMastodon, clock: FakeClock, tmp_path: Path
) -> Iterator[MastodonAdapter]:
    a = make(server, masto, clock, tmp_path)
    yield a
    a.close()


def uploads(server: FakeServer) -> int:
    return len(server.requests("POST", FakeMastodon.MEDIA))


def statuses(server: FakeServer) -> int:
    return len(server.requests("POST", FakeMastodon.STATUSES))


def test_two_images_are_uploaded_with_their_alt_text_and_the_status_references_them(
    engine: Engine,
    clock: FakeClock,
    tmp_path: Path,
    adapter: MastodonAdapter,
    masto: FakeMastodon,
    server: FakeServer,
) -> None:
    queue, item, images, channel, pub = media_publisher(
        engine, clock, tmp_path, adapter, "masto", "mastodon"
    )
    assert pub.run_slot(channel, SLOT).outcome is SlotOutcome.PUBLISHED
    first, second = masto.media
    assert [(m.description, m.mime) for m in masto.media] == [
        (ALTS[0], "image/png"),
        (ALTS[1], "image/png"),
    ]
    assert [first.data, second.data] == [image_bytes(tmp_path, i) for i in images]
    [status] = masto.statuses
    assert status.media_ids == (first.id, second.id)
    delivery = queue.get(item).delivery("masto")
    assert delivery is not None and delivery.state == "published"
    assert delivery.remote_id == status.id
    assert (uploads(server), statuses(server)) == (2, 1)
    # the status as the instance shows it carries both images with their descriptions
    shown = server.requests("POST", FakeMastodon.STATUSES)[0]
    assert shown.body.decode().count("media_ids") == 2
    recorded = Ledger(engine, clock).uploads(delivery.id)
    assert [recorded[p].remote_media_id for p in (0, 1)] == [first.id, second.id]
    assert recorded[0].expires_at == clock() + MEDIA_REUSE


def test_a_thread_with_two_images_carries_them_on_its_post_and_uploads_each_once(
    engine: Engine,
    clock: FakeClock,
    tmp_path: Path,
    adapter: MastodonAdapter,
    masto: FakeMastodon,
    server: FakeServer,
) -> None:
    """Images and a reply together: the uploads come before the post (part 0), which alone
    references them; the reply answers the post, uploads nothing and carries no image."""
    reply = "Two: what changed in 4.20."
    queue, item, _, channel, pub = media_publisher(
        engine, clock, tmp_path, adapter, "masto", "mastodon", replies=(reply,)
    )
    assert pub.run_slot(channel, SLOT).outcome is SlotOutcome.PUBLISHED
    first, second = masto.media
    post, answer = masto.statuses
    assert post.media_ids == (first.id, second.id)
    assert (first.status_id, second.status_id) == (post.id, post.id)
    assert (answer.text, answer.in_reply_to_id, answer.media_ids) == (reply, post.id, ())
    assert (uploads(server), statuses(server)) == (2, 2)  # one upload per image, two parts
    # every upload was made before the post, none after it
    calls = [r.path for r in server.requests() if r.method == "POST"]
    assert calls.index(FakeMastodon.STATUSES) > max(
        i for i, path in enumerate(calls) if path == FakeMastodon.MEDIA
    )
    delivery = queue.get(item).delivery("masto")
    assert delivery is not None and delivery.state == "published"
    assert delivery.remote_id == post.id
    parts = queue.item_thread(item).parts_on(delivery.id)
    assert [(p.state, p.remote_id) for p in parts] == [
        ("published", post.id),
        ("published", answer.id),
    ]
    assert sorted(Ledger(engine, clock).uploads(delivery.id)) == [0, 1]


def test_a_failed_status_after_the_uploads_reuses_them_after_a_stop(
    engine: Engine,
    clock: FakeClock,
    tmp_path: Path,
    adapter: MastodonAdapter,
    masto: FakeMastodon,
    server: FakeServer,
) -> None:
    """The uploads land, the status call fails and the process stops (a restart): the next
    slot, in a new publisher with a new adapter, posts with the recorded ids, uploading
    nothing again."""
    queue, item, _, channel, pub = media_publisher(
        engine, clock, tmp_path, adapter, "masto", "mastodon", sleep=Sleeps(stop_at=1)
    )
    server.fault("POST", FakeMastodon.STATUSES, Fault.respond(503, {"error": "busy"}))
    assert pub.run_slot(channel, SLOT).outcome is SlotOutcome.FAILED
    assert (uploads(server), len(masto.statuses)) == (2, 0)

    clock.set(LATER)
    again = make(server, masto, clock, tmp_path)
    later = publisher_for(engine, clock, tmp_path, again, channel)
    assert later.run_slot(channel, LATER).outcome is SlotOutcome.PUBLISHED
    [status] = masto.statuses
    assert uploads(server) == 2  # one upload per image, ever
    assert status.media_ids == tuple(m.id for m in masto.media)
    again.close()


def test_an_upload_older_than_the_instance_keeps_it_is_made_again(
    engine: Engine,
    clock: FakeClock,
    tmp_path: Path,
    adapter: MastodonAdapter,
    masto: FakeMastodon,
    server: FakeServer,
) -> None:
    _, _, _, channel, pub = media_publisher(
        engine, clock, tmp_path, adapter, "masto", "mastodon", sleep=Sleeps(stop_at=1)
    )
    server.fault("POST", FakeMastodon.STATUSES, Fault.respond(503, {"error": "busy"}))
    pub.run_slot(channel, SLOT)
    stale = {m.id for m in masto.media}
    at = clock.advance(MEDIA_REUSE + timedelta(hours=1))
    later = publisher_for(engine, clock, tmp_path, adapter, channel)
    assert later.run_slot(channel, at).outcome is SlotOutcome.PUBLISHED
    [status] = masto.statuses
    assert uploads(server) == 4
    assert not stale & set(status.media_ids)  # never a media id the instance may have deleted


def test_a_lost_answer_to_the_status_posts_once_with_its_images(
    engine: Engine,
    clock: FakeClock,
    tmp_path: Path,
    adapter: MastodonAdapter,
    masto: FakeMastodon,
    server: FakeServer,
) -> None:
    queue, item, _, channel, pub = media_publisher(
        engine, clock, tmp_path, adapter, "masto", "mastodon"
    )
    server.fault("POST", FakeMastodon.STATUSES, Fault.accept_then_lose(HANG))
    assert pub.run_slot(channel, SLOT).outcome is SlotOutcome.PUBLISHED
    [status] = masto.statuses  # no duplicate, and not one without its images
    assert len(status.media_ids) == 2
    assert uploads(server) == 2
    delivery = queue.get(item).delivery("masto")
    assert delivery is not None and delivery.remote_id == status.id


def test_a_lost_answer_to_an_upload_leaves_one_copy_in_the_post(
    engine: Engine,
    clock: FakeClock,
    tmp_path: Path,
    adapter: MastodonAdapter,
    masto: FakeMastodon,
    server: FakeServer,
) -> None:
    """The instance made the upload but its answer never came: its id is unknown, so it is
    uploaded again; the lost copy stays unattached (the instance deletes it in a day) and the
    post carries each image once."""
    _, _, _, channel, pub = media_publisher(engine, clock, tmp_path, adapter, "masto", "mastodon")
    server.fault("POST", FakeMastodon.MEDIA, Fault.accept_then_lose(HANG))
    assert pub.run_slot(channel, SLOT).outcome is SlotOutcome.PUBLISHED
    [status] = masto.statuses
    orphan, *used = masto.media
    assert orphan.status_id is None and [m.status_id for m in used] == [status.id] * 2
    assert status.media_ids == tuple(m.id for m in used)
    assert [masto.upload(i).description for i in status.media_ids] == list(ALTS)


def test_an_image_still_processing_is_waited_for_and_uploaded_once(
    engine: Engine,
    clock: FakeClock,
    tmp_path: Path,
    adapter: MastodonAdapter,
    masto: FakeMastodon,
    server: FakeServer,
) -> None:
    masto.processing_reads = 1  # 202, then one read with `url` null
    sleeps = Sleeps()
    _, _, _, channel, pub = media_publisher(
        engine, clock, tmp_path, adapter, "masto", "mastodon", sleep=sleeps
    )
    assert pub.run_slot(channel, SLOT).outcome is SlotOutcome.PUBLISHED
    assert (uploads(server), statuses(server)) == (2, 1)
    assert len(sleeps.waits) == 1  # the publisher's backoff was the polling interval
    [status] = masto.statuses
    assert len(status.media_ids) == 2


def test_an_image_refused_as_too_large_fails_the_delivery_with_the_reason(
    engine: Engine,
    clock: FakeClock,
    tmp_path: Path,
    adapter: MastodonAdapter,
    masto: FakeMastodon,
    server: FakeServer,
) -> None:
    masto.upload_limit = 100  # the instance's proxy takes no body this large
    queue, item, _, channel, pub = media_publisher(
        engine, clock, tmp_path, adapter, "masto", "mastodon"
    )
    assert pub.run_slot(channel, SLOT).outcome is SlotOutcome.FAILED
    assert "413" in refused_first_image(queue, item, "masto")
    assert (uploads(server), statuses(server)) == (1, 0)  # never posted without its image


class Killed(BaseException):
    """The process dies here: nothing after it runs, no handler of ours sees it."""


class DiesBeforePosting(MastodonAdapter):
    """The real adapter in a process killed after its uploads, before the status call."""

    def publish(self, post: Post) -> PublishResult:
        raise Killed


def test_a_kill_between_the_uploads_and_the_status_reuses_them_after_the_restart(
    engine: Engine,
    clock: FakeClock,
    tmp_path: Path,
    masto: FakeMastodon,
    server: FakeServer,
) -> None:
    doomed = DiesBeforePosting(make(server, masto, clock, tmp_path).context)
    queue, item, _, channel, pub = media_publisher(
        engine, clock, tmp_path, doomed, "masto", "mastodon"
    )
    with pytest.raises(Killed):
        pub.run_slot(channel, SLOT)
    assert (uploads(server), masto.statuses) == (2, [])

    clock.advance(minutes=10)  # the dead process's lease has run out
    restarted = make(server, masto, clock, tmp_path)
    later = publisher_for(engine, clock, tmp_path, restarted, channel)
    assert len(later.reconcile()) == 1  # looked up: not out, so back to pending
    assert later.run_slot(channel, LATER).outcome is SlotOutcome.PUBLISHED
    [status] = masto.statuses
    assert uploads(server) == 2 and status.media_ids == tuple(m.id for m in masto.media)
    restarted.close()
    doomed.close()


def test_an_instance_with_a_small_image_size_limit_gets_the_image_re_encoded_under_it(
    engine: Engine,
    clock: FakeClock,
    tmp_path: Path,
    adapter: MastodonAdapter,
    masto: FakeMastodon,
    server: FakeServer,
) -> None:
    noisy = [stored_image(tmp_path, "", ALTS[0], (400, 300), noise=True)]
    limit = noisy[0].bytes // 4
    masto.media_config["image_size_limit"] = limit  # below Mastodon's default, which add used
    queue, item, _, channel, pub = media_publisher(
        engine, clock, tmp_path, adapter, "masto", "mastodon", images=noisy
    )
    assert pub.run_slot(channel, SLOT).outcome is SlotOutcome.PUBLISHED
    (sent,) = masto.media
    assert sent.mime == "image/jpeg" and len(sent.data) <= limit
    reads = [r for r in server.requests("GET") if r.path.rstrip("/") == FakeMastodon.INSTANCE]
    # One read of ours, for the text and the images alike; the other is Mastodon.py's own
    # version check inside `media_post` (its cache, as on every upload before this).
    assert len(reads) == 2


def test_an_instance_with_a_small_image_matrix_limit_refuses_the_image_with_its_limit(
    engine: Engine,
    clock: FakeClock,
    tmp_path: Path,
    adapter: MastodonAdapter,
    masto: FakeMastodon,
    server: FakeServer,
) -> None:
    masto.media_config["image_matrix_limit"] = 5000  # 120×60 is 7,200 pixels
    queue, item, _, channel, pub = media_publisher(
        engine, clock, tmp_path, adapter, "masto", "mastodon"
    )
    assert pub.run_slot(channel, SLOT).outcome is SlotOutcome.FAILED
    error = refused_first_image(queue, item, "masto")
    assert "image_matrix_limit is 5,000 pixels" in error and "7,200 pixels" in error
    assert (uploads(server), statuses(server)) == (0, 0)  # never posted without its image


def test_an_instance_that_does_not_take_the_type_refuses_the_image(
    engine: Engine,
    clock: FakeClock,
    tmp_path: Path,
    adapter: MastodonAdapter,
    masto: FakeMastodon,
    server: FakeServer,
) -> None:
    masto.media_config["supported_mime_types"] = ["image/jpeg"]
    queue, item, _, channel, pub = media_publisher(
        engine, clock, tmp_path, adapter, "masto", "mastodon"
    )
    assert pub.run_slot(channel, SLOT).outcome is SlotOutcome.FAILED
    assert "the instance takes image/jpeg, not image/png" in refused_first_image(
        queue, item, "masto"
    )
    assert (uploads(server), statuses(server)) == (0, 0)
