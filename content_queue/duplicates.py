"""When a URL is a duplicate: the one rule `ContentQueue` (through the ORM) and `fastwrite`
(through plain DB-API) both apply, written once here as SQL either can run.

A URL is a duplicate of an item when, in canonical form (`urls.canonical_url`),

- it is the URL of a live item (not cancelled): adding it again would post the page twice; or
- it went out in a post, on any channel, at any time: the link recorded on a published delivery
  (`deliveries.posted_canonical_url`, written when the post is published) is what the network
  showed, and neither a later edit of the item nor its cancellation takes that back. A URL ever
  posted stays a duplicate for good (`--allow-duplicate` posts it again on purpose).

Each question is one lookup in an index (`ix_items_canonical_url`,
`ix_deliveries_posted_canonical_url`), so the check costs the same however long the history.
When both find an item, the older one is named.

No SQLAlchemy here: `xensocial queue add` must not import it (see `fastwrite`).
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["DUPLICATE_QUERIES", "duplicate_id"]

DUPLICATE_QUERIES = (
    "SELECT id FROM items WHERE canonical_url = ? AND state <> 'cancelled' ORDER BY id LIMIT 1",
    "SELECT item_id FROM deliveries WHERE posted_canonical_url = ? ORDER BY item_id LIMIT 1",
)
"""The two lookups, each with one `?` for the canonical URL."""


def duplicate_id(first: Callable[[str, str], int | None], canonical: str) -> int | None:
    """The id of the item `canonical` duplicates, or None. `first(sql, canonical)` runs one of
    `DUPLICATE_QUERIES` with the driver at hand and returns its first value (None: no row)."""
    found = [i for i in (first(sql, canonical) for sql in DUPLICATE_QUERIES) if i is not None]
    return min(found, default=None)
