"""Every image the database still names, by its SHA-256: what `media prune` must keep.

Three records name an image by its content address:

- `item_images`: the images of every item (its reposts and reminders have rows of their own);
- `delivery_media`: the uploads a delivery made, which a retry reuses (the outbox's upload
  *is* the file: its lines point at it);
- `deliveries.posted_media`: the record of what a post went out with (a JSON list of
  `ItemImage.as_dict`), the history reports and `queue show` read.

They are read in one statement, so the answer is one snapshot of the database on both backends
(two statements under PostgreSQL's read committed could each miss a row the other saw
moving). The queue stores no file: what a hash means on disk is the service's
(`xensocial.media`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, func, select, union
from sqlalchemy.orm import Session

from .media_schema import DeliveryMediaRow
from .schema import Delivery, ItemImageRow

__all__ = ["referenced_images"]


def referenced_images(s: Session) -> set[str]:
    """The SHA-256 of every image an item, an upload or a post record names."""
    posted = _posted_sha256(s.get_bind().dialect.name)
    rows = s.execute(
        union(select(ItemImageRow.sha256), select(DeliveryMediaRow.sha256), posted)
    ).scalars()
    return {sha256 for sha256 in rows if sha256}


def _posted_sha256(dialect: str) -> Any:
    """`SELECT` of the `sha256` of each entry of each delivery's `posted_media` list, in the
    JSON functions of `dialect` (PostgreSQL's, else SQLite's)."""
    sha256: ColumnElement[Any]
    if dialect == "postgresql":
        entry = func.json_array_elements(Delivery.posted_media).table_valued("value")
        sha256 = func.json_extract_path_text(entry.c.value, "sha256")
    else:
        entry = func.json_each(Delivery.posted_media).table_valued("value")
        sha256 = func.json_extract(entry.c.value, "$.sha256")
    return select(sha256).select_from(Delivery).join(entry, Delivery.posted_media.is_not(None))
