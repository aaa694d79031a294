"""Every question a slot may ask of one channel, answered by one statement.

`selection.pick` asks its questions one at a time and stops at the first answer (see
`selection.Supply`). Asked of the database one query each, a slot with a content mix made six or
seven round trips (pinned, announcement, reminder made, events to come, the mix's counts, the
categories in turn), and on PostgreSQL the round trips, not the queries, were the cost. Here
they are asked together, as one `UNION ALL` of small queries, each the very query the question
would run alone (an index walk that stops at its first row, see `editorial_store`):

- `best:<category>`: the best eligible item of each category the rules may ask for
  (announcements, then each category of the mix);
- `outside`: the best eligible item of any other category (of any category without a mix);
- `due`: the pending items whose pinned time has come and the reminders made, together
  (few rows, among the channel's pending deliveries), of which the first of each is taken as
  their own ORDER BY would (`pinned`, `reminder`);
- `event` rows: the events to come within the largest reminder offset, with when each went
  out on the channel (which reminders were made of them is asked after, when there are any
  and the slot gets that far: the keys are derived in Python);
- `count` rows: the channel's posts in the mix's window, one row each (their category).

The answers are what the questions asked one by one in the same read session would give, since
each member is that question (tests/storage/editorial/test_slot_query.py compares them); the database
does a little more work (a question `pick` would not have reached is answered too: a few index
rows) for one round trip instead of seven. The rarer questions (which reminders were made,
evergreen items to recycle) are still asked on their own, when reached.

The statement is built once per shape of rules (`_statement`, cached) and run with the channel
and the times as parameters: building a union of ten members with SQLAlchemy cost three times
what running it does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Select,
    String,
    and_,
    bindparam,
    case,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.sql.functions import FunctionElement

from .eligible import candidates_query
from .events import Event
from .schema import Delivery, DeliveryState, Item, ItemState, UTCDateTime
from .selection import ANNOUNCEMENT, Candidate, Rules, rank_key

__all__ = [
    "SlotAnswers",
    "Unindexed",
    "ask_all",
    "candidate_columns",
    "event_of",
    "event_window",
    "pinned_conditions",
    "posts_since",
]


def candidate_columns() -> tuple[ColumnElement[Any], ...]:
    """The fields of `selection.Candidate`, in its order, labelled."""
    return (
        Delivery.id.label("delivery_id"),
        Item.id.label("item_id"),
        Delivery.channel.label("channel"),
        Item.priority.label("priority"),
        Item.created_at.label("created_at"),
        Item.state.label("item_state"),
        Delivery.state.label("delivery_state"),
        Item.not_before.label("not_before"),
        Item.expires_at.label("expires_at"),
        Item.title.label("title"),
        Item.url.label("url"),
        Item.category.label("category"),
        Item.publish_at.label("publish_at"),
        Item.reminder_of.label("reminder_of"),
    )


class Unindexed(FunctionElement[Any]):
    """A column as a value SQLite looks up in no index: its unary `+`, a no-op on any value
    (SQLite's documented way to keep an index from serving a term); the column itself
    elsewhere."""

    inherit_cache = True
    name = "unindexed"

    def __init__(self, column: ColumnElement[Any] | InstrumentedAttribute[Any]) -> None:
        super().__init__(column)
        self.type = column.type


@compiles(Unindexed)
def _column(element: Unindexed, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.clauses, **kw))


@compiles(Unindexed, "sqlite")
def _plus_column(element: Unindexed, compiler: Any, **kw: Any) -> str:
    return "+" + str(compiler.process(element.clauses, **kw))


Value = ColumnElement[Any]
"""A value in a statement: a bound parameter, so that a statement is built once and run often
(building one of these unions costs more than running it)."""


def pinned_conditions(now: datetime | Value) -> list[ColumnElement[bool]]:
    """An item pinned to a time that has come (with `eligible.candidates_query`: the pending
    delivery of the channel whose time has come).

    Pinned items keep their time once out, so every pinned item ever posted matches "pinned
    time before now": SQLite without statistics would walk them all through
    `ix_items_publish_at` (state, publish_at). Kept off that index, it walks the channel's
    pending deliveries instead, what the queue holds now (PostgreSQL, which knows how many
    pinned items there are, chooses so by itself)."""
    # No "publish_at IS NOT NULL" besides: the comparison implies it, and PostgreSQL, taking
    # the two for independent, would expect a few hundredth of the rows and walk the index.
    return [Unindexed(Item.publish_at) <= now]


def posts_since(channel: str | Value, since: datetime | Value) -> list[ColumnElement[bool]]:
    """The posts of `channel` from `since` on: one range of
    `ix_deliveries_channel_state_published`. Counted by the caller, not with GROUP BY: SQLite
    would rather walk `ix_deliveries_category`, already in category order, through every post
    the channel ever made than sort a window's few rows."""
    return [
        Delivery.channel == channel,
        Delivery.state == DeliveryState.PUBLISHED.value,
        Delivery.published_at >= since,
    ]


def _on_channel(item: Any, channel: str | Value) -> ColumnElement[bool]:
    """`item` has a delivery on `channel`: a probe of `uq_deliveries_item_channel` per item
    (there is one delivery at most). Not EXISTS: PostgreSQL turns that into a join, and may
    hash every delivery the channel ever had to test a few events."""
    return (
        select(Delivery.id)
        .where(Delivery.item_id == item.id, Delivery.channel == channel)
        .scalar_subquery()
        .is_not(None)
    )


def event_window(now: datetime | Value, horizon: datetime | Value) -> list[ColumnElement[bool]]:
    """An event (not a reminder) still to come at `now`, at `horizon` at the latest."""
    return [
        Item.event_at > now,
        Item.event_at <= horizon,
        # Not through `ix_items_reminder_of`: with statistics SQLite takes "IS NULL" for a
        # rare value and reads nearly every item.
        Unindexed(Item.reminder_of).is_(None),
        Item.state == ItemState.APPROVED.value,
    ]


def _posted(channel: str | Value) -> ColumnElement[datetime | None]:
    """When the item went out on `channel` (None: not yet), a probe per item."""
    return (
        select(
            case(
                (Delivery.state == DeliveryState.PUBLISHED.value, Delivery.published_at),
                else_=None,
            )
        )
        .where(Delivery.item_id == Item.id, Delivery.channel == channel)
        .scalar_subquery()
    )


def _events(
    channel: str | Value, now: datetime | Value, horizon: datetime | Value
) -> Select[Item, datetime | None]:
    """The events of `channel` to come, within `horizon`: read from the events' side, each
    probing the channel's delivery, whatever the channel's history."""
    return select(Item, _posted(channel).label("posted_at")).where(
        *event_window(now, horizon), _on_channel(Item, channel)
    )


@dataclass
class SlotAnswers:
    """What `ask_all` found: each candidate question asked, with its answer (None: nothing);
    a question not asked is absent (`counts` None: not asked)."""

    candidates: dict[str, Candidate | None] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)  # `made` not yet known
    counts: dict[str, int] | None = None
    outside: frozenset[str] | None = None  # the categories `outside` was asked without
    offsets: tuple[timedelta, ...] = ()  # the reminder offsets `events` were asked for
    since: datetime | None = None  # the start of the window `counts` counts


