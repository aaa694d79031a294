"""Does this item fit this channel? The check `queue add`, `edit` and `import` make up front.

Its images too (`image_problem`, `check_images_fit`): each channel's adapter class declares
the images its network takes (`MediaLimits`: types, bytes, pixels, count, alt text length), and
an image that cannot be posted on a target channel is refused at add, naming the channel and
the rule; `make_post` asks the same function, so an image is never dropped on the way out. A
byte limit alone does not refuse: the upload re-encodes down to it (`media.reencode`), and
`image_notes` (what `preview` prints) says so.

An item that cannot be posted on a channel it targets is refused when staff add or edit it, not
when its slot comes: the check renders it with `render_post`, the function the daemon posts
with, and the adapter CLASS's `limits` (no credentials, no network), so what staff are told
fits is what is sent. `counted_length` and `length_unit` are the count `preview` and
`queue edit --channel --text` show, with the counter `render_post` fits with.

An item's replies (a thread's parts after the post, `queue add --reply`) are held here too, each
to each target channel's limit as written (never cut: `check_replies_fit`), on a channel whose
adapter can post them at all (`Adapter.replies_as`); `reply_lengths` is their count in `preview`.

It lives in the rendering layer, not the CLI, because it is a rule about items and networks:
the commands call it and print what it says.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import BadInput
from .template import TextTooLong, channel_url, countable, length_counter, render_post

if TYPE_CHECKING:
    from content_queue.views import ItemImage

    from ..adapters.base import Adapter, MediaLimits, TextLimits
    from ..config import ChannelConfig, Settings
    from .template import Renderable

__all__ = [
    "Draft",
    "ImageDoesNotFit",
    "adapter_class",
    "check_fits",
    "check_fits_channels",
    "check_images_fit",
    "check_replies_fit",
    "reply_lengths",
    "reply_texts",
    "counted_length",
    "image_notes",
    "image_problem",
    "length_unit",
    "own_text_length",
    "preview_post",
]


class ImageDoesNotFit(BadInput, ValueError):
    """An item's image cannot be posted on a channel it targets; the message names the
    channel, its network and the rule (exit 2 at add; a failed delivery at post time)."""


@dataclass(frozen=True)
class Draft:
    """An item as it would be after an edit: what rendering reads (see `Renderable`)."""

    url: str
    title: str
    text: str
    category: str
    tags: Sequence[str]
    images: Sequence[ItemImage] = ()


def adapter_class(settings: Settings, channel: ChannelConfig) -> type[Adapter]:
    """The adapter class of `channel`, imported; ConfigError naming the channel if it cannot be."""
    from ..adapters.registry import AdapterLoadError, UnknownAdapter, load
    from ..errors import ConfigError

    try:
        return load(channel.network)
    except (UnknownAdapter, AdapterLoadError) as exc:
        raise ConfigError(settings.source, f"channel {channel.name!r}", str(exc)) from None


def counted_length(network: str, limits: TextLimits, text: str) -> int:
    """`text`'s length on `network`, as `render_post` counts it (`length_counter`)."""
    return length_counter(network, limits)(text)


def length_unit(network: str, limits: TextLimits) -> str:
    """How `counted_length` counts on `network`, in words (shown next to the count)."""
    if network == "x":
        return "weighted characters (twitter-text v3: CJK and emoji 2, each link 23)"
    if network == "mastodon":
        return "characters, each link 23 (Mastodon's default limit; an instance may allow more)"
    if network == "bluesky":
        return "graphemes"
    if limits.url_length is not None:
        return f"characters, each link {limits.url_length}"
    return "characters"


def check_fits(
    item: Renderable,
    channel: ChannelConfig,
    limits: TextLimits,
    *,
    own_text: str | None = None,
    link: bool = True,
) -> None:
    """Raise TextTooLong (or ValueError for a bad template) unless `item` can be posted on
    `channel`; `queue add` calls it so that an item that cannot fit is refused up front, and
    `queue edit --channel` so that a channel's own text that cannot fit is refused."""
    render_post(item, channel, limits, own_text=own_text, link=link)


