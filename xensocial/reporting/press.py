"""Press coverage of a period: clips against the same period a year earlier, and share of voice.

A clip belongs to the period whose local days include its own date (`published_on`). Share of
voice is counted at report time from each clip's title and summary with the competitors'
keywords of the configuration (`KeywordSet`: whole words, any case): a clip mentioning two
competitors counts once for each, and each competitor's share is its mentions over all
competitors' mentions. Where the X API gave recent post counts per competitor
(`keyword_counts`), their totals over the period are shown beside, per network, with the same
kind of share (each reading counted in the period that holds the middle of its window).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import InstrumentedAttribute

from content_queue.schema import Clip, KeywordCount

from .keywords import KeywordSet
from .model import (
    ClipsSection,
    NamedCount,
    NetworkMentions,
    VoiceRow,
    VoiceSection,
    growth,
    share,
    text_order,
)
from .periods import Period

__all__ = [
    "NO_OUTLET",
    "NO_TOPIC",
    "clip_texts",
    "count_mentions",
    "gather_clips",
    "gather_voice",
]

NO_OUTLET = "(no outlet)"
NO_TOPIC = "(no topic)"


def _in(period: Period) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    return (Clip.published_on >= period.first_day, Clip.published_on < period.end_day)


def _count(conn: Connection, period: Period) -> int:
    return int(conn.scalar(select(func.count()).select_from(Clip).where(*_in(period))) or 0)


def _by(
    conn: Connection, period: Period, column: InstrumentedAttribute[str], empty: str
) -> tuple[NamedCount, ...]:
    rows = conn.execute(select(column, func.count()).where(*_in(period)).group_by(column))
    counts = [NamedCount(name or empty, int(n)) for name, n in rows]
    return tuple(sorted(counts, key=lambda c: (-c.count, text_order(c.name))))


def gather_clips(conn: Connection, period: Period, year_before: Period) -> ClipsSection:
    total, before = _count(conn, period), _count(conn, year_before)
    change, change_pct = growth(total, before)
    assert change is not None
    return ClipsSection(
        total=total,
        year_before=before,
        change=change,
        change_pct=change_pct,
        by_outlet=_by(conn, period, Clip.outlet, NO_OUTLET),
        by_topic=_by(conn, period, Clip.topic, NO_TOPIC),
    )


def clip_texts(conn: Connection, period: Period) -> list[str]:
    """The words of each clip of the period (title and summary): what keywords are matched in."""
    return [
        f"{title}\n{summary}"
        for title, summary in conn.execute(
            select(Clip.title, Clip.summary).where(*_in(period)).order_by(Clip.id)
        )
    ]


def _keyword_counts(conn: Connection, period: Period) -> dict[str, dict[str, int]]:
    """network -> competitor -> posts, over the readings that count in the period.

    A reading counts in the period holding the middle of its window: for X's day counts, the
    day's noon (UTC), so each day counts in exactly one month whatever the report's zone, even
    though local months and UTC days do not line up. A year of daily readings is a few thousand
    small rows, so the overlapping ones are read and placed here."""
    out: dict[str, dict[str, int]] = {}
    for network, competitor, start, end, posts in conn.execute(
        select(
            KeywordCount.network,
            KeywordCount.competitor,
            KeywordCount.period_start,
            KeywordCount.period_end,
            KeywordCount.posts,
        )
        .where(KeywordCount.period_start < period.end, KeywordCount.period_end > period.start)
        .order_by(KeywordCount.id)
    ):
        if period.start <= start + (end - start) / 2 < period.end:
            counts = out.setdefault(network, {})
            counts[competitor] = counts.get(competitor, 0) + posts
    return {network: out[network] for network in sorted(out, key=text_order)}


def count_mentions(
    keywords: KeywordSet, competitors: Iterable[str], texts: Iterable[str]
) -> tuple[dict[str, int], int]:
    """Competitor -> the texts mentioning it, and the texts mentioning none: the one count
    behind the share of voice, of the period and of each month of the trend chart."""
    mentions = dict.fromkeys(competitors, 0)
    silent = 0
    for text in texts:
        found = keywords.matches(text)
        silent += not found
        for name in found:
            mentions[name] += 1
    return mentions, silent


def gather_voice(
    conn: Connection,
    period: Period,
    texts: Sequence[str],
    competitors: Mapping[str, Sequence[str]],
    project: str | None,
) -> VoiceSection:
    mentions, silent = count_mentions(KeywordSet.build(competitors), competitors, texts)
    total = sum(mentions.values())
    counts = _keyword_counts(conn, period)
    rows = tuple(
        VoiceRow(
            competitor=name,
            is_project=name == project,
            clips=n,
            share=share(n, total),
            networks=tuple(
                NetworkMentions(
                    network,
                    by_name.get(name),
                    share(by_name.get(name), sum(by_name.get(c, 0) for c in competitors)),
                )
                for network, by_name in counts.items()
            ),
        )
        for name, n in mentions.items()
    )
    return VoiceSection(rows, total, len(texts), silent, tuple(counts))