Column = ColumnElement[Any] | InstrumentedAttribute[Any]


def _member(
    kind: str,
    columns: Sequence[Column] = (),
    *,
    key: Column | None = None,
    event_at: Column | None = None,
    posted_at: Column | None = None,
) -> list[ColumnElement[Any]]:
    """One member's columns in the union's shape: kind, key, event_at, posted_at, then the
    candidate's fields (typed NULLs where the member has none to give)."""
    given = {c.key: c for c in columns}
    return [
        literal(kind, String()).label("kind"),
        (key if key is not None else null().cast(String())).label("key"),
        (event_at if event_at is not None else null().cast(UTCDateTime())).label("event_at"),
        (posted_at if posted_at is not None else null().cast(UTCDateTime())).label("posted_at"),
        *(given.get(c.key, null().cast(c.type)).label(c.key) for c in candidate_columns()),
    ]


def _first(
    kind: str,
    *where: ColumnElement[bool],
    order_by: Sequence[ColumnElement[Any]] = (),
) -> Select[Any]:
    """The best eligible candidate under `where`, as a union member (a subquery, since SQLite
    allows no LIMIT on a member itself)."""
    query = candidates_query(_CHANNEL, _NOW, limit=1, where=where, order_by=order_by)
    inner = query.with_only_columns(*_member(kind, candidate_columns())).subquery()
    return select(*inner.c)


_CHANNEL = bindparam("channel", type_=String())
_NOW = bindparam("now", type_=UTCDateTime())
_HORIZON = bindparam("horizon", type_=UTCDateTime())  # the events' window: now + largest offset
_SINCE = bindparam("since", type_=UTCDateTime())  # the mix's window


