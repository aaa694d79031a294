"""delivery_media: each image a delivery uploaded, recorded before the post that uses it

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06

One new table (`content_queue.media_schema`): per delivery and image position, the network's
media id, when it was uploaded and until when the network keeps it unattached, so a retry after
a crash reuses an upload instead of making a second one.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "delivery_media",
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("remote_media_id", sa.Text(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["delivery_id"], ["deliveries.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("delivery_id", "position"),
    )


def downgrade() -> None:
    op.drop_table("delivery_media")
