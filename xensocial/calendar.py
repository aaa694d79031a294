"""The calendar: every channel's slots over a week or a month, past and coming, day by day.

What the web console's calendar pages show (issue 19), as plain frozen dataclasses a template
walks: `Calendar.days`, each a `CalendarDay` of `CalendarSlot`s in time order.

- A **coming** slot (at or after `now`) is the forecast's (`xensocial.forecast.plan_configured`,
  the very call `xensocial schedule` makes): `planned`, with the item it will post and why, or
  `held`, with why nothing will be posted (paused, blackout, daily cap, minimum gap, nothing
  queued: the slot gate's own words, `xensocial.slot_gate`).
- A **past** slot is what the ledger recorded (`content_queue.calendar_store.slot_history`):
  `published` (what went out, its remote id and a link to the post when the network gave an
  address a browser can open), `skipped` (the gate's reason), `empty`, `failed` (why), or
  `posting` (claimed, no outcome yet: a post under way, or a crash the daemon will
  reconcile). A slot of the configured schedule that has no record at all, after the channel's
  first recorded slot, is `not run` (the daemon was down, or the slot is about to be acted on).

Titles, URLs and reasons are as stored (a feed's title, a network's error): whatever shows
them escapes them (the console's templates autoescape); `post_link` is only ever an http(s)
address, so a stored `javascript:` or `file:` URL never becomes a link.

Why one module apart from the CLI: the console and `schedule` must show one forecast, so both
go through `plan_configured`; and the console must answer a month of fifty channels in well
under 200 ms (bench/calendar.py), so the past is read in a few statements for every channel at
once, never slot by slot. Every function takes the time (`now`) instead of reading a clock.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from .forecast import PlannedSlot, plan_configured
from .slots import slots_between

if TYPE_CHECKING:
    from content_queue import Ledger
    from content_queue.calendar_store import SlotHistory
    from content_queue.selection import Choice

    from .config import ChannelConfig, Settings

__all__ = [
    "MAX_SLOTS",
    "NOT_RUN",
    "Calendar",
    "CalendarDay",
    "CalendarSlot",
    "SlotKind",
    "Span",
    "build_calendar",
    "month_span",
    "post_link",
    "week_span",
]

MAX_SLOTS = 500
"""Slots shown per channel, past and coming each: a month of a channel posting every hour is
744; a seconds-cron channel would be millions (`Calendar.truncated` names such channels)."""

NOT_RUN = "no record of this slot: the daemon was not running, or has yet to act on it"


class SlotKind(enum.StrEnum):
    PLANNED = "planned"  # coming: will post `item_id`, for `reason`
    HELD = "held"  # coming: will post nothing; `reason` says why
    PUBLISHED = "published"
    SKIPPED = "skipped"  # the gate said no (paused, blackout, daily cap, min_gap)
    EMPTY = "empty"  # nothing was queued
    FAILED = "failed"
    POSTING = "posting"  # claimed, no outcome yet
    NOT_RUN = "not run"


@dataclass(frozen=True)
class Span:
    """A period of the calendar: [start, end) in UTC, and the local days it covers in `zone`."""

    zone: ZoneInfo
    first_day: date
    last_day: date  # inclusive

    @property
    def start(self) -> datetime:
        return _midnight(self.first_day, self.zone)

    @property
    def end(self) -> datetime:
        return _midnight(self.last_day + timedelta(days=1), self.zone)

    def days(self) -> list[date]:
        count = (self.last_day - self.first_day).days + 1
        return [self.first_day + timedelta(days=n) for n in range(count)]


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def week_span(day: date, zone: ZoneInfo) -> Span:
    """The week (Monday to Sunday) that holds `day`, in `zone`."""
    monday = day - timedelta(days=day.weekday())
    return Span(zone, monday, monday + timedelta(days=6))


def month_span(year: int, month: int, zone: ZoneInfo) -> Span:
    """The calendar month `year`-`month`, in `zone`."""
    first = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    return Span(zone, first, following - timedelta(days=1))


@dataclass(frozen=True, slots=True)  # slots: a month of fifty channels makes 3,000 of them
class CalendarSlot:
    """One slot of one channel. `reason`: why a coming slot posts its item (`planned`) or
    nothing (`held`), why a past one was skipped, failed or not run; None for a post that
    went out. `title`/`url`/`text`: what was posted (the delivery's record), else the item's
    words (no text: a coming slot's text is the preview's to render).
    `post_link`: the post on the network, when the network gave an http(s) address."""

    channel: str
    network: str
    at: datetime  # UTC
    local: datetime  # in the calendar's zone
    kind: SlotKind
    reason: str | None = None
    pinned: bool = False
    item_id: int | None = None
    title: str = ""
    url: str = ""
    text: str | None = None  # the text as it went out (published slots only)
    category: str = ""
    remote_id: str | None = None
    post_link: str | None = None
    published_at: datetime | None = None

    @property
    def coming(self) -> bool:
        return self.kind in (SlotKind.PLANNED, SlotKind.HELD)


@dataclass(frozen=True)
class CalendarDay:
    day: date
    slots: tuple[CalendarSlot, ...]


@dataclass(frozen=True)
class Calendar:
    """The slots of `channels` over `span`, seen at `now`, grouped by local day (every day of
    the span, empty ones too). `truncated`: channels with more slots than `MAX_SLOTS` shown."""

    span: Span
    now: datetime
    channels: tuple[str, ...]
    categories: frozenset[str] | None
    days: tuple[CalendarDay, ...]
    truncated: tuple[str, ...]

    def slots(self) -> Iterable[CalendarSlot]:
        for day in self.days:
            yield from day.slots


def post_link(remote_url: str | None) -> str | None:
    """The post's address when a browser can open it (http or https), else None: the outbox's
    `file://` address names a path on the server, not a page."""
    if remote_url and remote_url.lower().startswith(("https://", "http://")):
        return remote_url
    return None


def build_calendar(
    settings: Settings,
    ledger: Ledger,
    span: Span,
    now: datetime,
    *,
    channels: Collection[str] | None = None,
    categories: Collection[str] | None = None,
) -> Calendar:
    """The calendar of `span` at `now` (see the module docstring). `channels`: only these
    (configured names; an unknown one raises `UsageError` naming the channels); default every
    configured channel, the disabled ones for their past only. `categories`: only the slots
    whose item is of one of these (a slot without an item then shows nowhere).

    `ledger` must read on its own sessions (a `Ledger` on the engine), as `plan_configured`
    says."""
    from content_queue.calendar_store import first_slots, slot_history

    chosen = _chosen(settings, channels)
    wanted = frozenset(categories) if categories is not None else None
    start, end = span.start, span.end
    slots: list[CalendarSlot] = []
    truncated: set[str] = set()
    history = slot_history(ledger, [c.name for c in chosen], start, end)
    recorded: dict[str, dict[datetime, SlotHistory]] = defaultdict(dict)
    for record in history:
        recorded[record.channel][record.slot_at] = record
    by_name = {c.name: c for c in chosen}
    slots.extend(_recorded(by_name[r.channel], r, span.zone) for r in history)
    enabled = [c for c in chosen if c.enabled]
    if start < now:
        firsts = first_slots(ledger, [c.name for c in enabled])
        for channel in enabled:
            first = firsts.get(channel.name)
            if first is None:
                continue
            times, cut = slots_between(channel, max(start, first), min(end, now), MAX_SLOTS)
            if cut:
                truncated.add(channel.name)
            for at in times:
                if at not in recorded[channel.name]:
                    slots.append(_not_run(channel, at, span.zone))
    if end > now and enabled:
        plans = plan_configured(settings, ledger, enabled, now, end, max_slots=MAX_SLOTS)
        for plan in plans:
            if plan.truncated:
                truncated.add(plan.channel.name)
            done = recorded[plan.channel.name]
            for planned in plan.slots:
                if planned.at >= start and planned.at not in done:  # else shown as recorded
                    slots.append(_planned(plan.channel, planned, span.zone))
    if wanted is not None:
        slots = [s for s in slots if s.item_id is not None and s.category in wanted]
    return Calendar(
        span=span,
        now=now,
        channels=tuple(c.name for c in chosen),
        categories=wanted,
        days=_by_day(span, slots),
        truncated=tuple(sorted(truncated)),
    )


def _chosen(settings: Settings, channels: Collection[str] | None) -> list[ChannelConfig]:
    if channels is None:
        return list(settings.channels)
    names = {settings.channel(name).name for name in channels}  # raises UsageError
    return [c for c in settings.channels if c.name in names]


_OUTCOMES = {
    "published": SlotKind.PUBLISHED,
    "skipped": SlotKind.SKIPPED,
    "empty": SlotKind.EMPTY,
    "failed": SlotKind.FAILED,
    "claimed": SlotKind.POSTING,
}


def _recorded(channel: ChannelConfig, r: SlotHistory, zone: ZoneInfo) -> CalendarSlot:
    kind = _OUTCOMES.get(r.outcome, SlotKind.POSTING)
    reason = r.detail
    if kind is SlotKind.FAILED:
        reason = r.detail or r.last_error
    elif kind is SlotKind.EMPTY:
        reason = r.detail or "nothing queued"
    elif kind is SlotKind.PUBLISHED:
        reason = None
    return CalendarSlot(
        channel=channel.name,
        network=channel.network,
        at=r.slot_at,
        local=r.slot_at.astimezone(zone),
        kind=kind,
        reason=reason,
        pinned=r.pinned,
        item_id=r.item_id,
        title=r.title,
        url=r.url,
        text=r.text if kind is SlotKind.PUBLISHED else None,
        category=r.category,
        remote_id=r.remote_id if kind is SlotKind.PUBLISHED else None,
        post_link=post_link(r.remote_url) if kind is SlotKind.PUBLISHED else None,
        published_at=r.published_at if kind is SlotKind.PUBLISHED else None,
    )


def _not_run(channel: ChannelConfig, at: datetime, zone: ZoneInfo) -> CalendarSlot:
    return CalendarSlot(
        channel.name, channel.network, at, at.astimezone(zone), SlotKind.NOT_RUN, NOT_RUN
    )


def _planned(channel: ChannelConfig, p: PlannedSlot, zone: ZoneInfo) -> CalendarSlot:
    local = p.at.astimezone(zone)
    if p.item is None:
        return CalendarSlot(
            channel.name, channel.network, p.at, local, SlotKind.HELD, p.skipped, p.pinned
        )
    item = p.item
    return CalendarSlot(  # by position, each field in its order: made for every coming slot
        channel.name, channel.network, p.at, local, SlotKind.PLANNED, item.reason, p.pinned,
        item.item_id, item.title, item.url, None, _category(item),
    )  # fmt: skip


def _category(choice: Choice) -> str:
    if choice.candidate is not None:
        return choice.candidate.category
    if choice.recycle is not None:
        return choice.recycle.category
    assert choice.reminder is not None
    return choice.reminder.event.category


def _by_day(span: Span, slots: Sequence[CalendarSlot]) -> tuple[CalendarDay, ...]:
    grouped: dict[date, list[CalendarSlot]] = defaultdict(list)
    for slot in slots:
        grouped[slot.local.date()].append(slot)
    return tuple(
        CalendarDay(day, tuple(sorted(grouped.get(day, ()), key=lambda s: (s.at, s.channel))))
        for day in span.days()
    )
