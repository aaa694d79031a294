"""bookmarks: how many times a post was bookmarked, in each engagement reading

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06

X gives `bookmark_count` with a post's public metrics; a reading stores it like the other
counters (null: the network gives no such figure). Only a nullable column is added (ALTER TABLE
ADD COLUMN, no table rebuild), and existing readings keep null: nobody read their bookmarks.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("engagement_samples", sa.Column("bookmarks", sa.Integer(), nullable=True))


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite >= 3.35), never a batch rebuild of the samples table.
    op.drop_column("engagement_samples", "bookmarks")
