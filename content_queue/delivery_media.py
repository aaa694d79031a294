"""The uploads a delivery made, kept so that a retry reuses them (`delivery_media`).

The publisher's media step, between claiming a delivery and posting it: for each image it asks
`uploads` for a recorded upload still valid, uploads only the images without one, and records
each upload with `record_upload` in its own committed transaction before the post call. A
crash after an upload and before the post therefore leaves the upload recorded: the retry
reuses it, and the network never holds two copies meant for one post. A row is written only
while its owner holds the delivery under `publishing`, like every step of the protocol: a
process whose lease expired cannot record into a delivery another has taken over.
`DeliveryMedia` is a part of `Ledger` (which mixes it in).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from .media_schema import DeliveryMediaRow
from .schema import Delivery, DeliveryState
from .timeutil import Clock

__all__ = ["DeliveryMedia", "UploadedMedia"]


@dataclass(frozen=True)
class UploadedMedia:
    """One recorded upload: the image at `position` (by its SHA-256) is `remote_media_id` on
    the network, kept there unattached until `expires_at` (None: no known end)."""

    position: int
    sha256: str
    remote_media_id: str
    uploaded_at: datetime
    expires_at: datetime | None

    def usable(self, sha256: str, now: datetime) -> bool:
        """Whether this upload may go into a post of the image `sha256` made at `now`."""
        return self.sha256 == sha256 and (self.expires_at is None or self.expires_at > now)


class DeliveryMedia:
    """Read and record a delivery's uploads (mixed into `Ledger`)."""

    _sessions: sessionmaker[Session]
    _clock: Clock

    def uploads(self, delivery_id: int) -> dict[int, UploadedMedia]:
        """The delivery's recorded uploads, by image position."""
        with self._sessions() as s:
            rows = s.scalars(
                select(DeliveryMediaRow).where(DeliveryMediaRow.delivery_id == delivery_id)
            )
            return {
                r.position: UploadedMedia(
                    r.position, r.sha256, r.remote_media_id, r.uploaded_at, r.expires_at
                )
                for r in rows
            }

    def record_upload(self, delivery_id: int, upload: UploadedMedia, *, owner: str) -> bool:
        """Record `upload` (replacing an earlier one at its position), committed; False, and
        nothing written, when `owner` no longer holds the delivery under `publishing`."""
        with self._sessions.begin() as s:
            held = s.scalar(
                select(Delivery.id).where(
                    Delivery.id == delivery_id,
                    Delivery.state == DeliveryState.PUBLISHING.value,
                    Delivery.owner == owner,
                )
            )
            if held is None:
                return False
            s.execute(
                delete(DeliveryMediaRow).where(
                    DeliveryMediaRow.delivery_id == delivery_id,
                    DeliveryMediaRow.position == upload.position,
                )
            )
            s.add(
                DeliveryMediaRow(
                    delivery_id=delivery_id,
                    position=upload.position,
                    sha256=upload.sha256,
                    remote_media_id=upload.remote_media_id,
                    uploaded_at=upload.uploaded_at,
                    expires_at=upload.expires_at,
                )
            )
            return True
