"""Key messages (themes): how many posts and clips of a period carried each.

A post carries a theme when what it said mentions one of the theme's keywords (whole words, any
case): its title, its text as posted (without its link) and its tags, from the delivery's record
(a later edit of the item changes nothing). It counts once per channel it went out on, like
every post count. A clip carries it when its title or summary does. A post or clip may carry
several themes. The database counts the posts that said the same words together, so only the
period's distinct texts are read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import Text, cast, func, select
from sqlalchemy.engine import Connection

from content_queue.schema import Delivery

from .channels import ChannelList
from .keywords import KeywordSet
from .model import ThemeRow, ThemesSection
from .periods import Period
from .posts import published_in

__all__ = ["gather_themes"]


def gather_themes(
    conn: Connection,
    period: Period,
    clip_texts: Sequence[str],
    themes: Mapping[str, Sequence[str]],
    posted: ChannelList,
) -> ThemesSection:
    """`posted`: the channels with posts in the period (`posts.posting_channels`)."""
    if not themes:
        return ThemesSection(())
    keywords = KeywordSet.build(themes)
    posts = dict.fromkeys(themes, 0)
    # The tags as their stored JSON text: brackets and quotes are not word characters, so a
    # whole-word match in '["xen", "cloud"]' is a match in the tags, with no decoding.
    tags = cast(Delivery.posted_tags, Text)
    for title, text, url, tag_text, count in conn.execute(
        select(Delivery.posted_title, Delivery.posted_text, Delivery.posted_url, tags, func.count())
        .where(published_in(period, posted))
        .group_by(Delivery.posted_title, Delivery.posted_text, Delivery.posted_url, tags)
    ):
        # What the post said, without its link (a word of the address is not a message).
        said = (text or "").replace(url or "", " ")
        for name in keywords.matches(f"{title or ''}\n{said}\n{tag_text or ''}"):
            posts[name] += int(count)
    clips = dict.fromkeys(themes, 0)
    for clip in clip_texts:
        for name in keywords.matches(clip):
            clips[name] += 1
    return ThemesSection(tuple(ThemeRow(name, posts[name], clips[name]) for name in themes))
