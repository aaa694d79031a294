"""The report as data: one frozen `Report`, made of one section per question the board asks.

Every renderer (Markdown, HTML, CSV, JSON) draws from this and nothing else, so the formats can
never disagree about a number. A figure a network does not give is `None` all the way through
(shown as "—"), never 0: "no impressions on Mastodon" and "no one saw it" are different facts.
Definitions of each figure are in docs/reports.md and in the report's own notes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from .periods import Period

__all__ = [
    "ActivityRow",
    "CategoryCount",
    "ChannelCount",
    "ChannelEngagement",
    "ClipsSection",
    "Counters",
    "DeliveryProblem",
    "EngagementSection",
    "FollowerRow",
    "FollowerSeries",
    "FollowersSection",
    "KindCount",
    "MonthTrend",
    "NamedCount",
    "NetworkMentions",
    "PostsSection",
    "PressRelease",
    "ProblemsSection",
    "ProgrammeSection",
    "Report",
    "SlotProblem",
    "ThemeRow",
    "ThemesSection",
    "TopPost",
    "TrendsSection",
    "VoiceRow",
    "VoiceSection",
    "VoiceSeries",
    "growth",
    "share",
    "text_order",
]


def text_order(text: str) -> tuple[str, str]:
    """A sort key for names that is the same on every backend (a database's collation is not:
    PostgreSQL's may ignore case where SQLite's never does)."""
    return text.casefold(), text


def share(part: int | None, whole: int | None) -> float | None:
    """`part` as a percentage of `whole`; None when either is unknown or the whole is 0."""
    if part is None or not whole:
        return None
    return 100.0 * part / whole


def growth(now: int | None, before: int | None) -> tuple[int | None, float | None]:
    """The change from `before` to `now`, absolute and in percent of `before` (None: unknown)."""
    if now is None or before is None:
        return None, None
    return now - before, share(now - before, before)


@dataclass(frozen=True)
class NamedCount:
    name: str
    count: int


@dataclass(frozen=True)
class ChannelCount:
    channel: str
    posts: int


@dataclass(frozen=True)
class CategoryCount:
    category: str
    posts: int  # one per channel it went out on
    items: int  # distinct items


@dataclass(frozen=True)
class PostsSection:
    total: int
    items: int
    previous_total: int  # the previous period's, for comparison
    by_channel: tuple[ChannelCount, ...]
    by_category: tuple[CategoryCount, ...]


@dataclass(frozen=True)
class Counters:
    """Summed counters; each None when no post counted had that figure."""

    likes: int | None = None
    reposts: int | None = None
    replies: int | None = None
    quotes: int | None = None
    impressions: int | None = None
    clicks: int | None = None
    interactions: int | None = field(default=None)  # likes + reposts + replies + quotes
    # Not an interaction: only X counts bookmarks, and interactions must compare across channels.
    bookmarks: int | None = None

    @classmethod
    def of(
        cls,
        likes: int | None,
        reposts: int | None,
        replies: int | None,
        quotes: int | None,
        impressions: int | None,
        clicks: int | None,
        bookmarks: int | None = None,
    ) -> Counters:
        known = [v for v in (likes, reposts, replies, quotes) if v is not None]
        interactions = sum(known) if known else None
        return cls(likes, reposts, replies, quotes, impressions, clicks, interactions, bookmarks)

    def plus(self, other: Counters) -> Counters:
        def add(a: int | None, b: int | None) -> int | None:
            return b if a is None else a if b is None else a + b

        return Counters.of(
            add(self.likes, other.likes),
            add(self.reposts, other.reposts),
            add(self.replies, other.replies),
            add(self.quotes, other.quotes),
            add(self.impressions, other.impressions),
            add(self.clicks, other.clicks),
            add(self.bookmarks, other.bookmarks),
        )


@dataclass(frozen=True)
class ChannelEngagement:
    channel: str
    posts: int  # published in the period
    posts_read: int  # of those, with at least one reading of their counters
    counters: Counters


@dataclass(frozen=True)
class TopPost:
    rank: int
    channel: str
    title: str
    url: str
    remote_url: str | None
    published_at: datetime
    counters: Counters


@dataclass(frozen=True)
class EngagementSection:
    by_channel: tuple[ChannelEngagement, ...]
    total: ChannelEngagement  # channel "all channels"
    top_posts: tuple[TopPost, ...]


@dataclass(frozen=True)
class FollowerRow:
    channel: str
    followers: int | None  # at the end of the period
    taken_at: datetime | None  # when that figure was read
    month_before: int | None  # one calendar month before the end
    quarter_before: int | None  # three calendar months before the end
    growth_month: int | None
    growth_month_pct: float | None
    growth_quarter: int | None
    growth_quarter_pct: float | None

    @classmethod
    def of(
        cls,
        channel: str,
        followers: int | None,
        taken_at: datetime | None,
        month_before: int | None,
        quarter_before: int | None,
    ) -> FollowerRow:
        return cls(
            channel,
            followers,
            taken_at,
            month_before,
            quarter_before,
            *growth(followers, month_before),
            *growth(followers, quarter_before),
        )


@dataclass(frozen=True)
class FollowerSeries:
    """One channel's follower count at the end of each local day of the period that has one."""

    channel: str
    points: tuple[tuple[date, int], ...]


