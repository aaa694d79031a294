"""Every installed adapter either posts an item's images or refuses the item: never a post
without them. The same rule (`rendering.fit.image_problem`) answers at add and in
`make_post`. The networks that upload are listed here as each lands (issue 17 item 2)."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from content_queue.views import DeliveryView, ItemImage, ItemView
from xensocial.adapters.registry import available, load
from xensocial.config import ChannelConfig
from xensocial.rendering import ImageDoesNotFit, make_post

IMAGE = ItemImage("c" * 64, "image/png", 120, 60, 2_000, "The release banner")
AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _item() -> ItemView:
    return ItemView(
        id=7, url="https://xenproject.org/4.20", canonical_url="https://xenproject.org/4.20",
        title="Xen 4.20", text="Out now", category="news", tags=(), source="manual",
        priority=0, not_before=None, expires_at=None, state="approved", created_at=AT,
        created_by="t", updated_at=AT, images=(IMAGE,),
    )  # fmt: skip


def _delivery() -> DeliveryView:
    return DeliveryView(
        id=1, item_id=7, channel="c", state="publishing", idempotency_key="xs-" + "0" * 32,
        attempts=1, last_error=None, remote_id=None, remote_url=None, published_at=None,
    )  # fmt: skip


@pytest.mark.parametrize("network", sorted(available()))
def test_an_adapter_gets_every_image_or_the_post_is_refused(network: str) -> None:
    adapter = load(network)
    channel = ChannelConfig(name="c", network=network, slots=(time(9, 30),), timezone="UTC")
    if adapter.media_limits.uploads:
        post = make_post(channel, adapter, _delivery(), _item())
        [image] = post.images
        assert (image.sha256, image.alt) == (IMAGE.sha256, "The release banner")
        assert image.path == f"media/cc/{'c' * 64}.png"
    else:
        with pytest.raises(ImageDoesNotFit, match=f"channel 'c': {network} takes no images"):
            make_post(channel, adapter, _delivery(), _item())


UPLOADING = {
    "outbox",
    "mastodon",
    "bluesky",
    "x",
    "facebook",
    "linkedin",
}  # the built-in adapters whose upload is built


def test_the_networks_that_upload_and_their_documented_limits() -> None:
    builtin = {"outbox", "x", "mastodon", "bluesky", "facebook", "linkedin"}
    uploading = {n for n in available() if load(n).media_limits.uploads}
    assert uploading & builtin == UPLOADING
    x, mastodon, bluesky = (load(n).media_limits for n in ("x", "mastodon", "bluesky"))
    assert (x.max_bytes, x.alt_max_length) == (5 * 1024 * 1024, 1000)
    assert (mastodon.max_bytes, mastodon.alt_max_length) == (16 * 1024 * 1024, 1500)
    assert (bluesky.max_bytes, bluesky.max_images) == (1_000_000, 4)
