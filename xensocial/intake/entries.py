"""From a feed document's bytes to clean entries: parsing, stable keys, plain text, filters.

feedparser reads every format (RSS 0.9x/1.0/2.0, Atom) and resolves relative links against
`xml:base` and the document's URL. What it hands back is made plain here:

- the entry key, stable across polls: the entry's id/guid, else its canonical link, else a hash
  of its words (an entry with none of these is still recognised when it shows up again);
- the title and summary as plain text: HTML stripped, entities decoded, controls and bidi
  overrides removed (`content_queue.plaintext`), whitespace folded; a
  title still holding an entity reference or a tag after that (`plain_title`) is no text a
  person wrote but what a hostile document left behind (`&lol9;` from a "billion laughs"
  feed), and the whole document is refused: nothing is queued from it;
- the order newest first (by date; undated entries keep document order, after dated ones), so
  the "queue only the newest N" rule of a new feed takes the right ones.

Pure functions over bytes: no network, no database.
"""

from __future__ import annotations

import calendar
import hashlib
import html
import importlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

from content_queue.errors import InvalidItem
from content_queue.plaintext import inert
from content_queue.sources import EntryData
from content_queue.urls import canonical_url

from ..errors import IntakeError

__all__ = [
    "FeedParseError",
    "NotPlainText",
    "ParsedFeed",
    "clean_text",
    "matches",
    "parse_feed",
    "plain_title",
]

