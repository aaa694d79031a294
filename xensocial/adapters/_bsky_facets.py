"""Where a Bluesky post's links and hashtags are: its `app.bsky.richtext.facet`s.

Bluesky shows text as plain text unless the record says otherwise: a link or a `#tag` is
clickable (and a tag searchable) only when a facet covers it. The Bluesky app makes its facets
with `RichText.detectFacets` from the `@atproto/api` package; a post that looks the same as one
typed in the app must carry the same facets, so its rules are our reference, followed here rule
for rule and held to it by `tests/network/adapters/test_bluesky_facets.py`, which runs the package
itself on a generated corpus and compares facet for facet:

- a link is `http://` or `https://` (written in lower case, as the app requires) and every
  character up to the next white space, so an internationalised URL
  (`https://bücher.example/straße?q=ü`) and an IP-literal host (`http://[2001:db8::1]:8080/`)
  are covered whole; one trailing `.,;:!?` is left out, then one `)` when the link has no `(`;
- a tag is `#` or the full-width `＃` at the start or after white space, then the run of
  characters up to the next white space or zero-width character, with its trailing punctuation
  left out; it needs a character that is neither an ASCII digit nor punctuation (`#2026` is no
  tag), at most 64 graphemes long (the lexicon's limit), and not `#` + U+FE0F (the keycap
  emoji). The facet's `tag` is the text without the `#`;
- a cashtag (`$XEN`: a letter, then up to four letters or digits, at the start or after white
  space or `(`, followed by white space, the end or punctuation) is a tag facet too, `$` and
  the ticker upper-cased.

"White space" is JavaScript's `\\s` (which includes U+FEFF and every space separator), and
"digit" is ASCII only, as in JavaScript; the patterns below spell those sets out, because
Python's differ. Offsets are UTF-8 bytes into the text, as the lexicon requires.

Not done: a bare domain without its scheme (`xenproject.org`) stays plain text (the app links it
when its ending is on IANA's list of top-level domains; the item's own link is always written
with its scheme), and `@handle` mentions, which need the handle resolved to a DID first.
"""

from __future__ import annotations

import functools
from typing import Any

import regex

from ..text import graphemes

__all__ = ["LINK", "TAG", "facets"]

LINK = "app.bsky.richtext.facet#link"
TAG = "app.bsky.richtext.facet#tag"

# JavaScript's \s: its WhiteSpace (tab, VT, FF, space, NBSP, U+FEFF and the other space
# separators) and LineTerminator (LF, CR, U+2028, U+2029) characters.
_JS_SPACE = "\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
# What also ends a tag: soft hyphen, word joiner, hair space, zero-width space, (non-)joiner,
# and the combining enclosing keycap.
_TAG_BREAK = "\u00ad\u2060\u200a\u200b\u200c\u200d\u20e2"
_MAX_TAG_GRAPHEMES = 64


@functools.cache
def _patterns() -> tuple[regex.Pattern[str], regex.Pattern[str], regex.Pattern[str]]:
    any_ = f"[^{_JS_SPACE}{_TAG_BREAK}]"
    word = f"[^0-9{_JS_SPACE}\\p{{P}}{_TAG_BREAK}]"
    # The bare-domain branch is matched (and then skipped) so that the links after it are found
    # where the reference finds them: a match consumes the text it covers.
    link = regex.compile(
        rf"(?:^|[{_JS_SPACE}(])"
        rf"(?P<url>[Hh][Tt][Tt][Pp][Ss]?://[^{_JS_SPACE}]+"
        rf"|[A-Za-z][A-Za-z0-9]*(?:\.[A-Za-z0-9]+)+[^{_JS_SPACE}]*)"
    )
    tag = regex.compile(rf"(?:^|[{_JS_SPACE}])[#＃](?P<tag>(?!\ufe0f){any_}*{word}+{any_}*)?")
    cashtag = regex.compile(
        rf"(?:^|[{_JS_SPACE}(])\$(?P<ticker>[A-Za-z][A-Za-z0-9]{{0,4}})"
        rf"(?=[{_JS_SPACE}]|$|[.,;:!?)\"'\u2019])"
    )
    return link, tag, cashtag


_TRAILING_PUNCTUATION = regex.compile(r"\p{P}+$")


def _facet(text: str, start: int, end: int, feature: dict[str, str]) -> dict[str, Any]:
    """A facet over `text[start:end]` (code point offsets), addressed in UTF-8 bytes."""
    byte_start = len(text[:start].encode("utf-8"))
    return {
        "index": {
            "byteStart": byte_start,
            "byteEnd": byte_start + len(text[start:end].encode("utf-8")),
        },
        "features": [feature],
    }


def _links(text: str) -> list[dict[str, Any]]:
    out = []
    for m in _patterns()[0].finditer(text):
        uri = m.group("url")
        if not uri.startswith("http"):  # a bare domain, or a scheme in capitals: not linked
            continue
        if uri[-1] in ".,;:!?":
            uri = uri[:-1]
        if uri.endswith(")") and "(" not in uri:
            uri = uri[:-1]
        start = m.start("url")
        out.append(_facet(text, start, start + len(uri), {"$type": LINK, "uri": uri}))
    return out


def _tags(text: str) -> list[dict[str, Any]]:
    out = []
    for m in _patterns()[1].finditer(text):
        tag = m.group("tag")
        if not tag:
            continue
        tag = _TRAILING_PUNCTUATION.sub("", tag)
        if not tag or graphemes(tag) > _MAX_TAG_GRAPHEMES:
            continue
        start = m.start("tag") - 1  # the "#"
        out.append(_facet(text, start, start + 1 + len(tag), {"$type": TAG, "tag": tag}))
    for m in _patterns()[2].finditer(text):
        ticker = m.group("ticker")
        start = m.start("ticker") - 1  # the "$"
        feature = {"$type": TAG, "tag": "$" + ticker.upper()}
        out.append(_facet(text, start, start + 1 + len(ticker), feature))
    return out


def facets(text: str) -> list[dict[str, Any]]:
    """The link and tag facets of `text`, in the order of their start in the text."""
    found = _links(text) + _tags(text)
    return sorted(found, key=lambda f: f["index"]["byteStart"])
