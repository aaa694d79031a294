"""The twelve months before a period's end, for the charts that make a trend visible.

A month's or a quarter's figures alone do not say whether things are getting better; the board
asks for the curve. The trends are the report's own figures, defined exactly as in their
sections (docs/reports.md), month by month over the twelve calendar months ending with the
period's last month (in the report's zone):

- followers per channel at the end of each month (the largest channels, as the followers
  chart), and their sum over every channel: `followers.last_known_followers`, one seek per
  channel and month;
- press clips per month of the period's calendar year (up to its last month) against the same
  months of the year before, and each of the twelve months against a year earlier;
- the share of voice of each competitor in each month's clips (`press.count_mentions`);
- interactions per post: the month's interactions over its posts that have an interaction
  figure (the outbox's posts, which have none, do not dilute it).

Clips are few (tens a month), so two years (the window and a year before it) of them are read once and counted here; posts are
many, so their interactions are summed by the database, one pass for all twelve months.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.engine import Connection

from content_queue.schema import Clip

from .channels import ChannelList
from .engagement import interactions_by_stretch
from .followers import CHART_CHANNELS, last_known_followers
from .keywords import KeywordSet
from .model import FollowerSeries, MonthTrend, TrendsSection, VoiceSeries, share
from .periods import Period, add_months
from .press import count_mentions

__all__ = ["TREND_MONTHS", "gather_trends"]

TREND_MONTHS = 12


def _months(period: Period) -> list[Period]:
    last = add_months(period.end_day, -1)
    firsts = [add_months(last, n) for n in range(1 - TREND_MONTHS, 1)]
    return [Period.month(d.year, d.month, period.zone) for d in firsts]


def _month_of(day: date) -> date:
    return day.replace(day=1)


def gather_trends(
    conn: Connection,
    period: Period,
    posted: ChannelList,
    competitors: Mapping[str, Sequence[str]],
    project: str | None,
) -> TrendsSection:
    months = _months(period)
    firsts = [m.first_day for m in months]
    year = firsts[-1].year

    # Followers at the end of each month, per channel.
    known = last_known_followers(conn, [m.end for m in months])
    totals: list[int | None] = []
    for n in range(len(months)):
        figures = [r[0] for r in (readings[n] for readings in known.values()) if r is not None]
        totals.append(sum(figures) if figures else None)
    at_end = [(last[0], channel) for channel, (*_, last) in known.items() if last is not None]
    largest = sorted(at_end, key=lambda pair: (-pair[0], pair[1]))[:CHART_CHANNELS]
    followers = tuple(
        FollowerSeries(
            channel,
            tuple((d, r[0]) for d, r in zip(firsts, known[channel], strict=True) if r is not None),
        )
        for _, channel in largest
    )

    # Clips: per month of this year and last, and each month's mentions.
    clips: dict[date, list[str]] = {}
    for day, title, summary in conn.execute(
        select(Clip.published_on, Clip.title, Clip.summary).where(
            Clip.published_on >= add_months(firsts[0], -12), Clip.published_on < period.end_day
        )
    ):
        clips.setdefault(_month_of(day), []).append(f"{title}\n{summary}")
    keywords = KeywordSet.build(competitors)
    shares: dict[str, list[tuple[date, float]]] = {name: [] for name in competitors}
    project_share: list[float | None] = []
    for first in firsts:
        mentions, _ = count_mentions(keywords, competitors, clips.get(first, []))
        whole = sum(mentions.values())
        for name, n in mentions.items():
            value = share(n, whole)
            if value is not None:
                shares[name].append((first, value))
        project_share.append(share(mentions[project], whole) if project in mentions else None)
    voice = tuple(
        VoiceSeries(name, name == project, tuple(points)) for name, points in shares.items()
    )
    this_year = [date(year, m, 1) for m in range(1, firsts[-1].month + 1)]
    last_year = [date(year - 1, m, 1) for m in range(1, 13)]

    # Interactions per post, per month.
    stretches = interactions_by_stretch(conn, [m.start for m in months] + [months[-1].end], posted)
    rows = []
    for n, (month, first) in enumerate(zip(months, firsts, strict=True)):
        with_figures, interactions = stretches[n]
        rows.append(
            MonthTrend(
                month=month.label,
                first_day=first,
                followers=totals[n],
                clips=len(clips.get(first, [])),
                clips_year_before=len(clips.get(add_months(first, -12), [])),
                project_share=project_share[n],
                posts_with_figures=with_figures,
                interactions=interactions,
                interactions_per_post=(
                    None if interactions is None else interactions / with_figures
                ),
            )
        )
    return TrendsSection(
        months=tuple(rows),
        followers=followers,
        voice=voice,
        year=year,
        clips_this_year=tuple((d, len(clips.get(d, []))) for d in this_year),
        clips_last_year=tuple((d, len(clips.get(d, []))) for d in last_year),
    )
