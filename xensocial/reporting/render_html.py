"""The report as one self-contained HTML file: readable offline, printable, and safe to open.

Everything is inside the file: the CSS in a `<style>` element, the charts as inline SVG. No
element refers to anything outside it (no scripts, fonts, images or links to fetch); URLs of
posts and press releases appear as text to copy, not as links. A Content-Security-Policy in the
page forbids any load all the same, so a mistake would show as a blocked request rather than a
page that quietly calls home. Tables have captions and header cells with their scope, for
screen readers; every text from outside (titles, outlets, errors) is escaped.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from html import escape

from . import formatting as fmt
from .charts import Bar, Line, bar_chart, line_chart
from .engagement import channels_by_interactions
from .layout import Section, Table, headline, sections, subtitle
from .model import Report

__all__ = ["chart_figures", "render_charts_page", "render_html"]

CHART_BARS = 15
_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
_CSS = """
:root { color-scheme: light; --ink: #1d1d1f; --muted: #5a5a66; --rule: #d8d8de;
        --band: #f4f5f8; --accent: #0b5cad; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       color: var(--ink); background: #fff; }
main { max-width: 1100px; margin: 0 auto; padding: 2rem 1.5rem 4rem; }
h1 { font-size: 1.8rem; margin: 0 0 .25rem; }
h2 { font-size: 1.35rem; margin: 2.5rem 0 .75rem; padding-bottom: .25rem;
     border-bottom: 2px solid var(--accent); }
.subtitle { color: var(--muted); margin: 0 0 1.5rem; }
dl.headline { display: grid; grid-template-columns: max-content 1fr; gap: .3rem 1.25rem;
              background: var(--band); padding: 1rem 1.25rem; border-radius: 6px; }
dl.headline dt { font-weight: 600; }
dl.headline dd { margin: 0; font-variant-numeric: tabular-nums; }
table { border-collapse: collapse; margin: .5rem 0 1.5rem; width: 100%;
        font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: 600; padding: .25rem 0 .4rem; }
th, td { padding: .3rem .6rem; border-bottom: 1px solid var(--rule); vertical-align: top;
         text-align: left; }
thead th { background: var(--band); border-bottom: 2px solid var(--rule); }
td.num, th.num { text-align: right; white-space: nowrap; }
td.url { font-family: ui-monospace, monospace; font-size: .8rem; word-break: break-all;
         min-width: 16ch; }
tr.strong th, tr.strong td { font-weight: 700; }
tbody tr:nth-child(even) { background: #fafafc; }
.empty { color: var(--muted); font-style: italic; }
figure { margin: 1rem 0 1.5rem; }
figure svg { max-width: 100%; height: auto; }
figcaption { color: var(--muted); font-size: .9rem; }
.notes { color: var(--muted); font-size: .88rem; border-left: 3px solid var(--rule);
         padding: .1rem 0 .1rem 1rem; }
.notes p { margin: .35rem 0; }
@media print { main { max-width: none; padding: 0; } h2 { break-after: avoid; }
               table, figure { break-inside: avoid; } }
"""
_URL_COLUMNS = {"URL", "Link", "Post"}
_NUM = ' class="num"'


def chart_figures(report: Report) -> dict[str, str]:
    """Section key -> the `<figure>` with its chart (sections without data have none)."""
    period = report.period
    days = [period.first_day + timedelta(days=n) for n in range(period.days)]
    followers = line_chart(
        "chart-followers",
        f"Followers per channel, {period.name}",
        "The follower count at the end of each day of the period, for the largest channels.",
        [Line(s.channel, s.points) for s in report.followers.series],
        days,
    )
    top = channels_by_interactions(report.engagement, CHART_BARS)
    engagement = bar_chart(
        "chart-engagement",
        f"Interactions per channel, {period.name}",
        "Likes, reposts, replies and quotes of the posts published in the period, per channel.",
        [
            Bar(r.channel, r.counters.interactions or 0, fmt.number(r.counters.interactions))
            for r in top
        ],
    )
    voice = bar_chart(
        "chart-voice",
        f"Share of voice in press clips, {period.name}",
        "Each competitor's share of the mentions of competitors in the period's clips.",
        [
            Bar(r.competitor, r.share, fmt.percent(r.share), r.is_project)
            for r in report.voice.rows
            if r.share is not None
        ],
    )
    captions = {
        "followers": "Followers at the end of each day (the largest channels; all are in the table).",
        "engagement": "Interactions per channel (likes + reposts + replies + quotes).",
        "voice": "Share of mentions in press clips; the project in bold.",
    }
    figures = {}
    for key, svg in (("followers", followers), ("engagement", engagement), ("voice", voice)):
        if svg is not None:
            figures[key] = (
                f"<figure>\n{svg}\n<figcaption>{escape(captions[key])}</figcaption>\n</figure>"
            )
    return figures


def _table(table: Table) -> str:
    if not table.rows:
        return f'<p class="empty">{escape(table.caption)}: {escape(table.empty)}</p>'
    head = "".join(
        f'<th scope="col"{_NUM if numeric else ""}>{escape(name)}</th>'
        for name, numeric in zip(table.columns, table.numeric, strict=True)
    )
    body = []
    for row in table.rows:
        cells = []
        for n, (text, name, numeric) in enumerate(
            zip(row.cells, table.columns, table.numeric, strict=True)
        ):
            kind = "num" if numeric else "url" if name in _URL_COLUMNS else ""
            attr = f' class="{kind}"' if kind else ""
            tag = "th" if n == 0 else "td"
            scope = ' scope="row"' if n == 0 else ""
            cells.append(f"<{tag}{scope}{attr}>{escape(text)}</{tag}>")
        strong = ' class="strong"' if row.strong else ""
        body.append(f"<tr{strong}>{''.join(cells)}</tr>")
    return (
        f"<table>\n<caption>{escape(table.caption)}</caption>\n"
        f"<thead><tr>{head}</tr></thead>\n<tbody>\n" + "\n".join(body) + "\n</tbody>\n</table>"
    )


def _section(section: Section, figure: str | None) -> str:
    parts = [
        f'<section id="{section.key}" aria-labelledby="{section.key}-h">',
        f'<h2 id="{section.key}-h">{escape(section.title)}</h2>',
    ]
    parts += [f"<p>{escape(s)}</p>" for s in section.lead]
    if figure:
        parts.append(figure)
    parts += [_table(t) for t in section.tables]
    if section.notes:
        parts.append(
            '<div class="notes">' + "".join(f"<p>{escape(n)}</p>" for n in section.notes) + "</div>"
        )
    parts.append("</section>")
    return "\n".join(parts)


def _page(title: str, body: Iterable[str]) -> str:
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{escape(title)}</title>",
            f"<style>{_CSS}</style>",
            "</head>",
            "<body>",
            "<main>",
            *body,
            "</main>",
            "</body>",
            "</html>",
            "",
        ]
    )


def render_html(report: Report) -> str:
    title = f"{report.title}: {report.period.name}"
    figures = chart_figures(report)
    headline_rows = "".join(
        f"<dt>{escape(what)}</dt><dd>{escape(value)}</dd>" for what, value in headline(report)
    )
    body = [
        f"<header><h1>{escape(title)}</h1>",
        f'<p class="subtitle">{escape(subtitle(report))}</p></header>',
        f'<dl class="headline" aria-label="Headline figures">{headline_rows}</dl>',
        *(_section(s, figures.get(s.key)) for s in sections(report)),
    ]
    return _page(title, body)


def render_charts_page(report: Report) -> str:
    """Only the charts, on one page: what the README's picture is taken from."""
    title = f"{report.title}: {report.period.name}"
    body = [f"<h1>{escape(title)}</h1>", *chart_figures(report).values()]
    return _page(f"{title} (charts)", body)
