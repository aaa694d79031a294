"""editorial control: evergreen and event fields, pinned times, approvals, per-channel text,
blackouts and the audit log; the category copy and indexes the content mix selects by

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24

Only columns and tables are added (ALTER TABLE ADD COLUMN, no table rebuild), so SQLite keeps
every row and its foreign keys untouched.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "items", sa.Column("evergreen", sa.Boolean(), server_default=sa.false(), nullable=False)
    )
    op.add_column("items", sa.Column("recycled_from", sa.Integer(), nullable=True))
    op.add_column("items", sa.Column("reminder_of", sa.Integer(), nullable=True))
    op.add_column("items", sa.Column("alt_text", sa.Text(), nullable=True))
    op.add_column("items", sa.Column("event_at", sa.DateTime(), nullable=True))
    op.add_column("items", sa.Column("publish_at", sa.DateTime(), nullable=True))
    op.add_column("items", sa.Column("approved_by", sa.String(length=100), nullable=True))
    op.add_column("items", sa.Column("approved_at", sa.DateTime(), nullable=True))
    op.create_index("ix_items_recycled_from", "items", ["recycled_from"])
    op.create_index("ix_items_reminder_of", "items", ["reminder_of"])
    op.add_column("deliveries", sa.Column("text_override", sa.Text(), nullable=True))
    # The content mix: each delivery carries its item's category, so the best pending delivery
    # of one category is one index walk (ix_deliveries_category), however big the queue.
    op.add_column(
        "deliveries",
        sa.Column("sort_category", sa.String(length=40), server_default="", nullable=False),
    )
    op.execute(
        "UPDATE deliveries SET sort_category = "
        "(SELECT items.category FROM items WHERE items.id = deliveries.item_id)"
    )
    op.create_index(
        "ix_deliveries_category",
        "deliveries",
        [
            "channel",
            "state",
            "sort_category",
            sa.text("sort_priority DESC"),
            "sort_created_at",
            "item_id",
        ],
    )
    op.create_index("ix_items_evergreen", "items", ["evergreen", "state"])
    op.create_index("ix_items_publish_at", "items", ["state", "publish_at"])
    op.create_index("ix_items_event_at", "items", ["state", "event_at"])
    op.add_column(
        "feeds", sa.Column("evergreen", sa.Boolean(), server_default=sa.false(), nullable=False)
    )
    op.create_table(
        "blackouts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=100), nullable=True),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("ends_at", sa.DateTime(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_blackouts_ends_at", "blackouts", ["ends_at"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=100), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_item_id", "audit_log", ["item_id"])
    op.create_index("ix_audit_log_channel_at", "audit_log", ["channel", "at"])


def downgrade() -> None:
    op.drop_table("audit_log")
    op.drop_table("blackouts")
    # Plain DROP COLUMN (SQLite >= 3.35), never a batch rebuild: rebuilding `items` would drop
    # the table, and its ON DELETE CASCADE would take every delivery with it.
    op.drop_column("deliveries", "text_override")
    op.drop_column("feeds", "evergreen")
    op.drop_index("ix_deliveries_category", table_name="deliveries")
    op.drop_column("deliveries", "sort_category")
    op.drop_index("ix_items_event_at", table_name="items")
    op.drop_index("ix_items_publish_at", table_name="items")
    op.drop_index("ix_items_evergreen", table_name="items")
    op.drop_index("ix_items_reminder_of", table_name="items")
    op.drop_index("ix_items_recycled_from", table_name="items")
    for column in (
        "approved_at",
        "approved_by",
        "publish_at",
        "event_at",
        "alt_text",
        "reminder_of",
        "recycled_from",
        "evergreen",
    ):
        op.drop_column("items", column)
