"""Reports: the monthly and quarterly report in the page, its downloads, a stable URL each.

`/reports/month/2026-03` (or `/reports/quarter/2026-Q1`) is the report of that period for
anyone signed in, a viewer included: a link to send a board member with a viewer account. The
report is `reporting.build.build_report` rendered by `reporting.render`, the very calls of
`xensocial report`, so the page and the CLI's file say the same; the period is read by
`parse_month`/`parse_quarter`, so a bad one is refused with the CLI's words.

The HTML report is one self-contained file with its CSS in a `<style>` element; it is shown in
the console's page in a frame, from its own address, under a policy of its own: no script at
all (`sandbox`, `default-src 'none'`), inline style only, framed by the console alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..accounts import Permission
from ..errors import BadInput
from .auth import require

if TYPE_CHECKING:
    from ..reporting.periods import Period
    from .app import Console

__all__ = ["routes"]

_TYPES = {
    "html": "text/html; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "pdf": "application/pdf",
    "md": "text/markdown; charset=utf-8",
}
# The report's own page: its inline CSS and data: images, nothing else, never a script.
_REPORT_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; sandbox"
)


def _console(request: Request) -> Console:
    console: Console = request.app.state.console
    return console


def _period(console: Console, request: Request) -> Period:
    from ..reporting.periods import parse_month, parse_quarter

    kind, label = str(request.path_params["kind"]), str(request.path_params["label"])
    zone = console.settings.timezone
    if kind == "month":
        return parse_month(label, zone, option="month")
    if kind == "quarter":
        return parse_quarter(label, zone, option="quarter")
    raise HTTPException(404, "no such report: month or quarter")


async def reports_page(request: Request) -> Response:
    """The recent months and quarters, each a link to its report."""
    from ..reporting.periods import Period, add_months, default_month, default_quarter

    require(request, Permission.READ)
    console = _console(request)
    now, zone = console.clock(), console.settings.timezone
    last = default_month(now, zone)
    months: list[Period] = [last]
    for back in range(1, 12):
        first = add_months(last.first_day, -back)
        months.append(Period.month(first.year, first.month, zone))
    quarter = default_quarter(now, zone)
    return console.render(request, "reports.html", {"months": months, "quarters": [quarter]})


async def report_page(request: Request) -> Response:
    require(request, Permission.READ)
    console = _console(request)
    try:
        period = _period(console, request)
    except BadInput as exc:
        raise HTTPException(400, str(exc)) from None
    kind = str(request.path_params["kind"])
    return console.render(request, "report.html", {"period": period, "kind": kind})


def _render(console: Console, period: Period, fmt: str) -> bytes:
    from ..reporting.build import build_report
    from ..reporting.render import render_bytes

    settings = console.settings
    report = build_report(
        console.engine, period, settings.report, settings.channel_names, now=console.clock()
    )
    return render_bytes(report, fmt)


async def report_file(request: Request) -> Response:
    require(request, Permission.READ)
    console = _console(request)
    fmt = str(request.path_params["fmt"])
    if fmt not in _TYPES:
        raise HTTPException(404, "no such format: html, csv, json, md or pdf")
    try:
        period = _period(console, request)
    except BadInput as exc:
        raise HTTPException(400, str(exc)) from None
    data = await run_in_threadpool(_render, console, period, fmt)
    name = f"xensocial-report-{period.label}.{fmt}"
    shown = fmt == "html" and "download" not in request.query_params
    headers = {
        "Content-Disposition": f'{"inline" if shown else "attachment"}; filename="{name}"',
    }
    if fmt == "html":
        headers["Content-Security-Policy"] = _REPORT_POLICY
        headers["X-Frame-Options"] = "SAMEORIGIN"
    return Response(data, media_type=_TYPES[fmt], headers=headers)


routes = [
    Route("/reports", reports_page, methods=["GET"]),
    Route("/reports/{kind}/{label}", report_page, methods=["GET"]),
    Route("/reports/{kind}/{label}/report.{fmt}", report_file, methods=["GET"]),
]
