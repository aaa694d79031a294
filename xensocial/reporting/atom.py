"""An Atom feed of published posts, for every channel or one: `export atom` and `/feed.atom`.

Made with feedgen (imported when a feed is built, never for `--help`). Each entry is one post
on one channel, newest first:

- `id`: a tag URI from the delivery's idempotency key (`tag:xensocial,2025:post/xs-...`), so
  a feed reader sees the same entry however often the feed is rebuilt, by whichever replica;
- `title`: the post's title (its link when it had none); `content`: the text it went out with,
  as rendered for the network. Both come from the delivery's record (`published.py`), so a later
  `queue edit` of the item changes no entry (posts from before migration 0008 have their
  item's words as the record, and no rendering);
- links: the link as posted (`alternate`, UTM parameters included) and the post on the network
  (`related`, when the network gave one; a post in the local outbox is named
  `outbox:CHANNEL#KEY`, never by its file's path: `public_post_link`);
- `published` and `updated`: when it was published; `category`: the channel.

The feed's own `updated` is its newest entry's time, so an unchanged queue gives an unchanged
feed (readers and caches see nothing new).

Reading the newest posts must not cost more as the history grows (the daemon serves the feed on
every request). One channel's are one walk back of its (channel, state, published_at) index.
Every channel's have no index in time order, and sorting every post ever made took 0.9 s for
four years of 1,000 channels; so they are looked for in a window back from the newest post
(1 day, then 8, 64, 512, then all), each look an index range per channel: the window's posts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from content_queue.schema import Delivery, DeliveryState

from .. import __version__
from .channels import ChannelList, channel_values
from .published import PublishedPost, published_posts

__all__ = ["DEFAULT_LIMIT", "TAG_AUTHORITY", "atom_feed", "latest_posts", "public_post_link"]

DEFAULT_LIMIT = 50
TAG_AUTHORITY = "tag:xensocial,2025"  # RFC 4151: a name and a date it was first used on
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_WINDOWS = tuple(timedelta(days=d) for d in (1, 8, 64, 512))


def latest_posts(conn: Connection, *, channel: str | None, limit: int) -> list[PublishedPost]:
    """The `limit` newest published posts (of `channel`), newest first (see the module
    docstring for how every channel's are found)."""
    if channel is not None:
        query = published_posts(channel=channel, newest_first=True).limit(limit)
        return [PublishedPost.of(row) for row in conn.execute(query)]
    newest = _newest_posts(conn)
    if not newest:
        return []
    names, latest = ChannelList.on(conn, newest), max(newest.values())
    for since in [*(latest - window for window in _WINDOWS), None]:
        query = published_posts(since=since, newest_first=True).where(names.holds(Delivery.channel))
        rows = conn.execute(query.limit(limit)).all()
        # A window that holds `limit` posts holds the newest `limit`: every post before it is
        # older than each of them.
        if len(rows) == limit or since is None:
            break
    return [PublishedPost.of(row) for row in rows]


def _newest_posts(conn: Connection) -> dict[str, datetime]:
    """When each channel's newest post went out (channels that never posted: left out); one
    index seek each."""
    values = channel_values(Delivery.channel)
    latest = (
        select(func.max(Delivery.published_at))
        .where(
            Delivery.channel == values.c.channel,
            Delivery.state == DeliveryState.PUBLISHED.value,
        )
        .scalar_subquery()
    )
    rows = conn.execute(select(values.c.channel, latest).where(values.c.channel.is_not(None)))
    return {channel: at for channel, at in rows if at is not None}


def atom_feed(
    posts: Sequence[PublishedPost],
    *,
    channel: str | None,
    now: datetime,
    self_url: str | None = None,
) -> bytes:
    """The feed document (UTF-8 XML) for `posts`, given newest first.

    `now` is the feed's `updated` only when there is no post; `self_url`, when known (the
    daemon serving it), becomes the `rel="self"` link."""
    from feedgen.feed import FeedGenerator

    fg = FeedGenerator()
    scope = f"channel/{channel}" if channel else "all"
    fg.id(f"{TAG_AUTHORITY}:feed/{scope}")
    fg.title(f"Posts published on {channel}" if channel else "Posts published by xensocial")
    fg.subtitle(
        f"What xensocial published on channel {channel}, newest first."
        if channel
        else "What xensocial published on every channel, newest first."
    )
    fg.author({"name": "xensocial"})
    fg.generator("xensocial", __version__)
    fg.updated(posts[0].published_at if posts else now)
    if self_url:
        fg.link(href=self_url, rel="self", type="application/atom+xml")
    for post in posts:
        _add_entry(fg, post)
    document: bytes = fg.atom_str(pretty=True)
    return document


def public_post_link(remote_url: str | None, channel: str) -> str | None:
    """Where the post is, as a published feed may say it: a network's URL as it is, but the
    local outbox's `file://PATH#KEY` as `outbox:CHANNEL#KEY`. The feed is served over HTTP and
    read by strangers; the outbox's absolute path tells them how the server is laid out."""
    if not remote_url or not remote_url.startswith("file:"):
        return remote_url
    _, hash_, key = remote_url.partition("#")
    return f"outbox:{channel}" + (f"#{key}" if hash_ else "")


def _add_entry(fg: Any, post: PublishedPost) -> None:  # feedgen has no type hints
    # order="append": the default, "prepend", would reverse our newest-first order.
    entry = fg.add_entry(_entry_class()(), order="append")
    entry.id(f"{TAG_AUTHORITY}:post/{post.idempotency_key}")
    # A record without words or link (none is written so, but a feed must not fail on one
    # row) still makes an entry: feedgen refuses an entry without a title.
    title = _xml_text(post.title) or post.url or f"A post on {post.channel}"
    entry.title(title)
    if post.text or not post.url:  # Atom: an entry has content, or an alternate link
        entry.content(_xml_text(post.text) or title, type="text")
    if post.url:
        entry.link(href=post.url, rel="alternate", title="The linked page")
    related = public_post_link(post.remote_url, post.channel)
    if related:
        entry.link(href=related, rel="related", title=f"The post on {post.channel}")
    entry.published(post.published_at)
    entry.updated(post.published_at)
    entry.category(term=post.channel, label=f"channel {post.channel}")


@cache
def _entry_class() -> type[Any]:
    """feedgen's FeedEntry, with its links written whole.

    feedgen 1.0.0 writes an entry's `<link>` with its `href` only: the loop that adds `rel`,
    `type` and `title` reads them from the element it has just made instead of from the link
    (a shadowed variable), so every link would read as `alternate`, and the post's link would
    be a second alternate, which Atom forbids. This puts the attributes back; on a feedgen
    that writes them itself, it sets the same values again."""
    from feedgen.entry import FeedEntry

    class WholeLinksEntry(FeedEntry):  # type: ignore[misc]  # feedgen is untyped
        def atom_entry(self, extensions: bool = True) -> Any:
            element = super().atom_entry(extensions)
            for link_element, link in zip(element.findall("link"), self.link() or [], strict=True):
                for key in ("rel", "type", "hreflang", "title", "length"):
                    if link.get(key):
                        link_element.set(key, str(link[key]))
            return element

    return WholeLinksEntry


def _xml_text(value: str) -> str:
    """`value` without the characters XML 1.0 cannot carry (lxml refuses them outright)."""
    return _NOT_XML.sub("", value)
