"""Link cards: a page's Open Graph title, description and image, fetched best effort.

Networks that show a preview of a link from data the poster supplies (Bluesky's external embed)
need the page's own `og:` tags. Fetching them is a courtesy, not part of posting: a short
deadline, capped sizes, and any failure answers None so that the post goes out without them.

The page and its image are read through the intake's guarded fetcher (`xensocial.intake`),
the same as curated links: an item's URL must not steer the daemon into the local network, so
loopback, private and link-local addresses are refused unless `[intake]
allow_private_addresses` is set (which the factory passes on as
`ChannelContext.allow_private_addresses`).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Card", "fetch_card"]

_IMAGE_BYTES = 1_000_000  # Bluesky refuses a thumbnail blob above 1 MB


@dataclass(frozen=True)
class Card:
    title: str
    description: str
    image: bytes | None = None
    image_type: str = ""


def fetch_card(url: str, *, timeout: float, allow_private: bool = False) -> Card | None:
    """The page's Open Graph title, description and image; None when the page cannot be read.

    Best effort by design: `timeout` bounds each fetch as a whole, and any failure (a refused
    address included) gives None, because a post must never fail for want of a preview."""
    from ..intake.fetch import FetchError, FetchLimits, fetch
    from ..intake.links import fetch_link_metadata

    limits = FetchLimits(
        connect_timeout=timeout,
        read_timeout=timeout,
        deadline=timeout,
        max_redirects=3,
        allow_private_addresses=allow_private,
    )
    try:
        meta = fetch_link_metadata(url, limits)
    except (FetchError, ValueError):
        return None
    card = Card(title=meta.title or "", description=meta.description or "")
    if not meta.image:
        return card
    try:
        image = fetch(
            meta.image,
            limits=FetchLimits(
                connect_timeout=timeout,
                read_timeout=timeout,
                deadline=timeout,
                max_bytes=_IMAGE_BYTES,
                max_redirects=3,
                allow_private_addresses=allow_private,
            ),
        )
    except (FetchError, ValueError):
        return card  # a missing or oversized image: the card without a thumbnail
    kind = (image.content_type or "").split(";")[0].strip().lower()
    if image.status != 200 or not image.body or not kind.startswith("image/"):
        return card
    return Card(card.title, card.description, image.body, kind)
