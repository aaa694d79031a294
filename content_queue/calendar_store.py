"""What a calendar and a channels page read of many channels at once: the slots a period's
ledger recorded (with what each posted) and each channel's figures (pause, last post, pending).

The web console's calendar shows a month of fifty channels and must answer in well under
200 ms (issue 19): asking the ledger slot by slot or channel by channel (`SlotClaims`,
`Ledger.last_published_at`, the pending count) would be thousands of statements. Here each kind
of thing is one statement for every channel (`channel IN (...)`), read from an index that
starts with the channel (`uq_slot_claims_channel_slot`, `ix_deliveries_channel_state_published`,
`ix_deliveries_selection`), and dealt out in Python.

A slot's record is its `slot_claims` row (claimed once, with its outcome and the gate's reason
in `detail`) joined to the delivery it used (`item_id` on the same channel): what went out (the
`posted_*` record), its remote id and URL, or why it failed (`last_error`). The channels are
plain names, as everywhere in this package; what a remote URL means is the caller's business.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, select

from .channel_reads import chunks
from .db import plan_for_cached_reads
from .ledger import Ledger
from .pauses import ChannelStatus
from .schema import ChannelState, Delivery, DeliveryState, Item, ItemState, SlotClaim

__all__ = ["ChannelFigures", "SlotHistory", "channel_figures", "first_slots", "slot_history"]


@dataclass(frozen=True)
class SlotHistory:
    """One recorded slot: its claim (`outcome`, `detail`) and, when it took an item, that item
    and its delivery on the channel. `title`/`url` are what was posted when the delivery is
    published (its `posted_*` record), else the item's own."""

    channel: str
    slot_at: datetime
    outcome: str  # content_queue.vocabulary.SlotOutcome's values
    detail: str | None
    claimed_by: str
    item_id: int | None = None
    title: str = ""
    url: str = ""
    text: str | None = None  # the text as posted (its `posted_text`); None until published
    category: str = ""
    pinned: bool = False  # the slot is the item's pinned time (`publish_at`)
    delivery_state: str | None = None
    remote_id: str | None = None
    remote_url: str | None = None
    published_at: datetime | None = None
    last_error: str | None = None


@dataclass(frozen=True)
class ChannelFigures:
    """What a channels page shows of one channel from the database: its pause, its latest
    post, how many approved items wait for it, and whether the one who paused it is a daemon
    replica (`paused_by` has claimed a slot of the channel: the daemon pauses a channel only
    in a slot it claimed, on the network's answer; a person pauses it from the CLI or the
    console, and never claims slots)."""

    status: ChannelStatus
    last_post: datetime | None
    pending: int
    paused_by_daemon: bool


def slot_history(
    ledger: Ledger, channels: Sequence[str], start: datetime, end: datetime
) -> list[SlotHistory]:
    """The recorded slots of `channels` in [start, end), by channel then time."""
    if not channels:
        return []
    query = (
        select(
            SlotClaim.channel,
            SlotClaim.slot_at,
            SlotClaim.outcome,
            SlotClaim.detail,
            SlotClaim.claimed_by,
            SlotClaim.item_id,
            Item.title,
            Item.url,
            Item.category,
            Item.publish_at,
            Delivery.state,
            Delivery.remote_id,
            Delivery.remote_url,
            Delivery.published_at,
            Delivery.last_error,
            Delivery.posted_title,
            Delivery.posted_url,
            Delivery.posted_text,
        )
        .outerjoin(Item, Item.id == SlotClaim.item_id)
        .outerjoin(
            Delivery,
            and_(Delivery.item_id == SlotClaim.item_id, Delivery.channel == SlotClaim.channel),
        )
        .where(SlotClaim.slot_at >= start, SlotClaim.slot_at < end)
        .order_by(SlotClaim.channel, SlotClaim.slot_at)
    )
    out: list[SlotHistory] = []
    with ledger._sessions() as s:
        # The claims' items by key: PostgreSQL's default costs would read every item ever
        # queued instead (51 ms, not 11, for a month of fifty channels).
        plan_for_cached_reads(s.connection())
        for chunk in chunks(sorted(set(channels))):
            for row in s.execute(query.where(SlotClaim.channel.in_(chunk))):
                (channel, at, outcome, detail, by, item_id, title, url, category, pin) = row[:10]
                (dstate, remote_id, remote_url, published_at, error, ptitle, purl, ptext) = row[10:]
                published = dstate == DeliveryState.PUBLISHED.value
                out.append(
                    SlotHistory(
                        channel=channel,
                        slot_at=at,
                        outcome=outcome,
                        detail=detail,
                        claimed_by=by,
                        item_id=item_id,
                        title=(ptitle if published and ptitle is not None else title) or "",
                        url=(purl if published and purl is not None else url) or "",
                        text=ptext if published else None,
                        category=category or "",
                        pinned=pin is not None and pin == at,
                        delivery_state=dstate,
                        remote_id=remote_id,
                        remote_url=remote_url,
                        published_at=published_at,
                        last_error=error,
                    )
                )
    return out