@dataclass(frozen=True)
class FollowersSection:
    rows: tuple[FollowerRow, ...]
    total: FollowerRow  # channel "all channels": sums of the known figures
    series: tuple[FollowerSeries, ...]  # the largest channels only, for the chart


@dataclass(frozen=True)
class ClipsSection:
    total: int
    year_before: int  # the same period a year earlier
    change: int
    change_pct: float | None
    by_outlet: tuple[NamedCount, ...]
    by_topic: tuple[NamedCount, ...]


@dataclass(frozen=True)
class NetworkMentions:
    """Posts on a network mentioning a competitor (X's recent post counts)."""

    network: str
    posts: int | None
    share: float | None


@dataclass(frozen=True)
class VoiceRow:
    competitor: str
    is_project: bool
    clips: int  # clips of the period mentioning it
    share: float | None  # of all mentions, in percent
    networks: tuple[NetworkMentions, ...] = ()


@dataclass(frozen=True)
class VoiceSection:
    rows: tuple[VoiceRow, ...]
    mentions: int  # sum of `clips` over the rows
    clips: int  # clips in the period
    clips_without_mention: int
    networks: tuple[str, ...]  # networks with keyword counts in the period


@dataclass(frozen=True)
class ThemeRow:
    theme: str
    posts: int
    clips: int


@dataclass(frozen=True)
class ThemesSection:
    rows: tuple[ThemeRow, ...]


@dataclass(frozen=True)
class KindCount:
    kind: str
    count: int


@dataclass(frozen=True)
class PressRelease:
    day: date
    title: str
    url: str | None
    source: str  # "activity", "announcement", or "both" (one release recorded twice)


@dataclass(frozen=True)
class ActivityRow:
    kind: str
    day: date
    title: str
    outlet: str
    url: str | None


@dataclass(frozen=True)
class ProgrammeSection:
    press_releases: tuple[PressRelease, ...]
    by_kind: tuple[KindCount, ...]  # activities recorded, per kind
    activities: tuple[ActivityRow, ...]


@dataclass(frozen=True)
class DeliveryProblem:
    channel: str
    state: str  # failed or unknown
    reason: str
    count: int


@dataclass(frozen=True)
class SlotProblem:
    channel: str
    outcome: str  # skipped, failed or empty
    reason: str
    count: int
    example: str  # one full detail, e.g. the last day a daily cap hit


@dataclass(frozen=True)
class ProblemsSection:
    deliveries: tuple[DeliveryProblem, ...]
    slots: tuple[SlotProblem, ...]


@dataclass(frozen=True)
class MonthTrend:
    """One calendar month of the twelve the trend charts cover (trends.py)."""

    month: str  # "2026-03"
    first_day: date
    followers: int | None  # all channels, at the end of the month (sums of known figures)
    clips: int
    clips_year_before: int  # the same month a year earlier
    project_share: float | None  # the project's share of voice in the month's clips
    posts_with_figures: int  # posts published in the month with an interaction figure
    interactions: int | None
    interactions_per_post: float | None  # interactions / posts_with_figures


@dataclass(frozen=True)
class VoiceSeries:
    """One competitor's share of voice, month by month (first day of the month, percent)."""

    competitor: str
    is_project: bool
    points: tuple[tuple[date, float], ...]


@dataclass(frozen=True)
class TrendsSection:
    """The twelve months ending with the period's last, oldest first, for the trend charts."""

    months: tuple[MonthTrend, ...]
    followers: tuple[FollowerSeries, ...]  # the largest channels, at the end of each month
    voice: tuple[VoiceSeries, ...]
    year: int  # the calendar year of the period's last month: clips this year against last
    clips_this_year: tuple[tuple[date, int], ...]  # January up to the period's last month
    clips_last_year: tuple[tuple[date, int], ...]  # the twelve months of the year before


@dataclass(frozen=True)
class Report:
    title: str
    project: str | None
    period: Period
    previous: Period
    year_before: Period
    generated_at: datetime
    partial: bool  # the period was not over when the report was made (generated_at < end)
    posts: PostsSection
    engagement: EngagementSection
    followers: FollowersSection
    clips: ClipsSection
    voice: VoiceSection
    themes: ThemesSection
    programme: ProgrammeSection
    problems: ProblemsSection
    trends: TrendsSection
