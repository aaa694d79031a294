"""The lexicon checks the fake Bluesky PDS makes of a record it is asked to create: the post's
text, reply and facets (`invalid_post`), and its images embed (`invalid_images`), kept apart from
the server (`bluesky`) so each stays small. Each answers why the PDS refuses, or None."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import regex

__all__ = ["invalid_images", "invalid_post"]


def invalid_post(record: dict[str, Any]) -> str | None:
    """Why the lexicon refuses `record` (the checks a PDS makes that matter here), or None."""
    text = record.get("text")
    if not isinstance(text, str):
        return "Record/text must be a string"
    if len(text.encode("utf-8")) > 3000:
        return "Record/text must not be longer than 3000 characters"  # the validator's words
    if len(regex.findall(r"\X", text)) > 300:
        return "Record/text must not be longer than 300 graphemes"
    if not isinstance(record.get("createdAt"), str):
        return "Record/createdAt must be a valid datetime"
    if "reply" in record:  # app.bsky.feed.post#replyRef: root and parent, each a strongRef
        reply = record["reply"]
        for side in ("root", "parent"):
            ref = reply.get(side) if isinstance(reply, dict) else None
            if not (
                isinstance(ref, dict) and all(isinstance(ref.get(k), str) for k in ("uri", "cid"))
            ):
                return f"Record/reply/{side} must be a strongRef (uri and cid)"
    raw = text.encode("utf-8")
    for facet in record.get("facets") or []:
        index = facet.get("index") or {}
        start, end = index.get("byteStart"), index.get("byteEnd")
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(raw)):
            return "Record/facets/index must lie within the text"
        for feature in facet.get("features") or []:
            # The PDS does not check these; the fake does, so a wrong offset fails the test.
            held = raw[start:end].decode("utf-8", errors="replace")
            kind = feature.get("$type")
            if kind == "app.bsky.richtext.facet#link" and held != feature.get("uri"):
                return "Record/facets: the byte range does not hold the link"
            if kind == "app.bsky.richtext.facet#tag":
                tag = feature.get("tag")
                if not isinstance(tag, str) or len(regex.findall(r"\X", tag)) > 64:
                    return "Record/facets/tag must not be longer than 64 graphemes"
                if tag.startswith("$"):  # a cashtag: the ticker as written, upper-cased
                    holds = held.upper() == tag
                else:
                    holds = held[:1] in ("#", "＃") and held[1:] == tag
                if not holds:
                    return "Record/facets: the byte range does not hold the tag"
    return None


def invalid_images(record: dict[str, Any], blobs: Mapping[str, bytes]) -> str | None:
    """Why the PDS refuses the `app.bsky.embed.images` of `record` (`blobs`: those uploaded by
    CID), or None: at most four, each an uploaded `image/*` blob up to 1,000,000 bytes."""
    embed = record.get("embed") or {}
    if embed.get("$type") != "app.bsky.embed.images":
        return None
    images = embed.get("images")
    if not isinstance(images, list) or not 1 <= len(images) <= 4:
        return "Record/embed/images must hold one to four images"
    for image in images:
        blob = image.get("image") or {}
        cid = (blob.get("ref") or {}).get("$link")
        if cid not in blobs:
            return f"Could not find blob: {cid}"
        if not str(blob.get("mimeType", "")).startswith("image/"):
            return "Record/embed/images/image has the wrong mimetype"
        if len(blobs[cid]) > 1_000_000:
            return "Record/embed/images/image: the blob is too large"
        if not isinstance(image.get("alt"), str):
            return "Record/embed/images/alt must be a string"
        ratio = image.get("aspectRatio")
        if ratio is not None and not all(
            isinstance(ratio.get(k), int) and ratio[k] > 0 for k in ("width", "height")
        ):
            return "Record/embed/images/aspectRatio must hold positive integers"
    return None
