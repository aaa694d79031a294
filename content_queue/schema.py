"""The queue's tables, as SQLAlchemy 2 typed models.

Four tables, each answering one question:

- `items`: what could be posted (a URL with its words), and whether staff want it posted.
- `item_images`: the images an item is posted with, by content address, with their alt text.
- `deliveries`: one row per item and target channel: what happened to *that* item on *that*
  channel. Outcomes are independent, so one failing network never marks the others failed.
  A published delivery keeps what went out (its `posted_*` columns), whatever the item
  becomes afterwards: the record every report and export reads.
- `item_replies`, `delivery_parts`: an item's thread, each part's own step (docs/threads.md;
  the models are in `thread_schema`).
- `slot_claims`: the slot ledger. One row per (channel, slot time) under a unique constraint:
  a slot is used at most once whatever restarts or replicas occur.
- `channel_states`: run-time state of a channel that must survive restarts (paused, and why).
- `feeds` and `feed_entries`: the feeds that fill the queue, and every entry each has shown
  (so an entry is queued once, ever); see `sources`.
- `engagement_samples`, `follower_samples`, `metrics_requests`: readings of the networks'
  counters, appended and never overwritten, and the reads they cost; see `metrics_store`.
- `blackouts`, `audit_log`: when nothing may be posted, and who did what (editorial control).
- `notice_events`, `notices`: what alerting found and each notification it owes a target,
  recorded before it is sent (`notices`; the models are in `notice_schema`).
- `report_sends`: each status report owed to a list of recipients by mail, recorded before it
  is sent (`report_send_schema`).
- `delivery_media`: each image a delivery uploaded to its network, recorded before the post
  that references it (`media_schema`; read and written by `delivery_media`).
- `clips`, `activities`, `keyword_counts`: what the report counts beyond our own posts: press
  coverage, the communications team's other work, and how often each competitor is mentioned;
  see `coverage`.
- `users`, `login_failures`: the web console's accounts and failed sign-ins (`accounts_schema`).

Channels are plain names here: the queue knows nothing of networks. The words stored in the
state, source and outcome columns are `vocabulary`'s enums (re-exported here), which the plain
DB-API path imports without SQLAlchemy.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .accounts_schema import Account, LoginFailure
from .media_schema import DeliveryMediaRow
from .notice_schema import Notice, NoticeEvent
from .report_send_schema import ReportSend
from .schema_base import Base, UTCDateTime
from .thread_schema import DeliveryPart, ItemReply
from .vocabulary import DeliveryState, ItemSource, ItemState, SlotOutcome

__all__ = [
    "Account",
    "Activity",
    "AuditEntry",
    "Base",
    "Blackout",
    "ChannelState",
    "Clip",
    "Delivery",
    "DeliveryMediaRow",
    "DeliveryState",
    "EngagementSample",
    "Feed",
    "FeedEntry",
    "DeliveryPart",
    "FollowerSample",
    "Item",
    "ItemImageRow",
    "ItemReply",
    "ItemSource",
    "KeywordCount",
    "LoginFailure",
    "ItemState",
    "MetricsRequest",
    "Notice",
    "NoticeEvent",
    "ReportSend",
    "SlotClaim",
    "SlotOutcome",
    "UTCDateTime",
]


class Item(Base):
    __tablename__ = "items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    canonical_url: Mapped[str] = mapped_column(Text, index=True)
    title: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(40), default="news")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    source: Mapped[str] = mapped_column(String(20), default=ItemSource.MANUAL.value)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    state: Mapped[str] = mapped_column(String(20), default=ItemState.APPROVED.value)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(100), default="")
    updated_at: Mapped[datetime]
    # Editorial control (see docs/editorial.md).
    evergreen: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # A recycled evergreen post or an event reminder is an item of its own (so every delivery
    # keeps its own exactly-once record and engagement); these point back at the original.
    recycled_from: Mapped[int | None] = mapped_column(Integer, index=True)
    reminder_of: Mapped[int | None] = mapped_column(Integer, index=True)
    alt_text: Mapped[str | None] = mapped_column(Text)  # the words used when recycled
    event_at: Mapped[datetime | None]  # the event's date: reminders before, nothing after
    publish_at: Mapped[datetime | None]  # pinned: posted at this exact time, outside the slots
    approved_by: Mapped[str | None] = mapped_column(String(100))
    approved_at: Mapped[datetime | None]
    # Its link in the thread's first reply, not in the post (migration 0011, docs/threads.md).
    link_in_reply: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    deliveries: Mapped[list[Delivery]] = relationship(
        back_populates="item", cascade="all, delete-orphan", order_by="Delivery.channel"
    )
    images: Mapped[list[ItemImageRow]] = relationship(
        cascade="all, delete-orphan", order_by="ItemImageRow.position"
    )

    __table_args__ = (
        Index("ix_items_state_id", "state", "id"),
        # Editorial selection reads these few rows directly, never by walking the queue:
        # evergreen originals (recycling), pinned times (the daemon's date jobs), events
        # (reminders). `state` leads so that SQLite, which keeps no statistics, prefers them to
        # ix_items_state_id (an equality and a range beat an equality alone).
        Index("ix_items_evergreen", "evergreen", "state"),
        Index("ix_items_publish_at", "state", "publish_at"),
        Index("ix_items_event_at", "state", "event_at"),
    )


class ItemImageRow(Base):
    """One image of an item (migration 0010), by its content address: the file itself is the
    service's (`xensocial.media`), named by `sha256`. `position` orders an item's images as
    they are posted (0 first). `decorative`: staff said the image needs no alt text."""

    __tablename__ = "item_images"

    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    mime: Mapped[str] = mapped_column(String(40))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    bytes: Mapped[int] = mapped_column(Integer)
    alt: Mapped[str] = mapped_column(Text, default="")
    decorative: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Delivery(Base):
    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(20), default=DeliveryState.PENDING.value)
    # The key sent to the network with the post, and used to find it again after a crash.
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    remote_id: Mapped[str | None] = mapped_column(String(200))
    remote_url: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None]
    # Who holds the delivery while it is `publishing`, and until when (a lease: another
    # process may reconcile it once the lease has expired).
    owner: Mapped[str | None] = mapped_column(String(200))
    lease_expires_at: Mapped[datetime | None]
    # A post in doubt (migration 0009): when the latest attempt began (its post, if any, was
    # made after this), and how many lookups since read the account's posts without finding
    # it. A network whose lookup settles proves absence only with both (`xensocial.in_doubt`).
    attempted_at: Mapped[datetime | None]
    absent_reads: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Copies of the item's ordering fields, so one index walks a channel's pending deliveries
    # in selection order; the queue API keeps them equal to the item's.
    sort_priority: Mapped[int] = mapped_column(Integer, default=0)
    sort_created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # Staff's own words for this network only (`queue edit ID --channel NAME --text ...`).
    text_override: Mapped[str | None] = mapped_column(Text)
    # A copy of the item's category, like sort_priority: the content mix asks for the best
    # pending delivery of one category, which `ix_deliveries_category` yields in rank order.
    sort_category: Mapped[str] = mapped_column(String(40), default="", server_default="")
    # What went out, written with the state `published` in one transaction (migration 0008),
    # and never changed after: the post's title, its text as rendered for the network, its
    # link as posted (UTM parameters included) and that link's canonical form (a URL ever
    # posted stays a duplicate: see `queue.ContentQueue`), its tags and its media (None: none).
    # All None until the delivery is published.
    posted_title: Mapped[str | None] = mapped_column(Text)
    posted_text: Mapped[str | None] = mapped_column(Text)
    posted_url: Mapped[str | None] = mapped_column(Text)
    posted_canonical_url: Mapped[str | None] = mapped_column(Text)
    posted_tags: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True))
    posted_media: Mapped[list[Any] | None] = mapped_column(JSON(none_as_null=True))

    item: Mapped[Item] = relationship(back_populates="deliveries")

    __table_args__ = (
        UniqueConstraint("item_id", "channel", name="uq_deliveries_item_channel"),
        # sort_priority DESC matches the selection ORDER BY (priority DESC, then oldest), so
        # the index yields rows already in rank order and the query stops at its LIMIT; with an
        # ascending column both SQLite and PostgreSQL sort every pending row of the channel.
        Index(
            "ix_deliveries_selection",
            "channel",
            "state",
            text("sort_priority DESC"),
            "sort_created_at",
            "item_id",
        ),
        Index("ix_deliveries_channel_published", "channel", "published_at"),
        # A channel's posts (state published) from a time: the mix's window, the daily cap,
        # the latest post, `schedule` (see migration 0006).
        Index("ix_deliveries_channel_state_published", "channel", "state", "published_at"),
        Index(
            "ix_deliveries_category",
            "channel",
            "state",
            "sort_category",
            text("sort_priority DESC"),
            "sort_created_at",
            "item_id",
        ),
        # The duplicate check of `queue add` looks a URL up among those ever posted.
        Index("ix_deliveries_posted_canonical_url", "posted_canonical_url"),
    )


class SlotClaim(Base):
    __tablename__ = "slot_claims"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(100))
    slot_at: Mapped[datetime]
    claimed_by: Mapped[str] = mapped_column(String(200))
    claimed_at: Mapped[datetime]
    outcome: Mapped[str] = mapped_column(String(20), default=SlotOutcome.CLAIMED.value)
    item_id: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[datetime | None]

    __table_args__ = (UniqueConstraint("channel", "slot_at", name="uq_slot_claims_channel_slot"),)


class ChannelState(Base):
    __tablename__ = "channel_states"

    channel: Mapped[str] = mapped_column(String(100), primary_key=True)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    pause_reason: Mapped[str | None] = mapped_column(Text)
    paused_at: Mapped[datetime | None]
    paused_by: Mapped[str | None] = mapped_column(String(100))

    def as_dict(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "paused": self.paused,
            "pause_reason": self.pause_reason,
            "paused_at": self.paused_at.isoformat() if self.paused_at else None,
            "paused_by": self.paused_by,
        }


class Feed(Base):
    __tablename__ = "feeds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    url: Mapped[str] = mapped_column(Text)
    # "config": declared in [[feeds]] and synced at start; "cli": added with `feeds add`.
    managed_by: Mapped[str] = mapped_column(String(20), default="cli")
    category: Mapped[str] = mapped_column(String(40), default="news")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    channels: Mapped[list[str]] = mapped_column(JSON, default=list)  # empty: every channel
    auto_approve: Mapped[bool] = mapped_column(Boolean, default=False)
    interval_seconds: Mapped[int] = mapped_column(Integer, default=1800)
    include: Mapped[list[str]] = mapped_column(JSON, default=list)
    exclude: Mapped[list[str]] = mapped_column(JSON, default=list)
    initial: Mapped[int] = mapped_column(Integer, default=1)
    priority: Mapped[int] = mapped_column(Integer, default=0)  # of the items it queues
    # Its items are evergreen (posted again after `[editorial] recycle_after`).
    evergreen: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Conditional GET validators, sent back on the next poll.
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    last_polled_at: Mapped[datetime | None]  # last poll that got a body (a 304 writes nothing)
    status: Mapped[str] = mapped_column(String(20), default="new")  # new, ok, error, gone
    last_error: Mapped[str | None] = mapped_column(Text)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    next_poll_at: Mapped[datetime | None]  # backoff after errors: not polled before this
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]

    entries: Mapped[list[FeedEntry]] = relationship(
        back_populates="feed", cascade="all, delete-orphan", passive_deletes=True
    )


class FeedEntry(Base):
    __tablename__ = "feed_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feed_id: Mapped[int] = mapped_column(ForeignKey("feeds.id", ondelete="CASCADE"))
    # sha256 of the entry's stable key (id/guid, else canonical link, else content hash):
    # bounded length for the unique index, whatever the feed puts in its ids.
    entry_key: Mapped[str] = mapped_column(String(64))
    # The item the entry became; None when it was only marked seen (first poll, filtered out,
    # no link).
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id", ondelete="SET NULL"))
    content_hash: Mapped[str] = mapped_column(String(64))
    first_seen_at: Mapped[datetime]

    feed: Mapped[Feed] = relationship(back_populates="entries")

    __table_args__ = (UniqueConstraint("feed_id", "entry_key", name="uq_feed_entries_feed_key"),)


class EngagementSample(Base):
    """One reading of a published post's counters at one age (None: the network has no figure)."""

    __tablename__ = "engagement_samples"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(100))
    age_seconds: Mapped[int] = mapped_column(Integer)  # the age it stands for (1h, 24h, ...)
    taken_at: Mapped[datetime]
    found: Mapped[bool] = mapped_column(Boolean, default=True)  # False: the network lost it
    likes: Mapped[int | None] = mapped_column(Integer)
    reposts: Mapped[int | None] = mapped_column(Integer)
    replies: Mapped[int | None] = mapped_column(Integer)
    quotes: Mapped[int | None] = mapped_column(Integer)
    impressions: Mapped[int | None] = mapped_column(Integer)
    clicks: Mapped[int | None] = mapped_column(Integer)
    bookmarks: Mapped[int | None] = mapped_column(Integer)  # 0007

    # A post is read at most once per age, whatever rounds or processes overlap.
    __table_args__ = (
        UniqueConstraint("delivery_id", "age_seconds", name="uq_engagement_delivery_age"),
        Index("ix_engagement_channel_taken", "channel", "taken_at"),
    )


