"""An item's images go out with it: the publisher hands them to the adapter in the post, the
outbox records each image's file, SHA-256 and alt text in its line, and the delivery's record
keeps them. A network that cannot take images yet never receives a post without them: the
delivery fails, visibly, and the network is not called."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

from PIL import Image
from sqlalchemy.engine import Engine

from content_queue import ContentQueue, NewItem, SlotOutcome
from content_queue.views import ItemImage
from tests.conftest import FakeClock
from xensocial.adapters.base import ChannelContext
from xensocial.adapters.outbox import OutboxAdapter
from xensocial.media.store import MediaStore

from .conftest import FakeNetwork
from .test_publishing import publisher

SLOT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def _image(tmp_path: Path, color: str, alt: str, size: tuple[int, int]) -> ItemImage:
    out = BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    data = out.getvalue()
    sha = hashlib.sha256(data).hexdigest()
    MediaStore(tmp_path).put(data, sha, "image/png")
    return ItemImage(sha, "image/png", size[0], size[1], len(data), alt, decorative=not alt)


def _item_with_images(queue: ContentQueue, tmp_path: Path) -> tuple[int, list[ItemImage]]:
    images = [
        _image(tmp_path, "navy", "The Xen 4.20 release banner", (120, 60)),
        _image(tmp_path, "white", "", (10, 10)),
    ]
    item = queue.add(
        NewItem(
            url="https://xenproject.org/4.20", title="Xen 4.20", channels=["demo"], images=images
        )
    )
    return item.id, images


def test_the_outbox_records_each_image_of_the_post(
    engine: Engine, clock: FakeClock, tmp_path: Path
) -> None:
    queue = ContentQueue(engine, clock)
    item_id, images = _item_with_images(queue, tmp_path)
    outbox = OutboxAdapter(
        ChannelContext("demo", options={"path": "out.jsonl"}, data_dir=tmp_path, clock=clock)
    )
    pub, channel = publisher(engine, clock, tmp_path, outbox)
    assert pub.run_slot(channel, SLOT).outcome is SlotOutcome.PUBLISHED
    [line] = [json.loads(x) for x in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert line["item_id"] == item_id
    recorded = line["images"]
    assert [(r["sha256"], r["alt"], r["decorative"]) for r in recorded] == [
        (images[0].sha256, "The Xen 4.20 release banner", False),
        (images[1].sha256, "", True),
    ]
    for r, image in zip(recorded, images, strict=True):
        data = Path(r["path"]).read_bytes()  # the file the outbox names is the image itself
        assert hashlib.sha256(data).hexdigest() == image.sha256
    delivery = queue.get(item_id).delivery("demo")
    assert delivery is not None and delivery.posted is not None
    assert [m["sha256"] for m in delivery.posted.media] == [i.sha256 for i in images]
    assert delivery.posted.media[0]["alt"] == "The Xen 4.20 release banner"


def test_a_network_without_image_upload_is_never_sent_the_post(
    engine: Engine, clock: FakeClock, tmp_path: Path
) -> None:
    """An item with images on a channel whose network takes none (its channel moved to that
    network after the add, say): the delivery fails naming the rule; nothing is posted."""
    queue = ContentQueue(engine, clock)
    item_id, _ = _item_with_images(queue, tmp_path)
    net = FakeNetwork(ChannelContext("demo", data_dir=tmp_path, clock=clock))
    pub, channel = publisher(engine, clock, tmp_path, net)
    pub.run_slot(channel, SLOT)
    assert net.publish_calls == 0
    delivery = queue.get(item_id).delivery("demo")
    assert delivery is not None and delivery.state == "failed"
    assert "takes no images" in (delivery.last_error or "")
