"""Link cards: a page's Open Graph title, description and image, fetched best effort.

Networks that show a preview of a link from data the poster supplies (Bluesky's external embed)
need the page's own `og:` tags. Fetching them is a courtesy, not part of posting: a short
timeout, capped sizes, and any failure answers None so that the post goes out without them.
"""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin

import httpx

__all__ = ["Card", "fetch_card"]

_PAGE_BYTES = 512 * 1024  # the <head> is near the top; a page's body is not needed
_IMAGE_BYTES = 1_000_000  # Bluesky refuses a thumbnail blob above 1 MB


@dataclass(frozen=True)
class Card:
    title: str
    description: str
    image: bytes | None = None
    image_type: str = ""


class _OpenGraph(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: dict[str, str] = {}
        self._in_title = False
        self.title = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        key = (a.get("property") or a.get("name") or "").lower()
        if tag == "meta" and key.startswith(("og:", "twitter:", "description")):
            self.tags.setdefault(key, (a.get("content") or "").strip())
        self._in_title = tag == "title"

    def handle_data(self, data: str) -> None:
        if self._in_title and not self.title:
            self.title = data.strip()

    def handle_endtag(self, tag: str) -> None:
        self._in_title = False


def _get(client: httpx.Client, url: str, cap: int) -> httpx.Response | None:
    """GET `url`, keeping at most `cap` bytes of the body; None when it fails or is larger."""
    with client.stream("GET", url) as response:
        if response.status_code != 200:
            return None
        body = b""
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > cap:
                if "image" in response.headers.get("content-type", ""):
                    return None  # a cut image is no image
                break
        response._content = body[:cap]  # noqa: SLF001 - what was read, as the response's body
        return response


def fetch_card(url: str, *, timeout: float) -> Card | None:
    """The page's Open Graph title, description and image; None when the page cannot be read.

    Best effort by design: a short timeout, capped sizes, and any failure gives None, because a
    post must never fail for want of a preview."""
    try:
        with httpx.Client(timeout=timeout, follow_redirects=True, max_redirects=3) as client:
            page = _get(client, url, _PAGE_BYTES)
            if page is None or "html" not in page.headers.get("content-type", "text/html"):
                return None
            parser = _OpenGraph()
            parser.feed(page.content.decode(page.encoding or "utf-8", errors="replace"))
            tags = parser.tags
            card = Card(
                title=tags.get("og:title") or tags.get("twitter:title") or parser.title,
                description=tags.get("og:description") or tags.get("description", ""),
            )
            image_url = tags.get("og:image") or tags.get("twitter:image")
            if not image_url:
                return card
            image = _get(client, urljoin(str(page.url), image_url), _IMAGE_BYTES)
            kind = image.headers.get("content-type", "").split(";")[0] if image else ""
            if image is None or not kind.startswith("image/"):
                return card
            return Card(card.title, card.description, image.content, kind)
    except (httpx.HTTPError, UnicodeError, LookupError, ValueError):
        return None