class FollowerSample(Base):
    __tablename__ = "follower_samples"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(100))
    taken_at: Mapped[datetime]
    followers: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (Index("ix_follower_samples_channel_taken", "channel", "taken_at"),)


class MetricsRequest(Base):
    """Reads made of a network for metrics: what the monthly budget is counted against."""

    __tablename__ = "metrics_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    network: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(100))
    made_at: Mapped[datetime]
    # Reads charged, in the network's unit (one a request; on X one a post or user returned).
    # The column keeps its first name: before X billed per post, every read was a request.
    requests: Mapped[int] = mapped_column(Integer)

    __table_args__ = (Index("ix_metrics_requests_network_made", "network", "made_at"),)


class Clip(Base):
    """A piece of press coverage: an article about the project (or its competitors).

    The text kept (title and summary) is what share of voice and themes are counted from, at
    report time, with the keywords of the configuration then in force."""

    __tablename__ = "clips"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    # One clip per article, however many times it is added or a coverage feed shows it.
    canonical_url: Mapped[str] = mapped_column(Text, unique=True)
    title: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    outlet: Mapped[str] = mapped_column(String(200), default="")
    published_on: Mapped[date] = mapped_column(Date, index=True)  # the article's own date
    topic: Mapped[str] = mapped_column(String(100), default="")
    source: Mapped[str] = mapped_column(String(120), default="manual")  # manual, csv, feed:NAME
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(100), default="")


