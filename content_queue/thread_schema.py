"""A thread's two tables: an item's follow-up texts, and each part's own step on a delivery.

- `item_replies`: the replies of an item (`queue add --reply`), part 1 onwards, in order.
- `delivery_parts`: one row per part of a delivery's thread (0: the post itself), committed
  `publishing` before the network call and `published` after it (`thread_store`), so a crash
  between parts resumes at the next one and never sends an earlier one again.

Their own module (on `schema_base`'s one metadata, re-exported by `schema`) so that `schema`
stays the item's and the delivery's own tables; docs/threads.md tells the whole protocol.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .schema_base import Base

__all__ = ["DeliveryPart", "ItemReply"]


class ItemReply(Base):
    """A follow-up text of an item (`queue add --reply`): part `position` (1, 2, ...) of its
    thread, a reply to the part before (a first comment where a network has no threads)."""

    __tablename__ = "item_replies"

    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(Text)


class DeliveryPart(Base):
    """One part of a delivery's thread (0: the post itself), its own step of the protocol:
    `publishing` before the network call, `published` after it (`thread_store`)."""

    __tablename__ = "delivery_parts"

    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("deliveries.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    state: Mapped[str] = mapped_column(String(20))
    remote_id: Mapped[str | None] = mapped_column(String(200))
    remote_url: Mapped[str | None] = mapped_column(Text)
    remote_ref: Mapped[str | None] = mapped_column(Text)  # what a reply cites besides the id
    attempted_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    detail: Mapped[str | None] = mapped_column(Text)
