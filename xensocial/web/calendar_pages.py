"""The calendar page: a week or a month of every channel's slots, past and coming.

It shows `calendar.build_calendar`, the one calendar the console has: coming slots are the
forecast `xensocial schedule` prints (`forecast.plan_configured`), past ones what the ledger
recorded (published with a link to the post, skipped and failed with their reason). Filters
by channel and category are the calendar's own arguments, so an unknown channel is refused
with the CLI's words. Everything shown comes from the database or a network's answer and is
escaped by the templates; a link to a post is only ever http(s) (`calendar.post_link`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import TYPE_CHECKING, NamedTuple
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..accounts import Permission
from ..errors import BadInput
from ..item_rules import known_categories
from .auth import require

if TYPE_CHECKING:
    from ..calendar import Calendar, CalendarSlot, Span
    from .app import Console

__all__ = ["routes"]

_VIEWS = ("week", "month")


class _Day(NamedTuple):
    iso: str
    heading: str
    rows: Markup  # its slots' table rows, made by `_rows`


class _Escaped(dict[str, str]):
    """Each distinct string escaped once: a month's rows repeat a few channel names, networks
    and reasons thousands of times."""

    def __missing__(self, text: str) -> str:
        self[text] = escaped = str(escape(text))
        return escaped


def _days(calendar: Calendar) -> list[_Day]:
    """The calendar's days as the template prints them, each with its rows made."""
    escaped = _Escaped()
    return [
        _Day(d.day.isoformat(), d.day.strftime("%A %d %B %Y"), _rows(d.slots, escaped))
        for d in calendar.days
    ]


def _rows(slots: Iterable[CalendarSlot], escaped: _Escaped) -> Markup:
    """The table rows of `slots`, one line each. Made here rather than by a loop in the
    template: a month of fifty channels is some 3,000 rows, and Jinja2 escapes each of the dozen
    values of each row on its own (markupsafe makes a new `Markup` every time, even of one
    already escaped), which cost more than all the rest of the page's HTML
    (bench/web_pages.py). Every value from outside goes through `escape` (`escaped`, or
    `escape` itself for a title); the rest are the kind's own words, numbers and times."""
    lines = []
    for s in slots:
        kind = s.kind.value
        time = s.local.strftime("%H:%M")
        if s.pinned:
            time += " (pinned)"
        item = f"{s.item_id}" if s.item_id else ""
        what = f'<a href="/items/{item}">#{item} {escape(s.title or s.url)}</a>' if item else ""
        if s.post_link:  # an http(s) address only (`calendar.post_link`)
            what += f' · <a href="{escape(s.post_link)}" rel="noopener noreferrer">the post</a>'
        elif s.remote_id:
            what += f" · <small>post {escaped[s.remote_id]}</small>"
        channel = escaped[s.channel]
        lines.append(
            f'<tr class="slot slot-{kind.replace(" ", "-")}" data-channel="{channel}" '
            f'data-item="{item}"><td>{time}</td><td>{channel} <small>({escaped[s.network]})'
            f'</small></td><td class="kind">{kind}</td><td>{what}</td>'
            f"<td>{escaped[s.reason or '']}</td></tr>"
        )
    return Markup("\n".join(lines))  # noqa: S704 (every value escaped above)


def _span(view: str, at: str, today: date, zone: ZoneInfo) -> tuple[Span, date, date]:
    """The span the query names (`at`: a day, YYYY-MM-DD; default today), and the days the
    previous and next links go to."""
    from ..calendar import month_span, week_span

    try:
        day = date.fromisoformat(at) if at else today
    except ValueError:
        raise HTTPException(400, "at: give a day as YYYY-MM-DD") from None
    if view == "month":
        span = month_span(day.year, day.month, zone)
        return span, span.first_day - timedelta(days=1), span.last_day + timedelta(days=1)
    span = week_span(day, zone)
    return span, span.first_day - timedelta(days=7), span.first_day + timedelta(days=7)


def _build(console: Console, span: Span, channel: str, category: str) -> Calendar:
    from content_queue import Ledger

    from ..calendar import build_calendar

    ledger = Ledger(console.engine, console.clock)
    return build_calendar(
        console.settings,
        ledger,
        span,
        console.clock(),
        channels=[channel] if channel else None,
        categories=[category] if category else None,
    )


async def calendar_page(request: Request) -> Response:
    require(request, Permission.READ)
    console: Console = request.app.state.console
    query = request.query_params
    view = query.get("view", "week")
    if view not in _VIEWS:
        raise HTTPException(400, "view: week or month")
    channel, category = query.get("channel", ""), query.get("category", "")
    zone = ZoneInfo(console.settings.timezone)
    today = console.clock().astimezone(zone).date()
    span, before, after = _span(view, query.get("at", ""), today, zone)
    try:
        calendar = await run_in_threadpool(_build, console, span, channel, category)
    except BadInput as exc:
        return console.render(
            request, "error.html", {"status": 400, "message": str(exc)}, status_code=400
        )
    return console.render(
        request,
        "calendar.html",
        {
            "calendar": calendar,
            "days": _days(calendar),
            "view": view,
            "channel": channel,
            "category": category,
            "channels": console.settings.channel_names,
            "categories": sorted(known_categories(console.settings)),
            "before": before.isoformat(),
            "after": after.isoformat(),
        },
    )


routes = [Route("/calendar", calendar_page, methods=["GET"])]
