"""The publisher's media step: each image of a post uploaded once, recorded before the post.

Between claiming a delivery and posting it, for each image in order:

1. a recorded upload of that image (`delivery_media`, the same SHA-256) still within the
   network's media lifetime is reused, and the network is not called;
2. else the adapter uploads it (`Adapter.upload_image`), and the upload is recorded in its own
   committed transaction *before* anything else happens.

Only then is the post sent, referencing every id (`Post.media_ids`). A crash, or a lost answer,
after an upload leaves it recorded, so the retry reuses it: one post never gets two uploads of
an image, and never goes out without one (a post is only sent once every image has an id). An
upload that failed is never "in doubt" the way a post is: at worst the network keeps an
unattached copy until its lifetime ends, which nobody sees, so it is simply tried again.

When the recorded upload has expired (a delivery retried a day later: X keeps a media id about
24 hours, Mastodon deletes unattached media after a day; each adapter gives the end with its
`MediaRef`), the image is uploaded again and the new id replaces the old one.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from content_queue import Ledger
from content_queue.ledger import UploadedMedia

from .adapters.base import Adapter, Post, RateLimited, Rejected, TransientError
from .errors import XensocialError

__all__ = ["LostDelivery", "with_media"]


class LostDelivery(XensocialError):
    """Our lease ended and another process holds the delivery: it must not be posted by us."""


def with_media(
    ledger: Ledger, adapter: Adapter, delivery_id: int, post: Post, *, owner: str, now: datetime
) -> Post:
    """`post` with `media_ids` for each of its images, uploading only those without a valid
    recorded upload. Raises the adapter's errors, their message naming the image (a transient
    one never `maybe_posted`), and `LostDelivery` when an upload could not be recorded."""
    if not post.images:
        return post
    recorded = ledger.uploads(delivery_id)
    ids: list[str] = []
    for position, image in enumerate(post.images):
        upload = recorded.get(position)
        if upload is None or not upload.usable(image.sha256, now):
            upload = _upload(adapter, position, image_count=len(post.images), post=post, now=now)
            if not ledger.record_upload(delivery_id, upload, owner=owner):
                raise LostDelivery(f"image {position + 1}: the delivery was taken over")
        ids.append(upload.remote_media_id)
    return replace(post, media_ids=tuple(ids))


def _upload(
    adapter: Adapter, position: int, *, image_count: int, post: Post, now: datetime
) -> UploadedMedia:
    image = post.images[position]
    what = f"uploading image {position + 1} of {image_count}"
    try:
        ref = adapter.upload_image(image)
    except RateLimited:
        raise
    except TransientError as exc:
        raise TransientError(f"{what}: {exc}", maybe_posted=False) from exc
    except Rejected as exc:
        raise Rejected(f"{what}: {exc}") from exc
    return UploadedMedia(position, image.sha256, ref.media_id, now, ref.expires_at)
