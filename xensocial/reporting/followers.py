"""Followers per channel at the end of a period, their growth, and daily series for the chart.

Definitions (also in docs/reports.md and the report's notes):

- a channel's followers **at an instant** are those of its last sample taken before that
  instant that has a figure (a sample whose network gave none is passed over);
- **at the end of the period**: at the period's (exclusive) end, local midnight after its last
  day;
- **growth month over month**: followers at the end minus followers one calendar month earlier
  (for March, at the end of March minus at the end of February), and that difference in percent
  of the earlier figure; **quarter over quarter**: the same against three calendar months
  earlier. Both are defined the same way for monthly and quarterly reports, and both are "—"
  when either figure is missing.

Each "last sample before T" is one index seek per channel on `follower_samples(channel,
taken_at)`, and so is finding the channels (`channels.channel_values`), so a year of daily
samples for a thousand channels costs a few thousand seeks, not a scan, and ten years the same.
Only the channels drawn in the chart have their samples of the period read.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import FromClause, ScalarSelect, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import aliased

from content_queue.schema import FollowerSample

from .channels import channel_values
from .engagement import ALL_CHANNELS
from .model import FollowerRow, FollowerSeries, FollowersSection, text_order
from .periods import Period, add_months, local_midnight

__all__ = ["CHART_CHANNELS", "gather_followers", "last_known_followers"]

CHART_CHANNELS = 8  # more lines than this make the chart unreadable; the table has them all
_F = FollowerSample


Reading = tuple[int, datetime]  # a follower count and when it was taken


def last_known_followers(
    conn: Connection, instants: Sequence[datetime]
) -> dict[str, tuple[Reading | None, ...]]:
    """Per channel with follower readings: for each of `instants`, its last figure before that
    instant and when it was taken (None: no figure yet). One query, one seek per channel and
    instant."""
    channels = channel_values(_F.channel)

    def last_id(before: datetime) -> ScalarSelect[int]:
        inner = aliased(_F)
        return (
            select(inner.id)
            .where(
                inner.channel == channels.c.channel,
                inner.taken_at < before,
                inner.followers.is_not(None),
            )
            .order_by(inner.taken_at.desc(), inner.id.desc())
            .limit(1)
            .scalar_subquery()
        )

    ids = select(
        channels.c.channel, *(last_id(t).label(f"at_{n}") for n, t in enumerate(instants))
    ).subquery("ids")
    samples = [aliased(_F) for _ in instants]
    query = select(ids.c.channel, *(c for s in samples for c in (s.followers, s.taken_at)))
    joined: FromClause = ids
    for n, sample in enumerate(samples):
        joined = joined.outerjoin(sample, sample.id == ids.c[f"at_{n}"])
    out: dict[str, tuple[Reading | None, ...]] = {}
    for channel, *values in conn.execute(query.select_from(joined)):
        pairs = zip(values[::2], values[1::2], strict=True)
        out[channel] = tuple(None if f is None else (int(f), t) for f, t in pairs)
    return out


def _sum(values: Sequence[int | None]) -> int | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def gather_followers(conn: Connection, period: Period, channels: Sequence[str]) -> FollowersSection:
    month_before = local_midnight(add_months(period.end_day, -1), period.zone)
    quarter_before = local_midnight(add_months(period.end_day, -3), period.zone)
    known = last_known_followers(conn, (period.end, month_before, quarter_before))
    names = list(channels) + sorted(
        (c for c, (at_end, _, _) in known.items() if at_end and c not in channels), key=text_order
    )
    rows = []
    for name in names:
        at_end, month, quarter = known.get(name, (None, None, None))
        rows.append(
            FollowerRow.of(
                name,
                at_end[0] if at_end else None,
                at_end[1] if at_end else None,
                month[0] if month else None,
                quarter[0] if quarter else None,
            )
        )
    total = FollowerRow.of(
        ALL_CHANNELS,
        _sum([r.followers for r in rows]),
        None,
        _sum([r.month_before for r in rows]),
        _sum([r.quarter_before for r in rows]),
    )
    charted = sorted(
        (r for r in rows if r.followers is not None), key=lambda r: (-(r.followers or 0), r.channel)
    )[:CHART_CHANNELS]
    return FollowersSection(tuple(rows), total, _series(conn, period, [r.channel for r in charted]))


def _series(
    conn: Connection, period: Period, channels: Sequence[str]
) -> tuple[FollowerSeries, ...]:
    """The last figure of each local day of the period, per channel in `channels`."""
    if not channels:
        return ()
    zone = ZoneInfo(period.zone)
    days: dict[str, dict[date, int]] = {name: {} for name in channels}
    for channel, taken_at, followers in conn.execute(
        select(_F.channel, _F.taken_at, _F.followers)
        .where(
            _F.channel.in_(channels),
            _F.taken_at >= period.start,
            _F.taken_at < period.end,
            _F.followers.is_not(None),
        )
        .order_by(_F.taken_at, _F.id)
    ):
        assert followers is not None  # the query asked for figures only
        days[channel][taken_at.astimezone(zone).date()] = followers  # later ones win
    return tuple(FollowerSeries(name, tuple(sorted(days[name].items()))) for name in channels)
