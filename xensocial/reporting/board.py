"""What a board member reads first: the partial-period notice, the quarterly summary, the trends.

A board reads a report in a minute: the quarterly report therefore opens with one page of key
figures, each beside the figure it compares with and the change (the PDF breaks the page after
it). A report of a period that is not over is honest about it at the very top, in every format,
so nobody reads half a month's posts as a bad month. And the twelve months before the period's
end show whether things are getting better (`trends.py`; the HTML and PDF draw them as charts).

Like `layout`, this makes text and tables only; the renderers mark them up.
"""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from . import formatting as fmt
from .document import Row, Section, table, words
from .layout import sections
from .model import MonthTrend, Report, growth

__all__ = ["document_sections", "month_name", "notices", "summary", "trends"]


def month_name(trend: MonthTrend) -> str:
    """`Mar 2026`: a month of the trends, short enough for a chart's axis and a table."""
    return trend.first_day.strftime("%b %Y")


def notices(report: Report) -> tuple[str, ...]:
    """What the reader must know before any figure: the period was not over (or had not even
    begun) when the report was made, so its figures are a part of what the period will hold."""
    if not report.partial:
        return ()
    period = report.period
    made = fmt.local(report.generated_at, period.zone)
    if report.generated_at < period.start:
        return (
            f"Not begun: {period.name} had not begun when this report was made ({made}); "
            "it has no figures yet.",
        )
    today = report.generated_at.astimezone(ZoneInfo(period.zone)).date()
    day = (today - period.first_day).days + 1
    return (
        f"Partial {period.kind}: {period.name} is not over. This report counts up to {made}, "
        f"day {day} of {period.days}; its figures will still grow.",
    )


def _per_post(months: Sequence[MonthTrend]) -> float | None:
    posts = sum(m.posts_with_figures for m in months)
    known = [m.interactions for m in months if m.interactions is not None]
    return None if not posts or not known else sum(known) / posts


def _sum_interactions(months: Sequence[MonthTrend]) -> int | None:
    known = [m.interactions for m in months if m.interactions is not None]
    return sum(known) if known else None


def _decimal_change(now: float | None, before: float | None) -> str:
    if now is None or before is None:
        return fmt.MISSING
    pct = None if not before else 100.0 * (now - before) / before
    return f"{now - before:+,.1f}" + ("" if pct is None else f" ({pct:+.1f} %)")


def _decimal(value: float | None) -> str:
    return fmt.MISSING if value is None else f"{value:,.1f}"


def summary(report: Report) -> Section | None:
    """The quarterly report's first page: key figures, what they compare with, the change.
    None for a monthly report, whose headline figures open it."""
    period = report.period
    if period.kind != "quarter":
        return None
    previous, last_year = words(period)
    months = report.trends.months
    this, before = months[-3:], months[-6:-3]  # the quarter's months, and the quarter before
    interactions = report.engagement.total.counters.interactions
    interactions_before = _sum_interactions(before)
    posts, clips, followers = report.posts, report.clips, report.followers.total
    project = next((r for r in report.voice.rows if r.is_project), None)
    rows = [
        ("Posts published", fmt.number(posts.total), f"{fmt.number(posts.previous_total)} "
         f"({previous})", fmt.change(*growth(posts.total, posts.previous_total))),
        ("Interactions", fmt.number(interactions), f"{fmt.number(interactions_before)} "
         f"({previous})", fmt.change(*growth(interactions, interactions_before))),
        ("Interactions per post", _decimal(_per_post(this)), f"{_decimal(_per_post(before))} "
         f"({previous})", _decimal_change(_per_post(this), _per_post(before))),
        ("Followers at the end", fmt.number(followers.followers),
         f"{fmt.number(followers.quarter_before)} (three months before)",
         fmt.change(followers.growth_quarter, followers.growth_quarter_pct)),
        ("Press clips", fmt.number(clips.total), f"{fmt.number(clips.year_before)} ({last_year})",
         fmt.change(clips.change, clips.change_pct)),
    ]  # fmt: skip
    if project is not None:
        rows.append((f"Share of voice of {project.competitor}", fmt.percent(project.share),
                     "", ""))  # fmt: skip
    rows += [
        ("Press releases issued", fmt.number(len(report.programme.press_releases)), "", ""),
        ("Deliveries failed or unknown",
         fmt.number(sum(p.count for p in report.problems.deliveries)), "", ""),
    ]  # fmt: skip
    return Section(
        "summary",
        f"Summary of {period.name}",
        (
            f"{period.name} at a glance: the quarter's key figures beside the ones they compare "
            "with. The pages after it hold every figure, its definition and the charts.",
        ),
        (
            table(
                "Key figures",
                [("Figure", False), (period.name, True), ("Compared with", True), ("Change", True)],
                [Row(r) for r in rows],
            ),
        ),  # fmt: skip
        (
            "Interactions: likes + reposts + replies + quotes of the posts published in the "
            "period; per post: over the posts that have such a figure (the outbox has none).",
        ),
    )


def trends(report: Report) -> Section:
    """The twelve months ending with the period's last, as one table (the charts' numbers)."""
    t = report.trends
    project = report.project if any(v.is_project for v in t.voice) else None
    columns = [("Month", False), ("Followers", True), ("Clips", True),
               ("Clips a year before", True)]  # fmt: skip
    if project is not None:
        columns.append((f"Share of voice of {project}", True))
    columns += [("Posts with figures", True), ("Interactions", True),
                ("Interactions per post", True)]  # fmt: skip
    rows = []
    for m in t.months:
        cells = [month_name(m), fmt.number(m.followers), fmt.number(m.clips),
                 fmt.number(m.clips_year_before)]  # fmt: skip
        if project is not None:
            cells.append(fmt.percent(m.project_share))
        cells += [fmt.number(m.posts_with_figures), fmt.number(m.interactions),
                  _decimal(m.interactions_per_post)]  # fmt: skip
        rows.append(Row(tuple(cells)))
    first, last = month_name(t.months[0]), month_name(t.months[-1])
    return Section(
        "trends",
        "Trends over twelve months",
        (
            f"Month by month from {first} to {last}: followers, press clips, share of voice and "
            "interactions per post.",
        ),  # fmt: skip
        (table("Month by month", columns, rows),),
        (
            "Followers: all channels' known figures summed at the end of each month (the chart "
            "draws the largest channels). Clips: by the article's date, against the same month a "
            "year earlier. Share of voice: the month's clips, counted as in the share of voice "
            "section.",
            "Interactions per post: the month's interactions (likes + reposts + replies + "
            "quotes, each post with its latest reading) over its posts that have such a figure; "
            "posts of the outbox, or of networks without the figures, do not count.",
        ),
    )


def document_sections(report: Report) -> tuple[Section, ...]:
    """Every section of the report in reading order, after the summary and headline figures:
    the trends first, then the period's own sections."""
    return (trends(report), *sections(report))
