"""report deliveries: each status report owed to a list of recipients, sent once

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06

One new table (`content_queue.report_send_schema`): `report_sends`, each report recorded before
it is mailed and marked sent after, unique per (period, target, recipients, due time) so no
replica or restart can owe it twice.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "report_sends",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=20), nullable=False),
        sa.Column("target", sa.String(length=100), nullable=False),
        sa.Column("recipients", sa.Text(), nullable=False),
        sa.Column("by_hand", sa.Boolean(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_try_at", sa.DateTime(), nullable=False),
        sa.Column("claimed_by", sa.String(length=200), nullable=True),
        sa.Column("claimed_until", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "period", "target", "recipients", "due_at", name="uq_report_sends_once"
        ),
    )
    op.create_index("ix_report_sends_state_next_try", "report_sends", ["state", "next_try_at"])


def downgrade() -> None:
    op.drop_index("ix_report_sends_state_next_try", table_name="report_sends")
    op.drop_table("report_sends")
