"""A channel's own text in rendering: it stands for the item's text on that channel only, keeps
the template, link and hashtags around it, and is never cut (hashtags and the title give way)."""

from __future__ import annotations

from datetime import time

import pytest

from content_queue.views import NewItem
from xensocial.adapters.base import TextLimits
from xensocial.config import ChannelConfig
from xensocial.rendering import TextTooLong, render_post

ITEM = NewItem(
    url="https://example.org/r",
    channels=["c"],
    title="A title",
    text="The item's text " * 3,
    tags=("xen", "virtualization"),
)


def _channel(network: str = "outbox", template: str | None = None) -> ChannelConfig:
    return ChannelConfig(
        name="c", network=network, timezone="UTC", slots=(time(9),), template=template
    )


def test_own_text_replaces_the_items_text_within_the_template() -> None:
    limits = TextLimits(max_length=500)
    assert render_post(ITEM, _channel(), limits, own_text="  Our   words \n\n\n\nhere ") == (
        "Our words\n\nhere\n\nhttps://example.org/r\n\n#xen #virtualization"
    )
    template = _channel(template="{title}: {body} {url}")
    assert render_post(ITEM, template, limits, own_text="Words") == (
        "A title: Words https://example.org/r"
    )


def test_hashtags_and_the_title_give_way_but_the_own_text_is_never_cut() -> None:
    channel = _channel(template="{title} | {text} {url} {hashtags}")
    own = "x" * 40
    # 40 + the URL (21) + the separators: only the title may be shortened, then dropped.
    text = render_post(ITEM, channel, TextLimits(max_length=70), own_text=own)
    assert own in text and "#" not in text and "A title" not in text
    # Without an own text the item's words would have been shortened with "…" instead.
    assert "…" in render_post(ITEM, channel, TextLimits(max_length=70))


def test_an_own_text_that_cannot_fit_names_the_count_and_the_limit() -> None:
    with pytest.raises(TextTooLong) as caught:
        render_post(ITEM, _channel(), TextLimits(max_length=30), own_text="y" * 20)
    assert (caught.value.counted, caught.value.limit, caught.value.channel) == (43, 30, "c")
    assert str(caught.value) == (
        "the text for channel 'c' (outbox) is too long: with the link and the template it "
        "counts 43, over the limit of 30; shorten it (it is never cut)"
    )


def test_own_text_is_counted_the_way_the_network_counts() -> None:
    x = _channel(network="x")
    limits = TextLimits(max_length=280, url_length=23)
    # X weighs CJK characters 2 and every link 23: 120 CJK characters are 240, +2 +23 = 265.
    fits = render_post(ITEM, x, limits, own_text="漢" * 120)
    assert fits.startswith("漢" * 120)
    with pytest.raises(TextTooLong, match="it counts 285, over the limit of 280"):
        render_post(ITEM, x, limits, own_text="漢" * 130)
