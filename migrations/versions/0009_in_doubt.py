"""in doubt: when a delivery's latest attempt began, and how many lookups since found nothing

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06

A network whose lookup settles (X: its timeline shows a new post only after a while) can prove a
post absent only once a settle period has passed since the attempt that may have made it, and
only after at least two reads (`xensocial.in_doubt`). So each delivery keeps `attempted_at`
(set when an attempt begins, `Ledger.begin_publish` and `count_attempt`) and `absent_reads`
(lookups that read the account's posts and did not find it, since that attempt; reset by every
attempt). Both live in the database, so a replica taking a post over carries on counting.

A delivery `publishing` at migration time takes its `updated_at` as its attempt time: every
attempt sets it, so it is never earlier than the attempt, and waiting from a later instant is
safe. Only columns are added (ALTER TABLE ADD COLUMN, no table rebuild).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("deliveries", sa.Column("attempted_at", sa.DateTime(), nullable=True))
    op.add_column(
        "deliveries",
        sa.Column("absent_reads", sa.Integer(), nullable=False, server_default="0"),
    )
    op.execute("UPDATE deliveries SET attempted_at = updated_at WHERE state = 'publishing'")


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite >= 3.35), never a batch rebuild: rebuilding `deliveries` would
    # drop the table, and its ON DELETE CASCADE would take every engagement sample with it.
    op.drop_column("deliveries", "absent_reads")
    op.drop_column("deliveries", "attempted_at")
