"""The report as a document: headline figures, then sections of sentences, tables and notes.

The Markdown and HTML renderers both draw this layout, so the two formats say the same thing in
the same order, and only the markup differs. Cells are already formatted text (`formatting`);
escaping is the renderer's job, since it depends on the markup. The notes under each section
are the report's footnotes: the exact definition of each figure in it.
"""

from __future__ import annotations

from collections.abc import Sequence

from . import formatting as fmt
from .document import Row, Section, Table, no_figures, span, subtitle, table, words
from .engagement import ALL_CHANNELS, TOP_POSTS
from .model import (
    ChannelEngagement,
    Counters,
    FollowerRow,
    NamedCount,
    Report,
)

__all__ = ["Row", "Section", "Table", "headline", "sections", "subtitle"]


def headline(report: Report) -> tuple[tuple[str, str], ...]:
    """The figures a reader wants first, as (what, value) pairs."""
    previous, last_year = words(report.period)
    posts, clips = report.posts, report.clips
    followers = report.followers.total
    project = next((r for r in report.voice.rows if r.is_project), None)
    kinds = {k.kind: k.count for k in report.programme.by_kind}
    problems = report.problems
    lines = [
        (
            "Posts published",
            f"{fmt.number(posts.total)} ({previous}: {fmt.number(posts.previous_total)})",
        ),
        ("Interactions", fmt.number(report.engagement.total.counters.interactions)),
        (
            "Followers at the end",
            f"{fmt.number(followers.followers)}; month over month "
            f"{fmt.change(followers.growth_month, followers.growth_month_pct)}",
        ),
        (
            "Press clips",
            f"{fmt.number(clips.total)} ({last_year}: {fmt.number(clips.year_before)})",
        ),
    ]
    if project is not None:
        lines.append(
            (
                f"Share of voice of {project.competitor}",
                f"{fmt.percent(project.share)} of {fmt.number(report.voice.mentions)} "
                "mentions in clips",
            )
        )
    lines += [
        ("Press releases issued", fmt.number(len(report.programme.press_releases))),
        ("Interviews", fmt.number(kinds.get("interview", 0))),
        ("Analyst briefings", fmt.number(kinds.get("analyst-briefing", 0))),
        ("Member content", fmt.number(kinds.get("member-content", 0))),
        ("Events", fmt.number(kinds.get("event", 0))),
        ("Deliveries failed or unknown", fmt.number(sum(p.count for p in problems.deliveries))),
        ("Slots skipped, failed or empty", fmt.number(sum(p.count for p in problems.slots))),
    ]
    return tuple(lines)


_COUNTER_NAMES = (
    "Interactions",
    "Likes",
    "Reposts",
    "Replies",
    "Quotes",
    "Impressions",
    "Clicks",
    "Bookmarks",
)
_COUNTER_COLUMNS = [(name, True) for name in _COUNTER_NAMES]
_TOP_COLUMNS = _COUNTER_COLUMNS[:5]  # the top posts table is wide enough without views and clicks


def _values(c: Counters) -> tuple[int | None, ...]:
    """The counters in the order of `_COUNTER_NAMES`."""
    return (c.interactions, c.likes, c.reposts, c.replies, c.quotes, c.impressions, c.clicks,
            c.bookmarks)  # fmt: skip


def _counters(c: Counters, columns: int = len(_COUNTER_NAMES)) -> tuple[str, ...]:
    return tuple(fmt.number(v) for v in _values(c)[:columns])


def _engagement_row(r: ChannelEngagement, shown: Sequence[bool]) -> Row:
    """`shown`: per counter, whether its column is in the table."""
    cells = [cell for cell, keep in zip(_counters(r.counters), shown, strict=True) if keep]
    return Row(
        (r.channel, fmt.number(r.posts), fmt.number(r.posts_read), *cells),
        strong=r.channel == ALL_CHANNELS,
    )


def _no_columns(total: Counters) -> tuple[list[bool], tuple[str, ...]]:
    """Which counter columns the engagement table shows (those some channel gave), and the one
    line naming the others instead of columns of "—"."""
    shown = [v is not None for v in _values(total)]
    absent = [name.lower() for name, keep in zip(_COUNTER_NAMES, shown, strict=True) if not keep]
    if not absent or not any(shown):  # nothing at all: the channels' line says it
        return shown, ()
    names = absent[0] if len(absent) == 1 else ", ".join(absent[:-1]) + " or " + absent[-1]
    return shown, (f"No channel gives {names} in this period: the table leaves them out.",)


def _posts(report: Report) -> Section:
    p = report.posts
    previous, _ = words(report.period)
    return Section(
        "posts",
        "Posts",
        (
            f"{fmt.count(p.total, 'post')} of {fmt.count(p.items, 'item')} published from "
            f"{span(report.period)}; {previous} ({report.previous.name}): "
            f"{fmt.number(p.previous_total)}.",
        ),
        (
            table(
                "Posts per channel",
                [("Channel", False), ("Posts", True)],
                [Row((c.channel, fmt.number(c.posts))) for c in p.by_channel]
                + [Row((ALL_CHANNELS, fmt.number(p.total)), strong=True)],
            ),
            table(
                "Posts per category",
                [("Category", False), ("Posts", True), ("Items", True)],
                [
                    Row((c.category, fmt.number(c.posts), fmt.number(c.items)))
                    for c in p.by_category
                ],
            ),
        ),
        (
            "A post is one item published on one channel: an item sent to three channels is three "
            "posts and one item. A post counts in the period in which it was published.",
        ),
    )