def channel_figures(ledger: Ledger, channels: Sequence[str]) -> dict[str, ChannelFigures]:
    """`ChannelFigures` of each of `channels`, in four statements whatever their number."""
    names = sorted(set(channels))
    states: dict[str, ChannelStatus] = {}
    last: dict[str, datetime] = {}
    pending: dict[str, int] = {}
    daemon: set[str] = set()
    with ledger._sessions() as s:
        for chunk in chunks(names):
            for st in s.scalars(select(ChannelState).where(ChannelState.channel.in_(chunk))):
                states[st.channel] = ChannelStatus(
                    st.channel, st.paused, st.pause_reason, st.paused_at, st.paused_by
                )
            latest = (
                select(Delivery.channel, func.max(Delivery.published_at))
                .where(
                    Delivery.channel.in_(chunk),
                    Delivery.state == DeliveryState.PUBLISHED.value,
                )
                .group_by(Delivery.channel)
            )
            last.update({c: at for c, at in s.execute(latest) if at is not None})
            waiting = (
                select(Delivery.channel, func.count())
                .join(Item, Item.id == Delivery.item_id)
                .where(
                    Delivery.channel.in_(chunk),
                    Delivery.state == DeliveryState.PENDING.value,
                    Item.state == ItemState.APPROVED.value,
                )
                .group_by(Delivery.channel)
            )
            pending.update({c: int(n) for c, n in s.execute(waiting)})
        pausers = [(c, st.paused_by) for c, st in states.items() if st.paused and st.paused_by]
        for channel, by in pausers:  # the few paused channels, one look each
            found = s.scalar(
                select(SlotClaim.id)
                .where(SlotClaim.channel == channel, SlotClaim.claimed_by == by)
                .limit(1)
            )
            if found is not None:
                daemon.add(channel)
    return {
        c: ChannelFigures(
            status=states.get(c, ChannelStatus(c, False, None, None, None)),
            last_post=last.get(c),
            pending=pending.get(c, 0),
            paused_by_daemon=c in daemon,
        )
        for c in names
    }


def first_slots(ledger: Ledger, channels: Sequence[str]) -> dict[str, datetime]:
    """When each of `channels` first had a slot recorded (absent: never), one statement for
    them all: a walk of `uq_slot_claims_channel_slot` over their claims (a year of two slots a
    day is 730 index entries a channel)."""
    out: dict[str, datetime] = {}
    with ledger._sessions() as s:
        for chunk in chunks(sorted(set(channels))):
            query = (
                select(SlotClaim.channel, func.min(SlotClaim.slot_at))
                .where(SlotClaim.channel.in_(chunk))
                .group_by(SlotClaim.channel)
            )
            out.update({c: at for c, at in s.execute(query) if at is not None})
    return out
