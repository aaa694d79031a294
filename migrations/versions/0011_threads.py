"""threads: an item's follow-up texts, and each part's own step of the exactly-once protocol

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06

`item_replies` holds an item's follow-up texts (`queue add --reply`), in order. `delivery_parts`
holds, per delivery, one row per part of its thread already begun on the network (0: the post
itself): `publishing` is committed with `attempted_at` before the part's network call, and
`published` with its remote id, URL and time (and `remote_ref`, what a reply must cite besides
the id: Bluesky's cid) after it. A crash between parts leaves the delivery `publishing` with its parts recorded, so the
publisher resumes at the next part and never sends an earlier one again (docs/threads.md).
`items.link_in_reply` says the item's link goes in its thread's first reply, not in the post.
Only new tables and a column: nothing existing is rebuilt, and the downgrade drops just these.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "items",
        sa.Column("link_in_reply", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "item_replies",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("item_id", "position"),
    )
    op.create_table(
        "delivery_parts",
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("remote_id", sa.String(length=200), nullable=True),
        sa.Column("remote_url", sa.Text(), nullable=True),
        sa.Column("remote_ref", sa.Text(), nullable=True),
        sa.Column("attempted_at", sa.DateTime(), nullable=True),
        sa.Column("published_at", sa.DateTime(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["delivery_id"], ["deliveries.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("delivery_id", "position"),
    )


def downgrade() -> None:
    op.drop_table("delivery_parts")
    op.drop_table("item_replies")
    # Plain DROP COLUMN (SQLite >= 3.35), never a batch rebuild of `items` (see 0009).
    op.drop_column("items", "link_in_reply")
