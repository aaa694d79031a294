"""The fake X's media endpoints (`x.FakeX` mixes `MediaEndpoints` in and registers them):

    POST /2/media/upload   (multipart `media`, `media_category`) -> {"data": {"id", "media_key",
                           "size", "expires_after_secs", "image": {"image_type", ...}}};
                           a body above `upload_limit` -> 413 "Payload Too Large"
    POST /2/media/metadata {"id", "metadata": {"alt_text": {"text"}}} -> {"data": {"id",
                           "associated_metadata": true}}; an unknown id or an alt text above
                           1,000 characters -> 400

A post (`POST /2/tweets`) may name uploaded ids in `media.media_ids`: each must be one of the
account's uploads and not expired (`check_media`), else 400, as X answers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from .multipart import parts
from .server import Reply, Request
from .x_common import problem

__all__ = ["MediaEndpoints", "XUpload"]

LIFETIME = timedelta(seconds=86_400)


@dataclass
class XUpload:
    id: str
    data: bytes
    mime: str
    category: str
    uploaded_at: datetime
    alt: str | None = None


class MediaEndpoints:
    """Uploads and their alt texts (state in `uploads`, by id)."""

    clock: Callable[[], datetime]
    _lock: threading.Lock
    uploads: dict[str, XUpload]
    upload_limit: int

    def _media_upload(self, request: Request) -> Reply:
        if len(request.body) > self.upload_limit:
            return problem(413, "Payload Too Large", "The media file is too large.")
        fields = parts(request)
        media = fields.get("media")
        if media is None or not media.data:
            return problem(400, "Invalid Request", "The `media` field is required.")
        with self._lock:
            media_id = str(1880000000000000000 + len(self.uploads) + 1)
            self.uploads[media_id] = XUpload(
                media_id,
                media.data,
                media.content_type or "",
                fields["media_category"].text if "media_category" in fields else "",
                self.clock(),
            )
        return Reply(
            200,
            {
                "data": {
                    "id": media_id,
                    "media_key": f"3_{media_id}",
                    "size": len(media.data),
                    "expires_after_secs": int(LIFETIME.total_seconds()),
                    "image": {"image_type": media.content_type},
                }
            },
        )

    def _media_metadata(self, request: Request) -> Reply:
        body = request.json() or {}
        upload = self.uploads.get(str(body.get("id")))
        alt = ((body.get("metadata") or {}).get("alt_text") or {}).get("text")
        if upload is None or not isinstance(alt, str) or len(alt) > 1000:
            return problem(400, "Invalid Request", "One or more parameters are invalid.")
        upload.alt = alt
        return Reply(200, {"data": {"id": upload.id, "associated_metadata": True}})

    def check_media(self, media_ids: object) -> Reply | None:
        """X's 400 for a post naming media it cannot attach, or None."""
        if media_ids is None:
            return None
        now = self.clock()
        if not isinstance(media_ids, list) or not 1 <= len(media_ids) <= 4:
            return problem(400, "Invalid Request", "media.media_ids: one to four ids.")
        for media_id in media_ids:
            upload = self.uploads.get(str(media_id))
            if upload is None or now - upload.uploaded_at > LIFETIME:
                return problem(400, "Invalid Request", f"Your media IDs are invalid: {media_id}")
        return None
