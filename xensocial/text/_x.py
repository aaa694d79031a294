"""X's weighted length, counted by twitter-text's rules (the PyPI package `twitter-text-parser`).

X measures its 280 limit in twitter-text's v3 units: a code point weighs 1 or 2 by its range,
an emoji sequence that twitter-text knows weighs 2, a link 23. The rules are many and fine (which
sequences are one emoji, where a link ends, which top-level domains make a bare host a link,
how an international host is checked), so we do not keep our own copy of them: ours drifted
(it counted 15,816 of the 20,000 generated texts of tests/unit/text/test_x_length.py differently,
mostly shorter than X). The package is a Python port of twitter-text that passes its
conformance suite; tests/unit/text hold `measure("x", ...)` to it on that generated corpus and on
the suite's own cases.

What follows from taking its answer, exactly:
- Its emoji data is Unicode 12.0. A newer sequence counts as its parts: "🧑🏿‍💻" (Unicode 12.1)
  is 🧑🏿 2 + ZWJ 1 + 💻 2 = 5, and a presentation selector outside a known sequence weighs 2.
- "\\r\\n" counts as one line break; the text is NFC-normalised before counting.
- The package reads its emoji data with `pkg_resources` (setuptools before 82), hence that
  dependency in pyproject.toml; setuptools 67.5 to 81 warn about it on import, which is hidden.

Cost: importing it takes about 0.5 s (it compiles its emoji and link patterns), so it is
imported on the first X count only. Counting takes about 10 µs a character (2.5 ms for 280),
and its link pattern backtracks on a long run of dotted labels with no space in it
("a.a.a…": 0.3 s at 200 characters, 3 s at 800, and growing with the square of the length).
Results are cached, since rendering one item for many channels measures the same text again.
So rendering asks for a count only of a text that might fit (`rendering.countable`: at most
twice the limit plus the post's link), and the item's sizes are checked before it renders at
all (`content_queue.limits.size_problem`): this never sees more than a few hundred characters.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any

__all__ = ["weighted_length"]


@functools.cache
def _parse_tweet() -> Callable[[str], Any]:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "pkg_resources is deprecated", UserWarning)
        from twitter_text import parse_tweet
    parse: Callable[[str], Any] = parse_tweet
    return parse


@functools.lru_cache(maxsize=256)
def weighted_length(text: str) -> int:
    """The length X counts for `text` (at most 280 fit in one post)."""
    return int(_parse_tweet()(text).weightedLength)
