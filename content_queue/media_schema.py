"""The media a delivery has uploaded to its network: `delivery_media`.

One row per (delivery, image position): the network's id for the uploaded image, when it was
uploaded and until when the network keeps it unattached (`expires_at`, None: no known end).
The publisher writes a row, and commits it, after each upload and *before* the post call, and
reads the rows back on a retry or after a crash: an id still valid is reused, so a retry never
uploads an image twice into one post, and a post is never sent without the images it carries.
`sha256` is the image's content address: a row whose image changed is not reused.

The queue knows nothing of networks: the id is an opaque string, as each adapter gave it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .schema_base import Base

__all__ = ["DeliveryMediaRow"]


class DeliveryMediaRow(Base):
    __tablename__ = "delivery_media"

    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("deliveries.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    remote_media_id: Mapped[str] = mapped_column(Text)
    uploaded_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