def check_fits_channels(
    settings: Settings,
    item: Renderable,
    channels: Iterable[str],
    own_texts: Mapping[str, str] | None = None,
    images: Sequence[ItemImage] = (),
    *,
    link: bool = True,
) -> None:
    """Raise TextTooLong (exit 2: it names the channel, the counted length and the limit)
    unless `item` can be posted on every one of `channels` (in a channel's own words where
    `own_texts` has some); ImageDoesNotFit unless `images` can be posted there too. `link`
    False: without the link, which goes in the first reply."""
    for name in channels:
        channel = settings.channel(name)
        own = (own_texts or {}).get(name)
        adapter = adapter_class(settings, channel)
        check_fits(item, channel, adapter.limits, own_text=own, link=link)
        check_images_fit(channel, adapter, images)


def _sized(n: int) -> str:
    return f"{n:,} bytes"


def image_problem(network: str, limits: MediaLimits, images: Sequence[ItemImage]) -> str | None:
    """Why `images` cannot be posted together on `network` under `limits`, or None: the one
    rule add, edit, import and `make_post` apply. A byte limit is not a reason (the upload
    re-encodes down to it); pixels, type, count and alt text length are."""
    if not images:
        return None
    if not limits.uploads or not limits.max_images:
        return (
            f"{network} takes no images from xensocial yet (its upload is not built); "
            "leave this channel out with --channel, or post without images"
        )
    if len(images) > limits.max_images:
        return f"{network} takes at most {limits.max_images} images a post, not {len(images)}"
    for n, image in enumerate(images, start=1):
        if limits.types and image.mime not in limits.types:
            takes = ", ".join(sorted(limits.types))
            return f"image {n} is {image.mime}; {network} takes {takes}"
        pixels = image.width * image.height
        if limits.max_pixels is not None and pixels > limits.max_pixels:
            return (
                f"image {n} is {image.width}×{image.height} ({pixels:,} pixels); {network} "
                f"takes at most {limits.max_pixels:,} pixels (scale it down yourself: "
                "xensocial never crops or shrinks the picture)"
            )
        for side, value, most in (
            ("wide", image.width, limits.max_width),
            ("high", image.height, limits.max_height),
        ):
            if most is not None and value > most:
                return f"image {n} is {value} pixels {side}; {network} takes at most {most}"
        if limits.alt_max_length is not None and len(image.alt) > limits.alt_max_length:
            return (
                f"the alt text of image {n} is {len(image.alt):,} characters; {network} "
                f"takes at most {limits.alt_max_length:,}"
            )
    return None


def check_images_fit(
    channel: ChannelConfig, adapter: Adapter | type[Adapter], images: Sequence[ItemImage]
) -> None:
    """ImageDoesNotFit naming `channel` and the rule, unless `images` can be posted there."""
    problem = image_problem(channel.network, adapter.media_limits, images)
    if problem is not None:
        raise ImageDoesNotFit(f"channel {channel.name!r}: {problem}")


def image_notes(limits: MediaLimits, image: ItemImage) -> list[str]:
    """What `preview` says of one image on one network: its alt text counted against the
    network's limit, and whether the upload will re-encode it to fit a byte limit."""
    alt = "decorative (no alt text)" if image.decorative else f"alt {len(image.alt):,}"
    if not image.decorative:
        alt += (
            f" of {limits.alt_max_length:,} characters"
            if limits.alt_max_length is not None
            else " characters (no limit)"
        )
    notes = [alt]
    if limits.max_bytes is not None and image.bytes > limits.max_bytes:
        notes.append(f"re-encoded down to {_sized(limits.max_bytes)} when uploaded, never cropped")
    return notes


def own_text_length(
    settings: Settings, item: Renderable, name: str, text: str
) -> tuple[int, int, str]:
    """How long `item` is on channel `name` in the words `text`: its counted length, the limit
    and the unit, with the rendering and the counter `preview` uses. Raises TextTooLong (naming
    the count and the limit) when it does not fit: own words are never cut."""
    channel = settings.channel(name)
    limits = adapter_class(settings, channel).limits
    link = not getattr(item, "link_in_reply", False)  # an ItemView says; a draft has a link
    rendered = render_post(item, channel, limits, own_text=text, link=link)
    counted = counted_length(channel.network, limits, rendered)
    return counted, limits.max_length, length_unit(channel.network, limits)


def reply_texts(replies: Sequence[str], link: str = "") -> list[str]:
    """The replies as posted: as staff wrote them, the first followed by `link` (the item's,
    as the channel posts it) when the link goes in the first reply. The one composition the
    fit check, `preview` and the publisher share."""
    if not link or not replies:
        return list(replies)
    return [f"{replies[0]}\n\n{link}", *replies[1:]]


