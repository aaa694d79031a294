"""How a delivery ends: published, failed, unknown, back to pending; each move conditional.

Its own module because every end state goes through one function (`DeliveryOutcomes._finish`):
the move happens only from the states it expects and, given an owner, only while that owner
still holds the delivery, and the audit entry (with what went out, for a post) is written in
the same transaction. The publisher's steps (`mark_published`, `release`, `mark_failed`,
`mark_unknown`) and a person's (`retry`, `resolve`) are that one rule with different
arguments. `DeliveryOutcomes` is a part of `Ledger` (which mixes it in).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from .audit import Action, record, shorten
from .schema import Delivery, DeliveryState, Item
from .timeutil import Clock
from .urls import canonical_url
from .views import Posted

__all__ = ["DeliveryOutcomes", "Problem", "posted_from_item", "posted_values"]


def posted_values(posted: Posted) -> dict[str, Any]:
    """The `posted_*` columns of a delivery that put `posted` on the network."""
    return {
        "posted_title": posted.title,
        "posted_text": posted.text,
        "posted_url": posted.url,
        "posted_canonical_url": canonical_url(posted.url),
        "posted_tags": list(posted.tags),
        "posted_media": list(posted.media) or None,
    }


def posted_from_item() -> dict[str, Any]:
    """The `posted_*` columns of a delivery marked published with no record of what was sent
    (a caller that had none): its item's fields as they are now, the best record there is.
    The text is the words the post was made from (the channel's own text, else the item's
    text), not a rendering. Migration 0008 fills older posts by this rule."""

    def of_item(column: Any) -> Any:
        return select(column).where(Item.id == Delivery.item_id).scalar_subquery()

    return {
        "posted_title": of_item(Item.title),
        "posted_text": func.coalesce(Delivery.text_override, of_item(Item.text)),
        "posted_url": of_item(Item.url),
        "posted_canonical_url": of_item(Item.canonical_url),
        "posted_tags": of_item(Item.tags),
        "posted_media": None,
    }


def _said(text: str, url: str) -> str:
    """What a post said, for its audit entry: its text (quoted, shortened), with its link
    when the text does not carry it."""
    quoted = repr(shorten(text, 200)) if text else ""
    if url in text:
        return quoted
    return f"{url} {quoted}".strip()


@dataclass(frozen=True)
class Problem:
    """A delivery that needs a person: `unknown` (may be out), or `failed` (refused)."""

    item_id: int
    channel: str
    state: str
    last_error: str | None
    updated_at: datetime


class DeliveryOutcomes:
    """The end states of a delivery, each written with its audit entry (mixed into `Ledger`)."""

    _sessions: sessionmaker[Session]
    _clock: Clock

    def mark_published(
        self,
        delivery_id: int,
        *,
        remote_id: str,
        remote_url: str | None,
        published_at: datetime,
        owner: str | None = None,
        posted: Posted | None = None,
    ) -> bool:
        """publishing (or unknown, settled by a person) -> published, with `posted` (what was
        sent) recorded in the same statement; without it, the item's current fields stand in
        (`posted_from_item`).

        With `owner` (the publisher's and reconciler's way), only a delivery that owner holds:
        as `publishing` only, since an unknown delivery has no owner. A person settling an
        unknown delivery uses `resolve` (the audit log then says who)."""
        return self._finish(
            delivery_id,
            DeliveryState.PUBLISHED,
            (DeliveryState.PUBLISHING, DeliveryState.UNKNOWN),
            owner=owner,
            audit=(Action.PUBLISH, owner, f"published: {remote_url or remote_id}"),
            remote_id=remote_id,
            remote_url=remote_url,
            published_at=published_at,
            last_error=None,
            **(posted_from_item() if posted is None else posted_values(posted)),
        )

    def release(self, delivery_id: int, error: str | None, *, owner: str | None = None) -> bool:
        """publishing -> pending (nothing went out): a later slot tries it again.

        With `owner`, only while that owner holds the delivery (so for every finishing step)."""
        return self._leave_publishing(delivery_id, DeliveryState.PENDING, None, error, owner)

    def mark_failed(self, delivery_id: int, error: str, *, owner: str | None = None) -> bool:
        """publishing -> failed: the network refused the post for good."""
        return self._leave_publishing(delivery_id, DeliveryState.FAILED, Action.FAIL, error, owner)

    def mark_unknown(self, delivery_id: int, error: str, *, owner: str | None = None) -> bool:
        """publishing -> unknown: it may be out or not, and the adapter cannot tell."""
        return self._leave_publishing(
            delivery_id, DeliveryState.UNKNOWN, Action.UNKNOWN, error, owner
        )

    def _leave_publishing(
        self,
        delivery_id: int,
        state: DeliveryState,
        action: Action | None,
        error: str | None,
        owner: str | None,
    ) -> bool:
        """publishing -> `state`, with `error` as its last error, recorded as `action` ("<state>:
        <error>") when there is one (a release back to pending is not an end: no entry)."""
        return self._finish(
            delivery_id,
            state,
            (DeliveryState.PUBLISHING,),
            owner=owner,
            audit=None if action is None else (action, owner, f"{state.value}: {error}"),
            last_error=error,
        )

    def retry(self, delivery_id: int, *, by: str = "") -> bool:
        """failed/unknown -> pending, at a person's request."""
        return self._finish(
            delivery_id,
            DeliveryState.PENDING,
            (DeliveryState.FAILED, DeliveryState.UNKNOWN),
            owner=None,
            audit=(Action.RETRY, by, "back to pending: posted again at a coming slot"),
            last_error=None,
        )

    def resolve(
        self,
        delivery_id: int,
        *,
        remote_url: str | None,
        at: datetime,
        by: str = "",
        posted: Posted | None = None,
    ) -> bool:
        """unknown -> published, at a person's request: they found the post on the network.
        `posted` is what it said, as `mark_published` records it."""
        return self._finish(
            delivery_id,
            DeliveryState.PUBLISHED,
            (DeliveryState.UNKNOWN,),
            owner=None,
            audit=(Action.RESOLVE, by, f"recorded as published: {remote_url or 'no URL given'}"),
            remote_id=remote_url or f"settled-by:{by or 'unknown'}",
            remote_url=remote_url,
            published_at=at,
            last_error=None,
            **(posted_from_item() if posted is None else posted_values(posted)),
        )

    def _finish(
        self,
        delivery_id: int,
        state: DeliveryState,
        from_states: tuple[DeliveryState, ...],
        *,
        owner: str | None,
        audit: tuple[Action, str | None, str] | None = None,
        **values: object,
    ) -> bool:
        """Move the delivery to `state` if it is in one of `from_states` (and held by `owner`,
        when given); whether it moved. `audit` (action, actor, detail) is recorded in the same
        transaction when it moved.

        Conditional like `Ledger.claim_next`: a late caller (a process whose lease expired while
        another reconciled its delivery) must not move a published delivery back to pending,
        where it would be posted a second time, nor settle a delivery another process has
        taken over and is settling (the owner check)."""
        conditions = [
            Delivery.id == delivery_id,
            Delivery.state.in_([f.value for f in from_states]),
        ]
        if owner is not None:
            conditions.append(Delivery.owner == owner)
        with self._sessions.begin() as s:
            result = s.execute(
                update(Delivery)
                .where(*conditions)
                .values(
                    state=state.value,
                    owner=None,
                    lease_expires_at=None,
                    updated_at=self._clock(),
                    **values,
                )
            )
            moved: bool = getattr(result, "rowcount", 0) == 1
            if moved and audit is not None:
                action, actor, detail = audit
                item_id, channel, text, url = s.execute(
                    select(
                        Delivery.item_id,
                        Delivery.channel,
                        Delivery.posted_text,
                        Delivery.posted_url,
                    ).where(Delivery.id == delivery_id)
                ).one()
                if url is not None:  # published: the entry says what went out
                    detail += f"; posted: {_said(text or '', url)}"
                record(
                    s,
                    action,
                    actor=actor,
                    at=self._clock(),
                    item_id=item_id,
                    channel=channel,
                    detail=detail,
                )
            return moved

    def problem_deliveries(self, *, failed_since: datetime) -> list[Problem]:
        """Every `unknown` delivery, and the `failed` ones that failed at or after
        `failed_since` (alerting's `delivery_unknown` and `delivery_failed`)."""
        unknown = Delivery.state == DeliveryState.UNKNOWN.value
        failed = (Delivery.state == DeliveryState.FAILED.value) & (
            Delivery.updated_at >= failed_since
        )
        query = select(Delivery).where(unknown | failed).order_by(Delivery.id)
        with self._sessions() as s:
            return [
                Problem(d.item_id, d.channel, d.state, d.last_error, d.updated_at)
                for d in s.scalars(query)
            ]
