"""what was posted: each published delivery keeps the title, text, link, tags and media that
went out

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25

Until now the report, the exports, the Atom feed and `queue show` read a post's words from its
item, so a `queue edit` after publication rewrote the history (a title never posted appeared in
the monthly report). From this revision the publisher writes what it sent into the delivery row
in the transaction that marks it published, and every reader reads that.

Deliveries published before this revision were never recorded as sent. They are filled here
from their item's fields as they are at migration time, which is the best record there is: the
title and the link of the item (without the UTM parameters a channel may have added), its tags,
and as text the channel's own text, else the item's text (the words the post was made from,
not the rendered post, which was never kept). `content_queue.settling.posted_from_item` applies
the same rule when a delivery is marked published with no record given.

Only columns and an index are added (ALTER TABLE ADD COLUMN, no table rebuild), so SQLite keeps
every row and its foreign keys untouched; downgrading drops them again (and the record with
them).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = (
    ("posted_title", sa.Text()),
    ("posted_text", sa.Text()),
    ("posted_url", sa.Text()),
    ("posted_canonical_url", sa.Text()),
    ("posted_tags", sa.JSON()),
    ("posted_media", sa.JSON()),
)


def upgrade() -> None:
    for name, type_ in _COLUMNS:
        op.add_column("deliveries", sa.Column(name, type_, nullable=True))

    def of_item(column: str) -> str:
        return f"(SELECT {column} FROM items WHERE items.id = deliveries.item_id)"

    op.execute(
        "UPDATE deliveries SET "
        f"posted_title = {of_item('items.title')}, "
        f"posted_text = COALESCE(deliveries.text_override, {of_item('items.text')}), "
        f"posted_url = {of_item('items.url')}, "
        f"posted_canonical_url = {of_item('items.canonical_url')}, "
        f"posted_tags = {of_item('items.tags')} "
        "WHERE deliveries.state = 'published'"
    )
    op.create_index("ix_deliveries_posted_canonical_url", "deliveries", ["posted_canonical_url"])


def downgrade() -> None:
    op.drop_index("ix_deliveries_posted_canonical_url", table_name="deliveries")
    # Plain DROP COLUMN (SQLite >= 3.35), never a batch rebuild: rebuilding `deliveries` would
    # drop the table, and its ON DELETE CASCADE would take every engagement sample with it.
    for name, _ in reversed(_COLUMNS):
        op.drop_column("deliveries", name)
