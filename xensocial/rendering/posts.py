"""A delivery -> the `Post` an adapter sends, and the record its delivery keeps once published.

The publisher, the dry run, reconciliation (which looks a post up by what it would have said)
and `deliveries resolve` (which records what went out) all make a delivery's post here, with
`render_post`, so the text sent, the text logged by a dry run and the text recorded are one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from .fit import check_images_fit, reply_texts
from .template import channel_url, render_post

if TYPE_CHECKING:
    from content_queue.views import DeliveryView, ItemView, Posted

    from ..adapters.base import Adapter, Post
    from ..config import ChannelConfig

__all__ = ["make_post", "make_replies", "posted_record"]


def make_post(
    channel: ChannelConfig,
    adapter: Adapter | type[Adapter],
    delivery: DeliveryView,
    item: ItemView,
) -> Post:
    """The post for one delivery: rendered for the channel (in the delivery's own words when
    staff gave it some), keyed by the delivery, with every image of the item.

    Raises ValueError (e.g. `TextTooLong`, `ImageDoesNotFit`) when the item cannot be posted
    there: an item whose images the network cannot take (its channel changed network since,
    say) fails there, visibly, rather than going out without them."""
    from ..adapters.base import Post, PostImage
    from ..media.names import media_path

    check_images_fit(channel, adapter, item.images)
    images = tuple(PostImage(**i.as_dict(), path=media_path(i.sha256, i.mime)) for i in item.images)
    return Post(
        key=delivery.idempotency_key,
        channel=channel.name,
        item_id=item.id,
        text=render_post(
            item,
            channel,
            adapter.limits,
            own_text=delivery.text_override,
            link=not item.link_in_reply,
        ),
        # The link as the post carries it (UTM parameters included), so link fields and
        # lookups by URL see the same link as the text; none when the first reply carries it.
        url="" if item.link_in_reply else channel_url(item.url, channel),
        title=item.title,
        tags=item.tags,
        category=item.category,
        images=images,
    )


def make_replies(
    channel: ChannelConfig, delivery: DeliveryView, replies: Sequence[str], *, link: str = ""
) -> list[Post]:
    """The posts of a thread's replies on one channel (parts 1, 2, ...), as staff wrote them
    (held to the channel's limit when added, never cut), each under its own key derived from
    the delivery's, so every attempt of a part is the same post to the network. With `link`
    (the item's, when it goes in the first reply), the first carries it, as its text's last
    line and as its `url` (a card where the network makes one). Their `reply_to` is set when
    the part before is out (`xensocial.threads`)."""
    from ..adapters.base import Post

    url = channel_url(link, channel) if link else ""
    return [
        Post(
            key=f"{delivery.idempotency_key}-r{n}",
            channel=channel.name,
            item_id=delivery.item_id,
            text=text,
            url=url if n == 1 else "",
        )
        for n, text in enumerate(reply_texts(replies, url), 1)
    ]


def posted_record(post: Post) -> Posted:
    """What `post` put on the network, as its delivery records it once published."""
    from content_queue.views import Posted

    media = tuple(
        {"sha256": i.sha256, "mime": i.mime, "alt": i.alt, "decorative": i.decorative}
        for i in post.images
    )
    return Posted(
        title=post.title, text=post.text, url=post.url, tags=tuple(post.tags), media=media
    )
