"""item images: the images an item is posted with, and their alt text

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06

An item may carry up to four images (`queue add --image PATH --alt TEXT`). The files live in
the data folder, named by their SHA-256 (`xensocial.media`); this table keeps, per item and
position, that address, what the bytes are (type, pixel size, byte size, read with Pillow) and
the alt text, with `decorative` set when staff said on purpose that an image needs none.

Where an upload's media id is kept (per delivery, before the post call, so a retry after a
crash reuses it) is left to the upload work: see docs/media.md. Only a table is created.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "item_images",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("mime", sa.String(length=40), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("bytes", sa.Integer(), nullable=False),
        sa.Column("alt", sa.Text(), nullable=False),
        sa.Column("decorative", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("item_id", "position"),
    )
    op.create_index("ix_item_images_sha256", "item_images", ["sha256"])


def downgrade() -> None:
    op.drop_index("ix_item_images_sha256", table_name="item_images")
    op.drop_table("item_images")