@lru_cache(maxsize=256)
def _statement(
    categories: tuple[str, ...], outside: tuple[str, ...], reminders: bool, counts: bool
) -> CompoundSelect[Any]:
    """The union for rules of this shape (the values come as parameters, see `ask_all`)."""
    due = pinned_conditions(_NOW)
    if reminders:
        due = [or_(*due, and_(Item.reminder_of.is_not(None), Item.event_at > _NOW))]
    members: list[Select[Any]] = [
        # Pinned items whose time has come and reminders made, together: few rows, found
        # among the channel's pending deliveries (see `pinned_conditions`); `_take_due`
        # chooses the first of each as its own ORDER BY would.
        candidates_query(_CHANNEL, _NOW, limit=None, where=due)
        .order_by(None)
        .with_only_columns(*_member("due", candidate_columns(), event_at=Item.event_at)),
        *(_first(f"best:{c}", Delivery.sort_category == c) for c in categories),
        _first("outside", *([Delivery.sort_category.not_in(outside)] if outside else [])),
    ]
    if reminders:
        found = _events(_CHANNEL, _NOW, _HORIZON).subquery()
        event = (found.c.id.label("item_id"), found.c.title, found.c.url, found.c.category)
        members.append(
            select(
                *_member(
                    "event",
                    (*event, found.c.priority),
                    event_at=found.c.event_at,
                    posted_at=found.c.posted_at,
                )
            )
        )
    if counts:
        category = Delivery.sort_category.label("category")
        members.append(select(*_member("count", (category,))).where(*posts_since(_CHANNEL, _SINCE)))
    return union_all(*members)


def ask_all(s: Session, channel: str, now: datetime, rules: Rules) -> SlotAnswers:
    """Every question `pick` may ask for a slot of `channel` at `now` under `rules` (but the
    evergreen ones), in one statement (see the module docstring)."""
    categories = (ANNOUNCEMENT, *(rules.mix.categories if rules.mix else ()))
    outside = frozenset(categories) if rules.mix else frozenset()
    since = now - rules.mix.window if rules.mix else None
    statement = _statement(
        categories, tuple(sorted(outside)), bool(rules.reminders), since is not None
    )
    horizon = now + max(rules.reminders) if rules.reminders else now
    kinds = ["pinned", *(f"best:{c}" for c in categories), "outside"]
    answers = SlotAnswers(
        candidates=dict.fromkeys([*kinds, "reminder"] if rules.reminders else kinds),
        outside=outside,
        offsets=rules.reminders,
        since=since,
        counts={} if since else None,
    )
    params = {"channel": channel, "now": now, "horizon": horizon, "since": since or now}
    due: list[tuple[Candidate, datetime | None]] = []
    events: dict[int, Event] = {}
    for row in s.connection().execute(statement, params):  # plain rows, no ORM loading
        kind: str = row.kind
        if kind == "count":
            assert answers.counts is not None
            answers.counts[row.category] = answers.counts.get(row.category, 0) + 1
        elif kind == "event":
            events[row.item_id] = event_of(row, row.item_id, channel, row.posted_at)
        elif kind == "due":
            due.append((Candidate(*row[4:]), row.event_at))
        else:
            answers.candidates[kind] = Candidate(*row[4:])
    _take_due(answers, due, now, bool(rules.reminders))
    answers.events = sorted(events.values(), key=lambda e: (e.event_at, e.item_id))
    return answers


def _take_due(
    answers: SlotAnswers,
    due: list[tuple[Candidate, datetime | None]],
    now: datetime,
    reminders: bool,
) -> None:
    """The first pinned item due (by pinned time, then rank) and the first reminder made (by
    event, then rank) among the `due` rows: the order of `ChannelSupply`'s own questions."""
    pinned = [c for c, _ in due if c.publish_at is not None and c.publish_at <= now]
    answers.candidates["pinned"] = min(
        pinned, key=lambda c: (c.publish_at, *rank_key(c)), default=None
    )
    if reminders:
        made = [
            (at, c) for c, at in due if c.reminder_of is not None and at is not None and at > now
        ]
        first = min(made, key=lambda m: (m[0], *rank_key(m[1])), default=None)
        answers.candidates["reminder"] = first[1] if first is not None else None


def event_of(item: Any, item_id: int, channel: str, published_at: datetime | None) -> Event:
    """The `Event` of `item` (an `Item`, or a row with its columns) as `channel` sees it."""
    return Event(
        item_id=item_id,
        channel=channel,
        event_at=item.event_at,
        published_at=published_at,
        title=item.title,
        url=item.url,
        category=item.category,
        priority=item.priority,
    )
