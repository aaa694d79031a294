"""X's weighted length (twitter-text v3), the unit X's 280 limit is measured in.

Each code point weighs 1 or 2 by its range (Latin and general punctuation 1, the rest, CJK
included, 2); an emoji sequence, however many code points it has, weighs 2; a link weighs 23.
The text is NFC-normalised first, as X does, so a decomposed "Á" counts once.
"""

from __future__ import annotations

import functools
import unicodedata

import regex

from ._urls import find_urls

__all__ = ["URL_WEIGHT", "weighted_length"]

# The v3 configuration (twitter-text config/v3.json), in whole characters: scale 100,
# defaultWeight 200, these ranges 100, transformedURLLength 23.
_LIGHT_RANGES = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))
_DEFAULT_WEIGHT = 2
URL_WEIGHT = 23


@functools.cache
def _emoji() -> regex.Pattern[str]:
    # One emoji as X sees it: a flag (two regional indicators), a keycap, or pictographs joined
    # by ZWJ, each with an optional presentation selector, skin tone and tag sequence.
    # Text-style pictographs such as a bare "©" are taken as emoji too: that may count one
    # more than X does, never one less.
    element = (
        r"(?:\p{Extended_Pictographic}|\p{Emoji_Presentation})"
        r"\uFE0F?\p{Emoji_Modifier}?[\U000E0020-\U000E007E]*\U000E007F?"
    )
    return regex.compile(
        rf"\p{{Regional_Indicator}}{{2}}|[0-9#*]\uFE0F?\u20E3|{element}(?:\u200D{element})*"
    )


def _weight(char: str) -> int:
    cp = ord(char)
    for low, high in _LIGHT_RANGES:
        if low <= cp <= high:
            return 1
    return _DEFAULT_WEIGHT


def _plain(text: str) -> int:
    total = 0
    pos = 0
    for m in _emoji().finditer(text):
        total += sum(_weight(c) for c in text[pos : m.start()]) + _DEFAULT_WEIGHT
        pos = m.end()
    return total + sum(_weight(c) for c in text[pos:])


def weighted_length(text: str) -> int:
    """The length X counts for `text` (at most 280 fit in one post)."""
    text = unicodedata.normalize("NFC", text)
    total = 0
    pos = 0
    for start, end in find_urls(text):
        total += _plain(text[pos:start]) + URL_WEIGHT
        pos = end
    return total + _plain(text[pos:])
