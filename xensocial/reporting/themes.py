"""Key messages (themes): how many posts and clips of a period carried each.

A post carries a theme when its item's title, text or tags mention one of the theme's keywords
(whole words, any case); it counts once per channel it went out on, like every post count. A
clip carries it when its title or summary does. A post or clip may carry several themes. The
database counts posts per item; only the period's distinct items are read, to match their words.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import Text, cast, func, select
from sqlalchemy.engine import Connection

from content_queue.schema import Delivery, Item

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
    words = Item.title + "\n" + Item.text + "\n" + cast(Item.tags, Text)
    for text, count in conn.execute(
        select(words, func.count())
        .select_from(Delivery)
        .join(Item, Item.id == Delivery.item_id)
        .where(published_in(period, posted))
        .group_by(Item.id)  # the primary key: the item's words follow from it
    ):
        for name in keywords.matches(text):
            posts[name] += int(count)
    clips = dict.fromkeys(themes, 0)
    for clip in clip_texts:
        for name in keywords.matches(clip):
            clips[name] += 1
    return ThemesSection(tuple(ThemeRow(name, posts[name], clips[name]) for name in themes))