def _engagement(report: Report) -> Section:
    e = report.engagement
    zone = report.period.zone
    top = [
        Row(
            (
                str(t.rank),
                t.channel,
                t.title,
                *_counters(t.counters, len(_TOP_COLUMNS)),
                fmt.local(t.published_at, zone),
                t.url,
                t.remote_url or fmt.MISSING,
            )
        )
        for t in e.top_posts
    ]
    silent = [r.channel for r in e.by_channel if r.counters == Counters()]
    shown, absent = _no_columns(e.total.counters)
    return Section(
        "engagement",
        "Engagement",
        (
            f"Interactions on the posts published in {report.period.name}: "
            f"{fmt.number(e.total.counters.interactions)}.",
            *no_figures(silent, "engagement figures"),
            *absent,
        ),
        (
            table(
                "Engagement per channel",
                [
                    ("Channel", False),
                    ("Posts", True),
                    ("Read", True),
                    *(c for c, keep in zip(_COUNTER_COLUMNS, shown, strict=True) if keep),
                ],
                [
                    _engagement_row(r, shown)
                    for r in (*e.by_channel, e.total)
                    if r.channel not in silent or r is e.total
                ],
            ),
            table(
                f"Top {TOP_POSTS} posts by interactions",
                [
                    ("#", True),
                    ("Channel", False),
                    ("Title", False),
                    *_TOP_COLUMNS,
                    ("Published", False),
                    ("Link", False),
                    ("Post", False),
                ],
                top,
                "No post of the period has figures yet.",
            ),
        ),
        (
            "Each post counts with its latest reading: the one taken at the highest age "
            "(1 h, 24 h, 7 d, 30 d after publishing) at which the network still had the post. "
            "Read: posts with at least one reading.",
            "Interactions = likes + reposts + replies + quotes; bookmarks, which only X counts, "
            "are shown apart so that channels compare. — means the network gives no such "
            "figure (or none was read yet); it is never counted as 0. A total adds the figures "
            "that exist.",
            "Top posts: ranked by interactions (a missing figure counts 0), newest first on a "
            "tie; posts with none of the four figures are not ranked.",
        ),
    )


def _follower_row(r: FollowerRow, zone: str) -> Row:
    return Row(
        (
            r.channel,
            fmt.number(r.followers),
            fmt.number(r.month_before),
            fmt.change(r.growth_month, r.growth_month_pct),
            fmt.number(r.quarter_before),
            fmt.change(r.growth_quarter, r.growth_quarter_pct),
            fmt.local(r.taken_at, zone) if r.channel != ALL_CHANNELS else "",
        ),
        strong=r.channel == ALL_CHANNELS,
    )


def _followers(report: Report) -> Section:
    f = report.followers
    zone = report.period.zone
    silent = [
        r.channel
        for r in f.rows
        if r.followers is None and r.month_before is None and r.quarter_before is None
    ]
    return Section(
        "followers",
        "Followers",
        (
            f"Followers at the end of {report.period.name}: {fmt.number(f.total.followers)}; "
            f"month over month {fmt.change(f.total.growth_month, f.total.growth_month_pct)}; "
            "quarter over quarter "
            f"{fmt.change(f.total.growth_quarter, f.total.growth_quarter_pct)}.",
            *no_figures(silent, "follower counts"),
        ),
        (
            table(
                "Followers per channel",
                [
                    ("Channel", False),
                    ("Followers", True),
                    ("A month before", True),
                    ("Month over month", True),
                    ("Three months before", True),
                    ("Quarter over quarter", True),
                    ("Read at", False),
                ],
                [_follower_row(r, zone) for r in (*f.rows, f.total) if r.channel not in silent],
            ),
        ),
        (
            "Followers at an instant: the channel's last follower count read before it (a "
            "reading without a figure is passed over). At the end: at local midnight after the "
            "period's last day.",
            "Month over month: followers at the end minus followers one calendar month earlier, "
            "and that change in percent of the earlier figure. Quarter over quarter: the same "
            "against three calendar months earlier. — when either figure is missing.",
            "The total adds the channels' known figures; its growth is the difference of those "
            "sums.",
        ),
    )


def _counts(caption: str, what: str, rows: Sequence[NamedCount]) -> Table:
    return table(
        caption,
        [(what, False), ("Clips", True)],
        [Row((r.name, fmt.number(r.count))) for r in rows],
    )


