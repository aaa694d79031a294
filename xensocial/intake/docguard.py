"""Cheap checks that refuse a hostile feed document before it is parsed.

**Tags.** feedparser spends about 50 µs of pure Python on every tag it meets, in the XML itself
and again in the HTML of each summary it sanitizes (escaped `&lt;p&gt;` included). The fetcher's
size cap bounds the bytes, not the tags: 10 MB of `<x/>` is 2.6 million tags, minutes of CPU for
one poll, and no deadline can interrupt a parse running in a thread. So before parsing, the tags
are counted with one regular expression (about 30 ms for 10 MB), and a document with more than
`MAX_TAGS` is refused. Real blog feeds have a few thousand; the limit leaves a wide margin and
caps a parse at a few seconds.

**Entities.** A document whose DOCTYPE declares entities is the shape of an entity-expansion
attack ("billion laughs": each entity ten of the one before, 3 GB from 1 KB) or an external
entity reading a local file. feedparser parses such a document safely (it drops the
declarations), but then hands back the unexpanded reference (`&lol9;`) as an entry's title,
which would be queued and, with `auto_approve`, posted. No real feed declares entities, so the
document is refused whole. Only the prolog is read (expat, stopped at the first element: a few
microseconds, whatever the size), so a post *about* entities in a CDATA section is not mistaken
for one; a prolog expat cannot read (an unknown encoding) is searched for a DOCTYPE with an
entity in its internal subset instead. What either check misses is still caught after parsing:
a title holding an unexpanded entity reference is not plain text (`entries.plain_title`).
"""

from __future__ import annotations

import re
import xml.parsers.expat

from ..errors import IntakeError

__all__ = [
    "MAX_TAGS",
    "EntitiesDeclaredError",
    "MarkupTooComplexError",
    "check_document",
    "check_entities",
    "check_markup",
]

MAX_TAGS = 100_000

# A tag start, raw or escaped: what feedparser (and its HTML sanitizer) will handle one by one.
_TAG = re.compile(rb"<[A-Za-z_:/!?]|&lt;[A-Za-z/!]|&#0*60;[A-Za-z/!]|&#x0*3c;[A-Za-z/!]", re.I)


# A DOCTYPE with an internal subset declaring an entity, in bytes (the fallback of
# `check_entities` for a prolog expat cannot read).
_DECLARED = re.compile(rb"<!DOCTYPE[^>\[]*\[[^\]]*<!ENTITY\s+(?:%\s+)?([^\s>]+)", re.I)


class MarkupTooComplexError(IntakeError, ValueError):
    """The document has more tags than any feed needs; the message says how many."""


class EntitiesDeclaredError(IntakeError, ValueError):
    """The document declares entities in its DOCTYPE; the message names the first."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(
            f"refused: the document declares its own entities ({name!r} in its DOCTYPE), the "
            "shape of an entity-expansion attack; no real feed needs them"
        )


class _Stop(Exception):
    """Raised inside expat's handlers to end the prolog's parse early."""


def check_document(body: bytes) -> None:
    """Both checks, as every feed parse runs them: MarkupTooComplexError or
    EntitiesDeclaredError (both ValueError)."""
    check_entities(body)
    check_markup(body)


def check_entities(body: bytes) -> None:
    """Raise EntitiesDeclaredError when `body`'s DOCTYPE declares an entity (general or
    parameter, internal or external)."""
    parser = xml.parsers.expat.ParserCreate()
    declared: list[str] = []

    def entity(name: str, *_: object) -> None:
        declared.append(name)
        raise _Stop

    def element(*_: object) -> None:
        raise _Stop  # the prolog is over: nothing can be declared after it

    parser.EntityDeclHandler = entity
    parser.StartElementHandler = element
    try:
        parser.Parse(body, True)
    except _Stop:
        pass
    except (xml.parsers.expat.ExpatError, LookupError, ValueError):
        found = _DECLARED.search(body)
        if found is not None:
            declared.append(found.group(1).decode("ascii", "replace"))
    if declared:
        raise EntitiesDeclaredError(declared[0])


def check_markup(body: bytes, *, max_tags: int = MAX_TAGS) -> None:
    """Raise MarkupTooComplexError when `body` has more than `max_tags` tags."""
    for count, _ in enumerate(_TAG.finditer(body), start=1):
        if count > max_tags:
            raise MarkupTooComplexError(
                f"refused: more than {max_tags} tags in {len(body)} bytes "
                "(parsing it would take minutes; no real feed is this complex)"
            )
