"""How long a text is, counted the way each network counts it.

Every network has its own unit: X weighs characters and counts a link as 23 (twitter-text v3,
counted by a port of twitter-text: see `_x`), Mastodon counts graphemes with a link as 23 and a
remote mention without its domain, Bluesky counts graphemes, Facebook and LinkedIn count
characters. `measure` is the one place that knows this, so rendering, `queue add` and `preview`
cannot disagree about whether a post fits. Some networks also cap a text's size in bytes
(Bluesky: 3,000 of UTF-8, `TextLimits.max_bytes`); `utf8_size` is that count.
"""

from __future__ import annotations

import regex

from ._urls import find_urls
from ._x import weighted_length

__all__ = ["DEFAULT_LIMITS", "NETWORKS", "find_urls", "graphemes", "measure", "utf8_size"]

# Posts' length limits, each in its network's unit (see `measure`). Mastodon's is the default of
# an instance; an instance may allow more (its /api/v2/instance says how many).
DEFAULT_LIMITS: dict[str, int] = {
    "x": 280,
    "mastodon": 500,
    "bluesky": 300,
    "facebook": 63206,
    "linkedin": 3000,
}
# The networks `measure` knows; "outbox" (the built-in file adapter) counts characters.
NETWORKS: tuple[str, ...] = ("x", "mastodon", "bluesky", "facebook", "linkedin", "outbox")

# Mastodon counts every link as 23 characters, whatever its length.
_MASTODON_URL_WEIGHT = 23
# Mastodon counts "@user@example.social" as "@user": the domain is free.
_REMOTE_MENTION = regex.compile(
    r"(?<![=/\w])@([a-z0-9_]+(?:[a-z0-9_.\-]+[a-z0-9_]+)?)@[\w.\-]+\w", regex.IGNORECASE
)


def graphemes(text: str) -> int:
    """The number of user-perceived characters (extended grapheme clusters) in `text`."""
    return len(regex.findall(r"\X", text))


def utf8_size(text: str) -> int:
    """The size of `text` in bytes of UTF-8, the encoding every network's API carries it in (a
    lone surrogate, which no network accepts, counts its 3 bytes rather than raising)."""
    return len(text.encode("utf-8", errors="surrogatepass"))


def _mastodon(text: str) -> int:
    text = _REMOTE_MENTION.sub(r"@\1", text)
    total = 0
    pos = 0
    for start, end in find_urls(text, require_protocol=True):
        total += graphemes(text[pos:start]) + _MASTODON_URL_WEIGHT
        pos = end
    return total + graphemes(text[pos:])


def measure(network: str, text: str) -> int:
    """The length of `text` on `network` (a registry name such as "x"), in that network's unit.

    Raises ValueError for a network it does not know (see `NETWORKS`)."""
    if network == "x":
        return weighted_length(text)
    if network == "mastodon":
        return _mastodon(text)
    if network == "bluesky":
        return graphemes(text)
    if network in ("facebook", "linkedin", "outbox"):
        return len(text)
    raise ValueError(
        f"cannot measure text for network {network!r}; known networks: {', '.join(NETWORKS)}"
    )
