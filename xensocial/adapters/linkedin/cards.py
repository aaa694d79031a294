"""The article card of a LinkedIn link post: title, description and a thumbnail we upload.

LinkedIn does not read the page behind an article post's link ("Article Post API does not
support url scraping"): the card shows only what the post carries. So the page's Open Graph
tags are read through the guarded fetcher (`.._cards.fetch_card`: time and size limits, no
private addresses unless allowed), and its image is uploaded through the Images API:

1. `POST /rest/images?action=initializeUpload` with `{"initializeUploadRequest": {"owner":
   <organization URN>}}` → `{"value": {"uploadUrlExpiresAt", "uploadUrl", "image":
   "urn:li:image:..."}}`;
2. `PUT` the bytes to `uploadUrl` (with the same bearer token) → 201;

and the post's `content.article` gets `thumbnail` = the image URN, `title` (the item's title,
else `og:title`) and `description` (`og:description`). LinkedIn takes JPEG, PNG and GIF.

A card is a courtesy, never a reason not to post: a page that cannot be read, has no image, or
whose image cannot be fetched, is not an image LinkedIn takes, or cannot be uploaded, makes a
card without a thumbnail, and the log says why (`linkedin_card_without_thumbnail`). Only what
would refuse the post just the same (ChannelBlocked: the token, the API version) is raised.

Never twice: the image is uploaded before the post is sent, and nothing here is a post. A retry
after a failure uploads the image again (an unused image on LinkedIn's side, harmless); an
upload error is never `maybe_posted`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import structlog

from .._cards import Card, fetch_card
from ..base import AdapterError, ChannelBlocked, Post, TransientError
from .api import RestClient

__all__ = ["IMAGE_TYPES", "article", "upload_image"]

log = structlog.get_logger("xensocial.adapters.linkedin")

IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif"})
_PAGE_SECONDS = 5.0  # at most, per fetch: the post waits for its card


def article(
    post: Post,
    api: RestClient,
    *,
    owner: str,
    read_page: bool,
    timeout: float,
    allow_private: bool,
    channel: str,
) -> dict[str, Any]:
    """The `content.article` of a post linking to `post.url`."""
    card: Card | None = None
    if read_page:
        card = fetch_card(
            post.url, timeout=min(timeout, _PAGE_SECONDS), allow_private=allow_private
        )
    found = card or Card(title="", description="")
    out: dict[str, Any] = {"source": post.url, "title": post.title or found.title or post.url}
    if found.description:
        out["description"] = found.description
    if not read_page:
        return out
    thumbnail, why = _thumbnail(card, api, owner)
    if thumbnail is not None:
        out["thumbnail"] = thumbnail
    else:
        log.info("linkedin_card_without_thumbnail", channel=channel, url=post.url, reason=why)
    return out


def _thumbnail(card: Card | None, api: RestClient, owner: str) -> tuple[str | None, str]:
    """The uploaded image's URN, or None and why there is none."""
    if card is None:
        return None, "the page could not be read"
    if card.image is None:
        return None, "the page names no image (og:image), or it could not be fetched as one"
    if card.image_type not in IMAGE_TYPES:
        return None, f"its image is {card.image_type}; LinkedIn takes JPEG, PNG and GIF"
    try:
        return upload_image(api, owner, card.image, card.image_type), ""
    except ChannelBlocked:
        raise  # the post would be refused just the same: pause now
    except AdapterError as exc:
        return None, f"the image could not be uploaded: {exc}"


def upload_image(
    api: RestClient, owner: str, data: bytes, content_type: str, what: str = "the card's image"
) -> str:
    """Upload `data` (`what`, for messages) through the Images API; its `urn:li:image:...`.
    The card's thumbnail and a post's own images (`adapter.upload_image`) both use it."""
    action = f"registering {what}"
    answer = api.json(
        api.request(
            "POST",
            "/rest/images",
            action,
            query={"action": "initializeUpload"},
            body={"initializeUploadRequest": {"owner": owner}},
        ),
        action,
    )
    value = answer.get("value")
    value = value if isinstance(value, Mapping) else {}
    upload_url, image = value.get("uploadUrl"), value.get("image")
    if not isinstance(image, str) or not image.startswith("urn:li:image:"):
        raise TransientError(f"{action}: no image URN in the answer")
    if not isinstance(upload_url, str) or not api.same_origin(upload_url):
        raise TransientError(f"{action}: the upload URL is not LinkedIn's")
    api.request("PUT", upload_url, f"uploading {what}", content=data, content_type=content_type)
    return image
