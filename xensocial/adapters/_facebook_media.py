"""Images on a Facebook Page: each uploaded as an unpublished photo (`POST /{page}/photos`
with `published=false` and its alt text as `alt_text_custom`), then the Page post naming them
(`POST /{page}/feed` with `attached_media[i]={"media_fbid": ID}`). A part of
`FacebookPageAdapter`, which mixes `FacebookMedia` in.

facebook-sdk's `put_photo` sends the file as multipart through the adapter's session (ours:
timeouts, `api_base_url`), so its errors are mapped like every other Graph call. A post with
photos cannot also carry a `link` (Graph takes one kind of attachment); the link then goes
at the end of the message when the text does not hold it already, so it stays clickable.

Lifetime: Meta documents no end for an unpublished Page photo (only photos uploaded with
`temporary=true`, for scheduled posts, are said to be removed, after 24 hours). An unpublished
photo stays on the Page, unseen, until a post uses it; xensocial reuses a recorded one for
`PHOTO_REUSE` (a day) and uploads it again after, a bound it chose, not Meta's.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any, ClassVar

from ._upload import image_payload, text_with_link
from .base import (
    ChannelContext,
    MediaLimits,
    MediaRef,
    Post,
    PostImage,
    Rejected,
    TransientError,
)

__all__ = ["PHOTO_REUSE", "FacebookMedia"]

PHOTO_REUSE = timedelta(days=1)


class FacebookMedia:
    """Upload a photo unpublished; the feed arguments of a post (see the module)."""

    context: ChannelContext
    media_limits: ClassVar[MediaLimits]
    page_id: str
    _graph: Any
    _call: Callable[..., Any]
    _status: Callable[[], int | None]

    def upload_image(self, image: PostImage) -> MediaRef:
        payload = image_payload(self.context, image, self.media_limits)
        name = f"{image.sha256[:16]}.{payload.mime.rpartition('/')[2]}"
        action = "uploading a photo to Facebook"
        try:
            result = self._call(
                action,
                lambda: self._graph.put_photo(
                    (name, payload.data, payload.mime),
                    album_path=f"{self.page_id}/photos",
                    published="false",
                    alt_text_custom=image.alt,
                ),
            )
        except TransientError:
            if self._status() == 413:  # too large for Graph: refused every time
                raise Rejected(f"{action}: refused as too large (HTTP 413)") from None
            raise
        photo_id = result.get("id") if isinstance(result, dict) else None
        if not photo_id:
            raise TransientError(f"{action}: no photo id in the answer")
        return MediaRef(str(photo_id), self.context.clock() + PHOTO_REUSE)

    @staticmethod
    def _feed_args(post: Post) -> dict[str, str]:
        """The form of `POST /{page}/feed` for `post`: its message, and its link or photos."""
        if not post.media_ids:
            return {"message": post.text, **({"link": post.url} if post.url else {})}
        args = {"message": text_with_link(post)}
        for i, media_id in enumerate(post.media_ids):
            args[f"attached_media[{i}]"] = json.dumps({"media_fbid": media_id})
        return args