class Activity(Base):
    """Work of the communications programme that is not a social post: a press release, an
    interview, an analyst briefing, member content, an event."""

    __tablename__ = "activities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    happened_on: Mapped[date] = mapped_column(Date, index=True)
    title: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    outlet: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(20), default="manual")  # manual, csv
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(100), default="")

    # The same activity imported twice is one activity.
    __table_args__ = (
        UniqueConstraint("kind", "happened_on", "title", name="uq_activities_kind_day_title"),
    )


class KeywordCount(Base):
    """How many posts on a network mentioned a competitor's keywords over a period (X's recent
    post counts), appended like every other reading."""

    __tablename__ = "keyword_counts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    competitor: Mapped[str] = mapped_column(String(100))
    network: Mapped[str] = mapped_column(String(100))
    period_start: Mapped[datetime]
    period_end: Mapped[datetime]
    posts: Mapped[int] = mapped_column(Integer)
    taken_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint(
            "competitor", "network", "period_start", "period_end", name="uq_keyword_counts_period"
        ),
    )


class Blackout(Base):
    """A period in which nothing is posted, on one channel or (channel None) on all of them.

    Slots inside are skipped and recorded, not saved up for a flood afterwards."""

    __tablename__ = "blackouts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str | None] = mapped_column(String(100))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime] = mapped_column(index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime]


class AuditEntry(Base):
    """One change, by whom and when: add, edit, approve, cancel, pause, resume, blackout,
    publish, failure. Rows are only ever appended; `item_id` is kept without a foreign key so
    the record outlives the item."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(40))
    item_id: Mapped[int | None] = mapped_column(Integer, index=True)
    channel: Mapped[str | None] = mapped_column(String(100))
    detail: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (Index("ix_audit_log_channel_at", "channel", "at"),)
