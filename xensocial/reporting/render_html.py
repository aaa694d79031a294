"""The report as one self-contained HTML file: readable offline, printable, and safe to open.

Everything is inside the file: the CSS in a `<style>` element, the charts as inline SVG. No
element refers to anything outside it (no scripts, fonts, images or links to fetch); URLs of
posts and press releases appear as text to copy, not as links. A Content-Security-Policy in the
page forbids any load all the same, so a mistake would show as a blocked request rather than a
page that quietly calls home. Tables have captions and header cells with their scope, for
screen readers; every text from outside (titles, outlets, errors) is escaped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta
from html import escape

from . import formatting as fmt
from .board import document_sections, month_name, notices, summary
from .charts import Bar, Line, bar_chart, line_chart
from .document import Section, Table, subtitle
from .engagement import channels_by_interactions
from .layout import headline
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
.notice { border: 2px solid #b35c00; background: #fff4e5; padding: .6rem 1rem; border-radius: 6px;
          font-weight: 600; }
section.summary table { font-size: 1.05rem; }
@page { size: A4; margin: 15mm 13mm 17mm;
        @bottom-right { content: counter(page) " / " counter(pages); font: 9pt sans-serif;
                        color: #5a5a66; } }
@media print { main { max-width: none; padding: 0; } h2 { break-after: avoid; }
               body { font-size: 9.5pt; } table { font-size: 7.5pt; } td.url { font-size: 6.5pt; }
               th, td { padding: .15rem .3rem; } section.summary table { font-size: 10.5pt; }
               table, figure { break-inside: avoid; } caption { break-after: avoid; }
               section.summary { break-after: page; } .notes { font-size: 8pt; }
               figure { margin: .4rem 0 .8rem; } figure svg { width: 100%; max-height: 70mm; } }
"""
_URL_COLUMNS = {"URL", "Link", "Post"}
_PERIOD_CHARTS = ("followers", "engagement", "voice")
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
            figures[key] = _figure(svg, captions[key])
    trends = "\n".join(_figure(svg, caption) for svg, caption in trend_charts(report))
    if trends:
        figures["trends"] = trends
    return figures


def _figure(svg: str, caption: str) -> str:
    return f"<figure>\n{svg}\n<figcaption>{escape(caption)}</figcaption>\n</figure>"


def trend_charts(report: Report) -> list[tuple[str, str]]:
    """The four trend charts that have data, each with its caption: followers per channel,
    clips this year against last, share of voice and interactions per post, month by month."""
    t = report.trends
    months = [m.first_day for m in t.months]
    span = f"{month_name(t.months[0])} to {month_name(t.months[-1])}"
    year_months = [d for d, _ in t.clips_last_year]
    this_year = [(d.replace(year=t.year - 1), n) for d, n in t.clips_this_year]  # same x axis
    charts = [
        (
            line_chart("trend-followers", f"Followers per channel, {span}",
                       "The follower count at the end of each month, for the largest channels.",
                       [Line(s.channel, s.points) for s in t.followers], months, every=1,
                       day_format="%b %y"),
            "Followers at the end of each month over twelve months (the largest channels).",
        ),
        (
            line_chart("trend-clips", f"Press clips per month, {t.year} against {t.year - 1}",
                       "Clips per month of this year so far, and of the year before.",
                       [Line(str(t.year), this_year), Line(str(t.year - 1), t.clips_last_year)],
                       year_months, every=1, day_format="%b"),
            f"Press clips per month: {t.year} (up to the report's month) against {t.year - 1}.",
        ),
        (
            line_chart("trend-voice", f"Share of voice per month, {span}",
                       "Each competitor's share of the mentions in each month's clips.",
                       [Line(v.competitor, v.points) for v in t.voice], months, unit=" %",
                       every=1, day_format="%b %y"),
            "Share of voice in each month's press clips, per competitor.",
        ),
        (
            line_chart("trend-interactions", f"Interactions per post, {span}",
                       "Interactions per post with figures, month by month.",
                       [Line("all channels", [(m.first_day, m.interactions_per_post)
                                              for m in t.months
                                              if m.interactions_per_post is not None])],
                       months, whole=False, every=1,
                       day_format="%b %y"),
            "Interactions per post (likes + reposts + replies + quotes), month by month.",
        ),
    ]  # fmt: skip
    return [(svg, caption) for svg, caption in charts if svg is not None]


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
        f'<section id="{section.key}" class="{section.key}" aria-labelledby="{section.key}-h">',
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


def render_html(report: Report, *, preface: Sequence[str] = ()) -> str:
    """The report as one page; `preface`: sentences said before it (the e-mail's note on its
    attachments)."""
    title = f"{report.title}: {report.period.name}"
    figures = chart_figures(report)
    headline_rows = "".join(
        f"<dt>{escape(what)}</dt><dd>{escape(value)}</dd>" for what, value in headline(report)
    )
    first = summary(report)
    body = [
        *(f'<p class="subtitle">{escape(line)}</p>' for line in preface),
        f"<header><h1>{escape(title)}</h1>",
        *(f'<p class="notice" role="note">{escape(n)}</p>' for n in notices(report)),
        f'<p class="subtitle">{escape(subtitle(report))}</p></header>',
        *([] if first is None else [_section(first, None)]),
        f'<dl class="headline" aria-label="Headline figures">{headline_rows}</dl>',
        *(_section(s, figures.get(s.key)) for s in document_sections(report)),
    ]
    return _page(title, body)


def render_charts_page(report: Report) -> str:
    """Only the period's own charts, on one page: what the README's picture is taken from."""
    title = f"{report.title}: {report.period.name}"
    figures = chart_figures(report)
    body = [f"<h1>{escape(title)}</h1>", *(figures[k] for k in _PERIOD_CHARTS if k in figures)]
    return _page(f"{title} (charts)", body)
