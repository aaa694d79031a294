"""Programme activity of a period: press releases issued, and the team's other recorded work.

**Press releases issued** are the union of two records of the same work, counted once each:

- activities of kind `press-release` whose date falls in the period;
- items of category `announcement` first published in the period (on whichever channel went
  first: an announcement posted on five channels is one release, and it belongs to the period
  of its first post, so it is never counted in two months), with the title and link that first
  post went out with (the delivery's record: a later edit of the item changes nothing here).

An activity whose URL is the announcement's URL (compared in canonical form, so tracking
parameters or a trailing slash do not matter) is the same release: it counts once, as "both".

Interviews, analyst briefings, member content and events are the activities of those kinds
whose date falls in the period; the five standard kinds are always listed, others as recorded.
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import aliased

from content_queue.coverage import ACTIVITY_KINDS
from content_queue.schema import Activity, Delivery, DeliveryState
from content_queue.urls import canonical_url

from .channels import ChannelList
from .model import ActivityRow, KindCount, PressRelease, ProgrammeSection
from .periods import Period
from .posts import published_in

__all__ = ["ANNOUNCEMENT", "PRESS_RELEASE", "gather_programme"]

PRESS_RELEASE = "press-release"
ANNOUNCEMENT = "announcement"


def _canonical(url: str | None) -> str | None:
    if not url:
        return None
    try:
        return canonical_url(url)
    except ValueError:  # not a web address (InvalidItem is a ValueError): compare as written
        return url.strip()


def _activities(conn: Connection, period: Period) -> tuple[ActivityRow, ...]:
    return tuple(
        ActivityRow(kind, day, title, outlet or "", url)
        for kind, day, title, outlet, url in conn.execute(
            select(
                Activity.kind, Activity.happened_on, Activity.title, Activity.outlet, Activity.url
            )
            .where(Activity.happened_on >= period.first_day, Activity.happened_on < period.end_day)
            .order_by(Activity.happened_on, Activity.id)
        )
    )


def _announcements(
    conn: Connection, period: Period, posted: ChannelList
) -> list[tuple[date, str, str, str]]:
    """(local day of first post, title, url, canonical url) of announcements first published
    in the period, as their first post said them (its record: `published.py`)."""
    earlier = aliased(Delivery)
    posted_before = (
        select(earlier.id)
        .where(
            earlier.item_id == Delivery.item_id,
            earlier.state == DeliveryState.PUBLISHED.value,
            earlier.published_at < period.start,
        )
        .exists()
    )
    rows = conn.execute(
        select(
            Delivery.item_id,
            Delivery.posted_title,
            Delivery.posted_url,
            Delivery.posted_canonical_url,
            Delivery.published_at,
        )
        .where(
            published_in(period, posted),
            Delivery.sort_category == ANNOUNCEMENT,  # the category it went out in
            ~posted_before,
        )
        .order_by(Delivery.published_at, Delivery.item_id, Delivery.id)
    )
    zone = ZoneInfo(period.zone)
    first: dict[int, tuple[date, str, str, str]] = {}
    for item_id, title, url, canon, published in rows:
        if published is not None and item_id not in first:  # none before: the first post
            day = published.astimezone(zone).date()
            first[item_id] = (day, title or url or "", url or "", canon or "")
    return list(first.values())


def gather_programme(conn: Connection, period: Period, posted: ChannelList) -> ProgrammeSection:
    """`posted`: the channels with posts in the period (`posts.posting_channels`)."""
    activities = _activities(conn, period)
    releases: dict[str, PressRelease] = {}
    unlinked: list[PressRelease] = []
    for a in activities:
        if a.kind != PRESS_RELEASE:
            continue
        release = PressRelease(a.day, a.title, a.url, "activity")
        key = _canonical(a.url)
        if key is None or key in releases:
            unlinked.append(release)
        else:
            releases[key] = release
    for day, title, url, canon in _announcements(conn, period, posted):
        earlier = releases.get(canon)
        if earlier is not None and earlier.source == "activity":
            releases[canon] = PressRelease(earlier.day, earlier.title, earlier.url, "both")
        else:
            releases.setdefault(canon, PressRelease(day, title, url, ANNOUNCEMENT))
    press = sorted([*releases.values(), *unlinked], key=lambda r: (r.day, r.title))
    counted: dict[str, int] = dict.fromkeys(ACTIVITY_KINDS, 0)
    for a in activities:
        counted[a.kind] = counted.get(a.kind, 0) + 1
    return ProgrammeSection(
        press_releases=tuple(press),
        by_kind=tuple(KindCount(kind, n) for kind, n in counted.items()),
        activities=activities,
    )
