"""Readings of Graph's payloads for the Facebook adapter: is an entry our post (or our
comment), its time, its counters, an error's subcode, a post's views. Apart from
`facebook.py`, which keeps the calls and the error mapping."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from .base import Post

__all__ = ["graph_time", "links", "matches", "subcode", "summary_count", "views", "whole"]

VIEWS_METRIC = "post_total_media_view_unique"
_LINK = re.compile(r"https?://[^\s<>\"']+")
_TRAILING = ".,;:!?)]}"  # sentence punctuation after a link is not part of it


def matches(entry: Mapping[str, Any], post: Post) -> bool:
    """Our post, by a link in its message equal to the item's URL, or by its exact text."""
    message = str(entry.get("message") or "")
    if post.url and post.url in links(message):
        return True
    return bool(message) and " ".join(message.split()) == " ".join(post.text.split())


def links(text: str) -> set[str]:
    # Whole links only: ".../blog/1" must not match a post of ".../blog/15".
    found = [m.group(0) for m in _LINK.finditer(text)]
    return set(found) | {link.rstrip(_TRAILING) for link in found}


def graph_time(value: Any) -> datetime | None:
    """Graph's "2025-01-02T03:04:05+0000" as an aware UTC datetime."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value).astimezone(UTC)
    except ValueError:
        return None


def whole(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def summary_count(edge: Any) -> int | None:
    if not isinstance(edge, Mapping):
        return None
    summary = edge.get("summary")
    return whole(summary.get("total_count")) if isinstance(summary, Mapping) else None


def subcode(exc: Any) -> Any:
    result = getattr(exc, "result", None)
    error = result.get("error") if isinstance(result, Mapping) else None
    return error.get("error_subcode") if isinstance(error, Mapping) else None


def views(obj: Mapping[str, Any]) -> int | None:
    """`post_total_media_view_unique` from the `insights` edge; None when absent (not asked,
    or Graph had no figure: a Page under 100 likes gets an empty `data`)."""
    insights = obj.get("insights")
    data = insights.get("data") if isinstance(insights, Mapping) else None
    for metric in data if isinstance(data, list) else []:
        if not isinstance(metric, Mapping) or metric.get("name") != VIEWS_METRIC:
            continue
        values = metric.get("values")
        last = values[-1] if isinstance(values, list) and values else None
        return whole(last.get("value")) if isinstance(last, Mapping) else None
    return None
