"""scale: an index for a channel's posts by state and time

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24

The content mix counts a channel's posts in its window, the daily cap counts them since the
local midnight, the minimum gap reads the latest, and `schedule` reads them for every channel
at once: each is "deliveries of this channel in this state, from this time". With
`ix_deliveries_channel_published` (channel, published_at) alone, SQLite with statistics (after
`ANALYZE`) preferred (channel, state) from another index and read every post the channel ever
made; (channel, state, published_at) is an exact range for all of them, with statistics or
without. Only an index is added.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_deliveries_channel_state_published",
        "deliveries",
        ["channel", "state", "published_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_deliveries_channel_state_published", table_name="deliveries")
