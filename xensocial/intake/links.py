"""A curated link's title, description and image, read from the page it points to.

Staff add a link by URL alone (`queue add URL`); the words for the post come from the page's
own metadata, in the order publishers maintain them best: Open Graph (`og:title`...), then the
Twitter card (`twitter:title`...), then the `<title>` element and `<meta name="description">`.
The page is fetched by `fetch` under the same limits as feeds (timeouts, deadline, address
guard), and only its first 512 KB are read: the metadata lives in `<head>`, and a page (or a
1 GB file behind a link) must not cost more. Parsing uses the standard library's forgiving
`html.parser`, which never raises on broken markup and expands no entities beyond HTML's own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from html.parser import HTMLParser
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from content_queue.plaintext import inert

if TYPE_CHECKING:
    import httpx

    from .fetch import FetchLimits

__all__ = ["HEAD_BYTES", "LinkMetadata", "fetch_link_metadata", "parse_metadata"]

HEAD_BYTES = 512 * 1024
_MAX_TITLE = 300
_MAX_DESCRIPTION = 1000
_WHITESPACE = re.compile(r"\s+")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)""", re.I)
_HTML_TYPES = ("text/html", "application/xhtml+xml")


@dataclass(frozen=True)
class LinkMetadata:
    """What a page says about itself; None for what it does not say. `url`: the page's own
    canonical URL (og:url or `<link rel=canonical>`), else the URL finally fetched."""

    title: str | None
    description: str | None
    image: str | None
    url: str


def fetch_link_metadata(
    url: str, limits: FetchLimits, *, client: httpx.Client | None = None
) -> LinkMetadata:
    """Fetch `url` (its first 512 KB) and read its metadata; raise FetchError when it fails.

    A page that is not HTML (a PDF, an image) has no metadata: all None but the URL."""
    from .fetch import fetch

    head = replace(limits, max_bytes=min(limits.max_bytes, HEAD_BYTES))
    result = fetch(
        url,
        limits=head,
        client=client,
        accept="text/html,application/xhtml+xml;q=0.9,*/*;q=0.1",
        truncate=True,
    )
    mime = (result.content_type or "text/html").split(";", 1)[0].strip().lower()
    if result.body is None or mime not in _HTML_TYPES:
        return LinkMetadata(None, None, None, result.url)
    return parse_metadata(result.body, result.url, result.content_type)


def parse_metadata(body: bytes, url: str, content_type: str | None = None) -> LinkMetadata:
    """Read the metadata of an HTML document fetched from `url` (the base of relative URLs)."""
    parser = _MetaParser()
    parser.feed(_decode(body, content_type))
    parser.close()
    found = parser.found

    def first(*keys: str, limit: int) -> str | None:
        for key in keys:
            value = _clean(found.get(key, ""))
            if value:
                return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"
        return None

    image = first(
        "og:image:secure_url", "og:image", "twitter:image", "twitter:image:src", limit=2000
    )
    canonical = first("og:url", "canonical", limit=2000)
    return LinkMetadata(
        title=first("og:title", "twitter:title", "title", limit=_MAX_TITLE),
        description=first(
            "og:description", "twitter:description", "description", limit=_MAX_DESCRIPTION
        ),
        image=_absolute(image, url),
        url=_absolute(canonical, url) or url,
    )


def _clean(text: str) -> str:
    # A page's words are a stranger's: made inert (`plaintext`) before anything uses or shows them.
    return _WHITESPACE.sub(" ", inert(text, "page", strict=False)).strip()


def _absolute(value: str | None, base: str) -> str | None:
    if not value:
        return None
    joined = urljoin(base, value)
    return joined if urlsplit(joined).scheme in ("http", "https") else None


def _decode(body: bytes, content_type: str | None) -> str:
    """The header's charset, else a `<meta charset>` near the top, else UTF-8; never raises."""
    candidates: list[str] = []
    if content_type and "charset=" in content_type.lower():
        candidates.append(content_type.lower().split("charset=", 1)[1].split(";")[0].strip(" \"'"))
    match = _META_CHARSET.search(body[:2048])
    if match:
        candidates.append(match.group(1).decode("ascii", "replace"))
    if body.startswith(b"\xef\xbb\xbf"):
        candidates.insert(0, "utf-8-sig")
    for charset in [*candidates, "utf-8"]:
        try:
            return body.decode(charset, errors="replace")
        except LookupError:  # an unknown charset name: try the next
            continue
    return body.decode("utf-8", errors="replace")  # pragma: no cover - utf-8 always exists


class _MetaParser(HTMLParser):
    """Collects the first value of each metadata key, anywhere in the document (some sites put
    their meta tags in `<body>`); `<title>` only outside `<svg>` (an SVG's title is not the
    page's), and an unclosed `<title>` (a truncated page) still counts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: dict[str, str] = {}
        self._in_title = False
        self._title: list[str] = []
        self._svg = 0

    def _keep(self, key: str, value: str | None) -> None:
        if value and value.strip() and key not in self.found:
            self.found[key] = value

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): v for k, v in attrs}
        if tag == "svg":
            self._svg += 1
        elif tag == "title" and not self._svg and "title" not in self.found:
            self._in_title = True
        elif tag == "meta":
            key = (a.get("property") or a.get("name") or "").strip().lower()
            if key in {
                "og:title",
                "og:description",
                "og:image",
                "og:image:secure_url",
                "og:url",
                "twitter:title",
                "twitter:description",
                "twitter:image",
                "twitter:image:src",
                "description",
            }:
                self._keep(key, a.get("content"))
        elif tag == "link" and "canonical" in (a.get("rel") or "").lower().split():
            self._keep("canonical", a.get("href"))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "svg":  # a self-closed <svg/> opens nothing
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg" and self._svg:
            self._svg -= 1
        elif tag == "title" and self._in_title:
            self._in_title = False
            self._keep("title", "".join(self._title))

    def close(self) -> None:
        super().close()
        if self._in_title:
            self._in_title = False
            self._keep("title", "".join(self._title))

    def handle_data(self, data: str) -> None:
        if self._in_title and len(self._title) < 1000:
            self._title.append(data)