def _clips(report: Report) -> Section:
    c = report.clips
    return Section(
        "clips",
        "Press clips",
        (
            f"{fmt.count(c.total, 'clip')} in {report.period.name}, against "
            f"{fmt.number(c.year_before)} in {report.year_before.name}: "
            f"{fmt.change(c.change, c.change_pct)}.",
        ),
        (
            _counts("Clips per outlet", "Outlet", c.by_outlet),
            _counts("Clips per topic", "Topic", c.by_topic),
        ),
        ("A clip counts in the period that holds its own date (the article's date).",),
    )


def _voice(report: Report) -> Section:
    v = report.voice
    columns = [("Competitor", False), ("Clips mentioning", True), ("Share of mentions", True)]
    for network in v.networks:
        columns += [(f"Posts on {network}", True), (f"Share on {network}", True)]
    rows = []
    for r in v.rows:
        name = f"{r.competitor} (us)" if r.is_project else r.competitor
        cells = [name, fmt.number(r.clips), fmt.percent(r.share)]
        for n in r.networks:
            cells += [fmt.number(n.posts), fmt.percent(n.share)]
        rows.append(Row(tuple(cells), strong=r.is_project))
    return Section(
        "voice",
        "Share of voice",
        (
            f"{fmt.count(v.mentions, 'mention')} of competitors in {fmt.count(v.clips, 'clip')}; "
            f"{fmt.count(v.clips_without_mention, 'clip')} without any.",
        ),
        (
            table(
                "Share of voice",
                columns,
                rows,
                "No competitors are configured ([report.competitors]).",
            ),
        ),
        (
            "A clip mentions a competitor when its title or summary contains one of its keywords "
            "as a whole word, in any case. A clip mentioning two competitors counts for both.",
            "Share of mentions: the competitor's mentions over all competitors' mentions.",
            "Posts on a network: the network's own count of posts with the keywords (X's daily "
            "post counts), summed over the days whose noon (UTC) falls in the period.",
        ),
    )


def _themes(report: Report) -> Section:
    return Section(
        "themes",
        "Themes",
        (),
        (
            table(
                "Posts and clips per theme",
                [("Theme", False), ("Posts", True), ("Clips", True)],
                [
                    Row((t.theme, fmt.number(t.posts), fmt.number(t.clips)))
                    for t in report.themes.rows
                ],
                "No themes are configured ([report.themes]).",
            ),
        ),
        (
            "A post carries a theme when its title, text or tags contain one of the theme's "
            "keywords (whole words, any case); it counts once per channel, like every post. A clip "
            "carries it when its title or summary does. One post or clip may carry several themes.",
        ),
    )


def _programme(report: Report) -> Section:
    g = report.programme
    return Section(
        "programme",
        "Programme activity",
        (f"{fmt.count(len(g.press_releases), 'press release')} issued.",),
        (
            table(
                "Press releases issued",
                [("Date", False), ("Title", False), ("URL", False), ("Recorded as", False)],
                [
                    Row((fmt.day(r.day), r.title, r.url or fmt.MISSING, r.source))
                    for r in g.press_releases
                ],
            ),
            table(
                "Activities per kind",
                [("Kind", False), ("Count", True)],
                [Row((k.kind, fmt.number(k.count))) for k in g.by_kind],
            ),
            table(
                "Activities",
                [
                    ("Date", False),
                    ("Kind", False),
                    ("Title", False),
                    ("Outlet", False),
                    ("URL", False),
                ],
                [
                    Row(
                        (
                            fmt.day(a.day),
                            a.kind,
                            a.title,
                            a.outlet or fmt.MISSING,
                            a.url or fmt.MISSING,
                        )
                    )
                    for a in g.activities
                ],
            ),
        ),
        (
            "Press releases issued: activities of kind press-release dated in the period, plus "
            "items of category announcement first published in the period (once per item, "
            "however many channels). An activity with the announcement's URL is the same "
            "release and counts once (recorded as: both).",
            "Activities count in the period that holds their date.",
        ),
    )


def _problems(report: Report) -> Section:
    p = report.problems
    return Section(
        "problems",
        "Failed and skipped",
        (),
        (
            table(
                "Deliveries failed or unknown",
                [("Channel", False), ("State", False), ("Count", True), ("Error", False)],
                [Row((d.channel, d.state, fmt.number(d.count), d.reason)) for d in p.deliveries],
            ),
            table(
                "Slots skipped, failed or empty",
                [
                    ("Channel", False),
                    ("Outcome", False),
                    ("Reason", False),
                    ("Count", True),
                    ("Example", False),
                ],
                [
                    Row((s.channel, s.outcome, s.reason, fmt.number(s.count), s.example))
                    for s in p.slots
                ],
            ),
        ),
        (
            "Deliveries: those failed (refused for good) or unknown (a person must check the "
            "network) whose last change falls in the period; xensocial queue retry or queue "
            "resolve settles them.",
            "Slots: the channel's slots of the period that did not post: skipped (paused, daily "
            "cap, minimum gap), failed (every attempt failed) or empty (nothing eligible).",
        ),
    )


def sections(report: Report) -> tuple[Section, ...]:
    return tuple(
        make(report)
        for make in (
            _posts,
            _engagement,
            _followers,
            _clips,
            _voice,
            _themes,
            _programme,
            _problems,
        )
    )