def reply_lengths(
    settings: Settings, name: str, replies: Sequence[str], *, link: str = ""
) -> list[tuple[int, int, str]]:
    """Each reply's counted length on channel `name`, its limit and the unit (`preview`), the
    first with the item's `link` when it goes there (`reply_texts`, as it is posted); a reply
    too long to be worth counting (`countable`) shows its length in code points."""
    channel = settings.channel(name)
    replies = reply_texts(replies, channel_url(link, channel) if link else "")
    limits = adapter_class(settings, channel).limits
    count = length_counter(channel.network, limits)
    unit = length_unit(channel.network, limits)
    out = []
    for reply in replies:
        fits_counting = countable(reply, limits.max_length, max_bytes=limits.max_bytes)
        out.append((count(reply) if fits_counting else len(reply), limits.max_length, unit))
    return out


def check_replies_fit(
    settings: Settings, replies: Sequence[str], channels: Iterable[str], *, link: str = ""
) -> None:
    """Raise TextTooLong (exit 2), naming the channel, the part and the count, unless every
    reply can be posted as written on every one of `channels` (the first with `link`, when the
    item's link goes there); an adapter that cannot post replies at all is refused by name."""
    if not replies:
        return
    for name in channels:
        channel = settings.channel(name)
        adapter = adapter_class(settings, channel)
        limits = adapter.limits
        if not adapter.replies_as:
            problem = f"{channel.network} channels cannot post replies (remove --reply)"
            raise TextTooLong(channel.network, 0, 0, channel=name, problem=problem)
        texts = reply_texts(replies, channel_url(link, channel) if link else "")
        counts = reply_lengths(settings, name, replies, link=link)
        for n, (counted, limit, unit) in enumerate(counts, 1):
            size = len(texts[n - 1].encode("utf-8"))
            if counted > limit:
                problem = f"reply {n} counts {counted:,} {unit.split(' (')[0]}, over {limit:,}"
            elif limits.max_bytes is not None and size > limits.max_bytes:
                problem = f"reply {n} is {size:,} bytes, over {limits.max_bytes:,}"
            else:
                continue
            raise TextTooLong(channel.network, counted, limit, channel=name, problem=problem)


def preview_post(
    settings: Settings,
    item: Renderable,
    name: str,
    *,
    own_text: str | None = None,
    images: Sequence[ItemImage] = (),
    replies: Sequence[str] = (),
    link_in_reply: bool = False,
) -> dict[str, object]:
    """What `item` would be posted as on channel `name`, as `xensocial preview` and the web
        console show it: the exact text, the link as posted, its counted length against the limit
        (and its UTF-8 size where the network caps that too), and each of `images` (the item's)
        with its notes and why they cannot go out there, if so. Raises TextTooLong when the text
        cannot fit, ConfigError/UsageError for a channel that is not configured. A thread's `replies`
    are listed each with its length and limit (docs/threads.md), the first carrying the link when
    `link_in_reply`."""
    from ..text import utf8_size

    channel = settings.channel(name)
    adapter = adapter_class(settings, channel)
    limits, media = adapter.limits, adapter.media_limits
    text = render_post(item, channel, limits, own_text=own_text, link=not link_in_reply)
    link = item.url if link_in_reply else ""  # it goes in the first reply
    reply_link = channel_url(item.url, channel) if link_in_reply else ""
    return {
        "channel": name,
        "network": channel.network,
        "text": text,
        "url": channel_url(item.url, channel),
        "link_in_reply": link_in_reply,
        "length": counted_length(channel.network, limits, text),
        "limit": limits.max_length,
        "unit": length_unit(channel.network, limits),
        # The size in UTF-8, and the network's cap on it (None: no cap but the length).
        "bytes": utf8_size(text),
        "byte_limit": limits.max_bytes,
        "own_text": own_text is not None,
        "images": [{**image.as_dict(), "notes": image_notes(media, image)} for image in images],
        # Why these images cannot go out there (None: they can), as add refuses them.
        "image_problem": image_problem(channel.network, media, images),
        # A thread's replies (docs/threads.md): each with its own length and limit.
        "replies": [
            {"text": reply, "length": length, "limit": limit}
            for reply, (length, limit, _) in zip(
                reply_texts(replies, reply_link),
                reply_lengths(settings, name, replies, link=link),
                strict=True,
            )
        ],
    }
