"""The bytes an adapter uploads for one image: its stored file, re-encoded down to the
network's byte limit when it is larger (`media.reencode.shrink_to`: never cropped); and the
text of a post whose images take the place of its link card (`text_with_link`).

One function for every adapter, so every network reads, checks and shrinks an image the same
way. A file missing from the media folder, or whose bytes no longer match the SHA-256 it is
stored under, is refused (`Rejected`): posting without it, or with other bytes, is not allowed.
"""

from __future__ import annotations

import hashlib

from ..media.reencode import Reencoded, shrink_to
from .base import ChannelContext, MediaLimits, Post, PostImage, Rejected

__all__ = ["image_payload", "text_with_link"]


def image_payload(context: ChannelContext, image: PostImage, limits: MediaLimits) -> Reencoded:
    """What to upload for `image` to a network with `limits`: its bytes, type and pixel size."""
    what = f"image {image.sha256[:12]}"
    try:
        data = (context.data_dir / image.path).read_bytes()
    except OSError as exc:
        raise Rejected(f"{what}: cannot read {image.path}: {exc.strerror or exc}") from exc
    if hashlib.sha256(data).hexdigest() != image.sha256:
        raise Rejected(f"{what}: {image.path} no longer holds the image it was stored as")
    if limits.max_bytes is None or len(data) <= limits.max_bytes:
        return Reencoded(data, image.mime, image.width, image.height)
    try:
        return shrink_to(data, limits.max_bytes)
    except ValueError as exc:
        raise Rejected(f"{what}: {exc}") from exc


def text_with_link(post: Post) -> str:
    """The text to post: on networks where images replace the link card (Facebook, LinkedIn:
    a post carries one kind of attachment), the link is added at the end of a text that does
    not hold it already, so it stays in the post; as it is otherwise."""
    if post.media_ids and post.url and post.url not in post.text:
        return f"{post.text}\n\n{post.url}"
    return post.text
