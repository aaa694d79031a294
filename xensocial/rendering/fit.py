"""Does this item fit this channel? The check `queue add`, `edit` and `import` make up front.

An item that cannot be posted on a channel it targets is refused when staff add or edit it, not
when its slot comes: the check renders it with `render_post`, the function the daemon posts
with, and the adapter CLASS's `limits` (no credentials, no network), so what staff are told
fits is what is sent. `counted_length` and `length_unit` are the count `preview` and
`queue edit --channel --text` show, with the counter `render_post` fits with.

It lives in the rendering layer, not the CLI, because it is a rule about items and networks:
the commands call it and print what it says.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .template import channel_url, length_counter, render_post

if TYPE_CHECKING:
    from ..adapters.base import Adapter, TextLimits
    from ..config import ChannelConfig, Settings
    from .template import Renderable

__all__ = [
    "Draft",
    "adapter_class",
    "check_fits",
    "check_fits_channels",
    "counted_length",
    "length_unit",
    "own_text_length",
    "preview_post",
]


@dataclass(frozen=True)
class Draft:
    """An item as it would be after an edit: what rendering reads (see `Renderable`)."""

    url: str
    title: str
    text: str
    category: str
    tags: Sequence[str]


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
    item: Renderable, channel: ChannelConfig, limits: TextLimits, *, own_text: str | None = None
) -> None:
    """Raise TextTooLong (or ValueError for a bad template) unless `item` can be posted on
    `channel`; `queue add` calls it so that an item that cannot fit is refused up front, and
    `queue edit --channel` so that a channel's own text that cannot fit is refused."""
    render_post(item, channel, limits, own_text=own_text)


def check_fits_channels(
    settings: Settings,
    item: Renderable,
    channels: Iterable[str],
    own_texts: Mapping[str, str] | None = None,
) -> None:
    """Raise TextTooLong (exit 2: it names the channel, the counted length and the limit)
    unless `item` can be posted on every one of `channels` (in a channel's own words where
    `own_texts` has some)."""
    for name in channels:
        channel = settings.channel(name)
        own = (own_texts or {}).get(name)
        check_fits(item, channel, adapter_class(settings, channel).limits, own_text=own)


def own_text_length(
    settings: Settings, item: Renderable, name: str, text: str
) -> tuple[int, int, str]:
    """How long `item` is on channel `name` in the words `text`: its counted length, the limit
    and the unit, with the rendering and the counter `preview` uses. Raises TextTooLong (naming
    the count and the limit) when it does not fit: own words are never cut."""
    channel = settings.channel(name)
    limits = adapter_class(settings, channel).limits
    rendered = render_post(item, channel, limits, own_text=text)
    counted = counted_length(channel.network, limits, rendered)
    return counted, limits.max_length, length_unit(channel.network, limits)


def preview_post(
    settings: Settings, item: Renderable, name: str, *, own_text: str | None = None
) -> dict[str, object]:
    """What `item` would be posted as on channel `name`, as `xensocial preview` and the web
    console show it: the exact text, the link as posted, its counted length against the limit
    (and its UTF-8 size where the network caps that too). Raises TextTooLong when it cannot fit,
    ConfigError/UsageError for a channel that is not configured."""
    from ..text import utf8_size

    channel = settings.channel(name)
    limits = adapter_class(settings, channel).limits
    text = render_post(item, channel, limits, own_text=own_text)
    return {
        "channel": name,
        "network": channel.network,
        "text": text,
        "url": channel_url(item.url, channel),
        "length": counted_length(channel.network, limits, text),
        "limit": limits.max_length,
        "unit": length_unit(channel.network, limits),
        # The size in UTF-8, and the network's cap on it (None: no cap but the length).
        "bytes": utf8_size(text),
        "byte_limit": limits.max_bytes,
        "own_text": own_text is not None,
    }
