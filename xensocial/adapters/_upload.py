"""The bytes an adapter uploads for one image: its stored file, re-encoded down to the
network's byte limit when it is larger (`media.reencode.shrink_to`: never cropped).

One function for every adapter, so every network reads, checks and shrinks an image the same
way. A file missing from the media folder, or whose bytes no longer match the SHA-256 it is
stored under, is refused (`Rejected`): posting without it, or with other bytes, is not allowed.
"""

from __future__ import annotations

import hashlib

from ..media.reencode import Reencoded, shrink_to
from .base import ChannelContext, MediaLimits, PostImage, Rejected

__all__ = ["image_payload"]


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