_WHITESPACE = re.compile(r"\s+")
_SKIPPED_TAGS = frozenset({"script", "style", "head", "title", "noscript", "template"})
_BLOCK_TAGS = frozenset({"p", "br", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6"})
# What plain text cannot hold once `clean_text` has decoded every entity HTML knows and
# stripped every tag: a reference to an entity nobody defined, or a tag.
_ENTITY_REF = re.compile(r"&[A-Za-z_:][\w.:-]*;")
_TAG = re.compile(r"<[A-Za-z/!?]")


class FeedParseError(IntakeError):
    """The document is not a feed feedparser can read, or is refused; the message says why."""


class NotPlainText(IntakeError, ValueError):
    """A title that is not plain text once cleaned; the message says what it still holds."""


@dataclass(frozen=True)
class ParsedFeed:
    title: str
    entries: tuple[EntryData, ...]  # newest first, duplicates of a key removed
    problem: str | None  # feedparser's complaint about a document it read anyway


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED_TAGS:
            self._skip += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_TAGS and self._skip:
            self._skip -= 1
        elif tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def clean_text(value: str) -> str:
    """Plain text from a fragment of HTML (or text with entities): tags stripped, entities
    decoded, runs of whitespace folded to one space."""
    if "<" in value or "&" in value:
        extractor = _TextExtractor()
        extractor.feed(value)
        extractor.close()
        value = html.unescape("".join(extractor.parts))  # double-escaped feeds: &amp;amp;
    # A feed's words are a stranger's: made inert (`plaintext`) before anything uses them.
    return _WHITESPACE.sub(" ", inert(value, "entry", strict=False)).strip()


def plain_title(value: str) -> str:
    """`value` as plain text (`clean_text`); NotPlainText when what is left still holds an
    entity reference (`&lol9;`) or a tag, which no person's title does."""
    title = clean_text(value)
    for pattern, what in ((_ENTITY_REF, "an unexpanded entity reference"), (_TAG, "markup")):
        found = pattern.search(title)
        if found is not None:
            shown = title[found.start() : found.start() + 20]
            raise NotPlainText(f"{what}: {shown!r}")
    return title


def matches(text: str, include: Sequence[str], exclude: Sequence[str]) -> bool:
    """Whether an entry with this text passes the feed's keywords (case-insensitive): at least
    one `include` keyword when any is given, and no `exclude` keyword."""
    folded = text.casefold()
    if include and not any(k.casefold() in folded for k in include):
        return False
    return not any(k.casefold() in folded for k in exclude)


def _link(entry: Any) -> str | None:
    candidates = [entry.get("link")]
    candidates += [
        ln.get("href") for ln in entry.get("links", []) if ln.get("rel", "alternate") == "alternate"
    ]
    if entry.get("guidislink"):
        candidates.append(entry.get("id"))
    for candidate in candidates:
        if isinstance(candidate, str) and candidate.strip():
            try:
                canonical_url(candidate)
            except InvalidItem:
                continue
            return candidate.strip()
    return None


def _summary(entry: Any) -> str:
    summary = entry.get("summary")
    if not summary:
        contents = entry.get("content") or []
        summary = contents[0].get("value", "") if contents else ""
    return clean_text(summary or "")


def _timestamp(entry: Any) -> int | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            return calendar.timegm(value)
    return None


def parse_feed(
    body: bytes,
    *,
    url: str,
    content_type: str | None = None,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
) -> ParsedFeed:
    """Parse a feed document fetched from `url` (the base of its relative links).

    Raises FeedParseError when it is not a feed at all, or is refused whole: too many tags,
    entities declared in its DOCTYPE (`docguard`), or an entry whose title is not plain text
    (`plain_title`). A feed with small faults (a wrong encoding declaration) is read anyway and
    `problem` says what was wrong."""
    # Imported here (the CLI's fast paths must not pay for it), through importlib because
    # feedparser ships no type information.
    feedparser: Any = importlib.import_module("feedparser")
    from .docguard import check_document

    try:  # a tag bomb or an entity bomb is refused unparsed (see docguard)
        check_document(body)
    except ValueError as refused:
        raise FeedParseError(str(refused)) from None

    # Without a content type feedparser complains (NonXMLContentType) about a sound document.
    headers = {"content-location": url, "content-type": content_type or "application/xml"}
    parsed = feedparser.parse(body, response_headers=headers, sanitize_html=True)
    problem = None
    if parsed.get("bozo"):
        exc = parsed.get("bozo_exception")
        problem = f"{type(exc).__name__}: {exc}" if exc is not None else "malformed feed"
        if not parsed.entries and not parsed.feed.get("title"):
            raise FeedParseError(f"not a readable feed ({problem})")
    if not parsed.get("version") and not parsed.entries:
        raise FeedParseError("not a feed (no RSS or Atom document found)")
    dated: list[tuple[int, int, EntryData]] = []
    undated: list[EntryData] = []
    seen: set[str] = set()
    for index, entry in enumerate(parsed.entries):
        try:
            title = plain_title(entry.get("title", "") or "")
        except NotPlainText as exc:
            raise FeedParseError(
                f"refused: the title of entry {index + 1} is not plain text ({exc}); "
                "nothing was queued from this feed"
            ) from None
        text = _summary(entry)
        link = _link(entry)
        if not (title or text or link):
            continue  # nothing to post or to recognise (what a truncated document leaves)
        words = f"{title}\x00{text}"
        content_hash = hashlib.sha256(words.encode("utf-8")).hexdigest()
        ident = (entry.get("id") or "").strip()
        if ident:
            key = f"id:{ident}"
        elif link:
            key = f"link:{canonical_url(link)}"
        else:
            key = f"hash:{content_hash}"
        if key in seen:  # a duplicate guid: the first (usually newest) copy wins
            continue
        seen.add(key)
        data = EntryData(
            key=key,
            url=link,
            title=title,
            text=text,
            content_hash=content_hash,
            wanted=matches(f"{title}\n{text}", include, exclude),
        )
        stamp = _timestamp(entry)
        if stamp is None:
            undated.append(data)
        else:
            dated.append((-stamp, index, data))
    ordered = [d for _, _, d in sorted(dated, key=lambda t: (t[0], t[1]))] + undated
    return ParsedFeed(
        title=clean_text(parsed.feed.get("title", "") or ""),
        entries=tuple(ordered),
        problem=problem,
    )
