"""The report's charts, drawn as inline SVG: no image files, no scripts, nothing fetched.

Two shapes cover the charts the report needs: lines over the days of the period (followers per
channel) or over months (the trends: followers, clips this year against last, share of voice,
interactions per post), and horizontal bars (interactions per channel, share of voice). Each
SVG is meant to sit inside an HTML page (so it carries no namespace URL) and is accessible the usual way (`role="img"` with a `<title>` and `<desc>`; the numbers
themselves are in the tables beside it) and every text in it is escaped, since channel names,
competitors and themes come from the configuration and titles from feeds.

Colours are the Okabe-Ito set, told apart by people with the common colour-vision deficiencies;
the project's own bar is drawn in a darker colour and its label in bold, so the highlight does
not rest on colour alone.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from html import escape

__all__ = ["PALETTE", "Bar", "Line", "bar_chart", "line_chart", "nice_ticks"]

PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
           "#8C564B")  # fmt: skip
_BAR, _BAR_STRONG = "#56B4E9", "#0072B2"
_FONT = 'font-family="system-ui, sans-serif" font-size="12"'


@dataclass(frozen=True)
class Line:
    label: str
    points: Sequence[tuple[date, float]]


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str  # the value as the table shows it
    strong: bool = False


def nice_ticks(low: float, high: float, count: int = 5, *, whole: bool = True) -> list[float]:
    """Round tick values covering `low`..`high`: steps of 1, 2, 2.5 or 5 times a power of ten."""
    if high <= low:
        high = low + 1
    raw = (high - low) / count
    if whole:
        raw = max(raw, 1.0)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.floor(low / step) * step
    last = math.ceil(high / step) * step
    return [first + i * step for i in range(round((last - first) / step) + 1)]


def _label(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"


def _open(key: str, width: int, height: int, title: str, desc: str) -> list[str]:
    return [
        f'<svg viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" '
        f'aria-labelledby="{key}-title {key}-desc" {_FONT}>',
        f'<title id="{key}-title">{escape(title)}</title>',
        f'<desc id="{key}-desc">{escape(desc)}</desc>',
    ]


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def line_chart(
    key: str,
    title: str,
    desc: str,
    lines: Sequence[Line],
    days: Sequence[date],
    *,
    every: int = 7,
    day_format: str = "%d %b",
    unit: str = "",
    whole: bool = True,
) -> str | None:
    """One line per series over `days` (the x axis, labelled every `every` days in
    `day_format`); None when no series has a point. `unit` follows each value of the y axis
    (" %"); `whole`: its steps are whole numbers (counts), not fractions (averages)."""
    drawn = [line for line in lines if line.points]
    if not drawn or not days:
        return None
    width, height = 760, 340
    left, right, top, bottom = 70, 190, 16, 40
    values = [v for line in drawn for _, v in line.points]
    ticks = nice_ticks(min(values), max(values), whole=whole)
    low, high = ticks[0], ticks[-1]
    span_x = max(len(days) - 1, 1)
    index = {d: i for i, d in enumerate(days)}

    def x(d: date) -> float:
        return left + (width - left - right) * index[d] / span_x

    def y(v: float) -> float:
        return top + (height - top - bottom) * (1 - (v - low) / (high - low))

    out = _open(key, width, height, title, desc)
    for t in ticks:
        out.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(t):.1f}" y2="{y(t):.1f}" '
            'stroke="#ddd"/>'
        )
        out.append(
            f'<text x="{left - 6}" y="{y(t) + 4:.1f}" text-anchor="end" fill="#444">'
            f"{escape(_label(t) + unit)}</text>"
        )
    for i, d in enumerate(days):
        if i % every == 0 or (i == len(days) - 1 and i % every >= every // 2):  # if it has room
            out.append(
                f'<text x="{x(d):.1f}" y="{height - bottom + 18}" text-anchor="middle" '
                f'fill="#444">{escape(d.strftime(day_format))}</text>'
            )
    out.append(
        f'<line x1="{left}" x2="{width - right}" y1="{height - bottom}" '
        f'y2="{height - bottom}" stroke="#888"/>'
    )
    for n, line in enumerate(drawn):
        colour = PALETTE[n % len(PALETTE)]
        points = " ".join(f"{x(d):.1f},{y(v):.1f}" for d, v in line.points if d in index)
        out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"/>')
        for d, v in line.points[-1:]:
            out.append(f'<circle cx="{x(d):.1f}" cy="{y(v):.1f}" r="3" fill="{colour}"/>')
        legend_y = top + 8 + 20 * n
        out.append(
            f'<rect x="{width - right + 14}" y="{legend_y - 9}" width="14" height="4" '
            f'fill="{colour}"/>'
        )
        out.append(
            f'<text x="{width - right + 34}" y="{legend_y - 3}" fill="#222">'
            f"{escape(_short(line.label, 22))}</text>"
        )
    out.append("</svg>")
    return "\n".join(out)


def bar_chart(key: str, title: str, desc: str, bars: Sequence[Bar]) -> str | None:
    """Horizontal bars, longest first as given; None without bars."""
    if not bars:
        return None
    width, row = 760, 26
    left, right, top = 200, 90, 10
    height = top * 2 + row * len(bars)
    scale = max(max(b.value for b in bars), 1e-9)
    out = _open(key, width, height, title, desc)
    for n, bar in enumerate(bars):
        y = top + n * row
        length = (width - left - right) * max(bar.value, 0) / scale
        weight = ' font-weight="bold"' if bar.strong else ""
        out.append(
            f'<text x="{left - 8}" y="{y + 17}" text-anchor="end" fill="#222"{weight}>'
            f"{escape(_short(bar.label, 28))}</text>"
        )
        out.append(
            f'<rect x="{left}" y="{y + 5}" width="{length:.1f}" height="{row - 9}" '
            f'fill="{_BAR_STRONG if bar.strong else _BAR}"/>'
        )
        out.append(
            f'<text x="{left + length + 6:.1f}" y="{y + 17}" fill="#222"{weight}>'
            f"{escape(bar.text)}</text>"
        )
    out.append("</svg>")
    return "\n".join(out)
