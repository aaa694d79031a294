"""Small readings of X's payloads for the X adapter: a post's time from its snowflake id, a
counter, the reposts under either name, a link in canonical form. Apart from `x.py` to keep
that module readable (and under the size rule)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from content_queue.errors import InvalidItem
from content_queue.urls import canonical_url

__all__ = ["canonical_link", "reposts", "snowflake_time", "whole"]

_TWITTER_EPOCH_MS = 1288834974657  # snowflake ids count milliseconds from here


def snowflake_time(remote_id: str) -> datetime | None:
    try:
        ms = (int(remote_id) >> 22) + _TWITTER_EPOCH_MS
    except ValueError:
        return None
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def whole(metrics: Mapping[str, Any] | None, key: str) -> int | None:
    value = (metrics or {}).get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def reposts(public: Mapping[str, Any] | None) -> int | None:
    """Reposts: `repost_count` in X's current payloads, `retweet_count` in older ones."""
    current = whole(public, "repost_count")
    return current if current is not None else whole(public, "retweet_count")


def canonical_link(url: str) -> str | None:
    try:
        return canonical_url(url.rstrip(".,;:!?)"))
    except (InvalidItem, ValueError):
        return None
