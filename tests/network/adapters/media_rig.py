"""What the image upload tests of every network share: an item with images whose files are in
a data folder, and a publisher that posts it through one adapter built on that folder.

Each network's upload test builds its adapter with `data_dir=tmp_path` (where `stored_image`
puts the files, as the media store does), then runs slots through the real `Publisher`, so the
whole media step (upload, record, post) is what is tested, never the adapter alone.
"""

from __future__ import annotations

import hashlib
import os
from io import BytesIO
from pathlib import Path

from PIL import Image
from sqlalchemy.engine import Engine

from content_queue import ContentQueue, Ledger, NewItem
from content_queue.views import ItemImage
from tests.conftest import FakeClock
from tests.daemon.conftest import Sleeps, make_channel, make_settings
from xensocial.adapters.base import Adapter
from xensocial.config import ChannelConfig
from xensocial.media.store import MediaStore
from xensocial.publishing import Publisher

ALTS = ("The Xen 4.20 release banner", "Contributors at the Xen summit, waving")


def stored_image(
    data_dir: Path, color: str, alt: str, size: tuple[int, int], *, noise: bool = False
) -> ItemImage:
    """A PNG kept in `data_dir`'s media folder, as `queue add --image` keeps it: of one
    `color`, or random pixels (`noise`: a large file, as a photo is, for byte limits)."""
    out = BytesIO()
    picture = (
        Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
        if noise
        else Image.new("RGB", size, color)
    )
    picture.save(out, "PNG")
    data = out.getvalue()
    sha = hashlib.sha256(data).hexdigest()
    MediaStore(data_dir).put(data, sha, "image/png")
    return ItemImage(sha, "image/png", size[0], size[1], len(data), alt, decorative=not alt)


def two_images(data_dir: Path) -> list[ItemImage]:
    return [
        stored_image(data_dir, "navy", ALTS[0], (120, 60)),
        stored_image(data_dir, "orange", ALTS[1], (80, 80)),
    ]


def image_bytes(data_dir: Path, image: ItemImage) -> bytes:
    return MediaStore(data_dir).path(image.sha256, image.mime).read_bytes()


def refused_first_image(queue: ContentQueue, item: int, channel: str) -> str:
    """The error of a delivery the network's refusal of its first (of two) images failed."""
    delivery = queue.get(item).delivery(channel)
    assert delivery is not None and delivery.state == "failed"
    error = delivery.last_error or ""
    assert error.startswith("rejected: uploading image 1 of 2"), error
    return error


def media_publisher(
    engine: Engine,
    clock: FakeClock,
    tmp_path: Path,
    adapter: Adapter,
    channel: str,
    network: str,
    *,
    sleep: Sleeps | None = None,
    images: list[ItemImage] | None = None,
    replies: tuple[str, ...] = (),
) -> tuple[ContentQueue, int, list[ItemImage], ChannelConfig, Publisher]:
    """A queue holding one approved item with two images (or `images`), and `replies` (a
    thread), for `channel`, and a publisher whose only adapter is `adapter`."""
    queue = ContentQueue(engine, clock)
    images = two_images(tmp_path) if images is None else images
    item = queue.add(
        NewItem(
            url="https://xenproject.org/blog/4.20",
            title="Xen 4.20 is out",
            channels=[channel],
            images=images,
            replies=replies,
        )
    ).id
    config = make_channel(channel, network=network)
    pub = publisher_for(engine, clock, tmp_path, adapter, config, sleep=sleep)
    return queue, item, images, config, pub


def publisher_for(
    engine: Engine,
    clock: FakeClock,
    tmp_path: Path,
    adapter: Adapter,
    config: ChannelConfig,
    *,
    sleep: Sleeps | None = None,
) -> Publisher:
    """A publisher (a process) for `config`'s channel through `adapter`: a second one made on
    the same database is the process after a restart."""
    return Publisher(
        Ledger(engine, clock),
        {config.name: adapter},
        make_settings(tmp_path, [config]),
        identity="host-a",
        clock=clock,
        sleep=sleep or Sleeps(),
    )
