"""Draw the growth figures of a suite run as one SVG: does each figure stay flat, or grow with
the work done (linear), as the channels and the items grow?

    .venv/bin/python bench/growth_chart.py RUN.json OUT.svg     (RUN.json: bench/run --save)
    bench/run --chart OUT.svg                                     (the same, after a run)

A curve is the figures of one benchmark and backend whose names match once the numbers of
their scale are set aside and whose `scale` differs in one key (see `bench/_figures.py`). Each is drawn
relative to its value at the smallest scale, on log-log axes, one panel per key (channels,
items...), beside two dashed guides: flat (1x whatever the scale) and linear (10x the value for
10x the scale). Relative values put milliseconds and seconds on one chart, and on log-log axes
the slope is the growth: a curve along the flat guide does not grow, one along the linear
guide grows in proportion. Written by hand: the project has no plotting library, and this
needs lines, dots and text.
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections import defaultdict
from collections.abc import Sequence
from html import escape
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _figures import Figure  # noqa: E402

__all__ = ["curves", "write_chart"]

Curve = tuple[str, list[tuple[int, float]]]  # label, (scale, value) by scale
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
           "#17becf", "#7f7f7f", "#bcbd22")  # fmt: skip
PANEL_W, PANEL_H, MARGIN, GAP = 420, 300, 56, 40


def curves(figures: Sequence[Figure]) -> dict[str, list[Curve]]:
    """The growth curves by the scale key they follow (only curves of two points or more).

    Along a key, a curve's other keys are either fixed (items at 20 channels: "channels 20")
    or grow in proportion (channels with 1,000 items each: "items 1,000 per channel"); a
    proportional curve is drawn once, under the first key it follows."""
    groups: dict[tuple[str, ...], list[Figure]] = defaultdict(list)
    for f in figures:
        if f.scale and f.value is not None and f.value > 0:
            name = _unscaled(f.figure, set(f.scale.values()))
            groups[(f.benchmark, f.backend, name, f.unit)].append(f)
    out: dict[str, list[Curve]] = defaultdict(list)
    for (benchmark, backend, name, unit), members in groups.items():
        title = f"{benchmark}: {name} ({unit})" + ("" if backend == "-" else f" [{backend}]")
        drawn: set[frozenset[tuple[tuple[str, int], ...]]] = set()
        for key in sorted({k for f in members for k in f.scale or {}}):
            along: dict[str, dict[int, Figure]] = defaultdict(dict)  # how the rest is, points
            for f in members:
                scale = f.scale or {}
                if key in scale:
                    rest = sorted((k, v) for k, v in scale.items() if k != key)
                    along[", ".join(f"{k} {v:,}" for k, v in rest)][scale[key]] = f
                    if rest:
                        along[", ".join(_per(k, v, key, scale[key]) for k, v in rest)][
                            scale[key]
                        ] = f
            for how, points in along.items():
                identity = frozenset(
                    tuple(sorted((f.scale or {}).items())) for f in points.values()
                )
                if len(points) >= 2 and identity not in drawn:
                    drawn.add(identity)
                    line = sorted((x, float(f.value or 0)) for x, f in points.items())
                    out[key].append((title + (f", {how}" if how else ""), line))
    return dict(out)


def _per(key: str, value: int, along: str, at: int) -> str:
    """'items 1,000 per channel': a key that grows in proportion to the one drawn along."""
    ratio = value / at
    shown = f"{ratio:,.0f}" if ratio >= 10 else f"{ratio:.3g}"
    return f"{key} {shown} per {along.removesuffix('s')}"


def write_chart(figures: Sequence[Figure], path: Path) -> str:
    """Write the SVG to `path`; returns a line saying what it drew."""
    by_key = curves(figures)
    path.write_text(svg(by_key), encoding="utf-8")
    drawn = sum(len(c) for c in by_key.values())
    return f"{drawn} growth curve(s) over {', '.join(by_key) or 'no scale'} drawn in {path}"


def svg(by_key: dict[str, list[Curve]]) -> str:
    keys = sorted(by_key) or ["(no growth figures)"]
    labels = [label for key in keys for label, _ in by_key.get(key, [])]
    colour = {label: _style(n) for n, label in enumerate(dict.fromkeys(labels))}
    width = MARGIN + len(keys) * (PANEL_W + GAP)
    height = MARGIN + PANEL_H + 50 + 18 * len(colour)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
    ]
    for n, key in enumerate(keys):
        parts += panel(key, by_key.get(key, []), MARGIN + n * (PANEL_W + GAP), colour)
    y = MARGIN + PANEL_H + 50
    for label, (hue, dash) in colour.items():
        line = f'x1="{MARGIN}" y1="{y - 4}" x2="{MARGIN + 14}" y2="{y - 4}"'
        parts.append(f"<line {line} {_stroke(hue, dash)}/>")
        parts.append(f'<text x="{MARGIN + 18}" y="{y}">{escape(label)}</text>')
        y += 18
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def panel(key: str, drawn: list[Curve], left: int, colour: dict[str, tuple[str, str]]) -> list[str]:
    """One panel: x = the scale (log), y = the value relative to the first point (log)."""
    xs = [x for _, points in drawn for x, _ in points] or [1, 10]
    ratios = [v / points[0][1] for _, points in drawn for _, v in points] or [1.0]
    x_lo, x_hi = _decades(min(xs), max(xs))
    span = x_hi / x_lo
    y_lo, y_hi = _decades(min(min(ratios), 1.0), max(max(ratios), span))
    top, bottom = MARGIN, MARGIN + PANEL_H

    def at(x: float, ratio: float) -> tuple[float, float]:
        fx = math.log10(x / x_lo) / math.log10(x_hi / x_lo)
        fy = math.log10(ratio / y_lo) / math.log10(y_hi / y_lo)
        return left + fx * PANEL_W, bottom - fy * PANEL_H

    out = [
        f'<text x="{left}" y="{top - 20}" font-weight="bold">growth with the {escape(key)}</text>',
        f'<rect x="{left}" y="{top}" width="{PANEL_W}" height="{PANEL_H}" fill="none" stroke="#999"/>',
    ]
    for tick in _powers(x_lo, x_hi):
        x, _ = at(tick, y_lo)
        out.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{bottom}" stroke="#eee"/>')
        out.append(f'<text x="{x:.1f}" y="{bottom + 16}" text-anchor="middle">{tick:,.0f}</text>')
    for tick in _powers(y_lo, y_hi):
        _, y = at(x_lo, tick)
        out.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + PANEL_W}" y2="{y:.1f}" stroke="#eee"/>'
        )
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{tick:g}x</text>')
    first = min(xs)
    for name, end in (("flat", 1.0), ("linear", max(xs) / first)):
        (x1, y1), (x2, y2) = at(first, 1.0), at(max(xs), end)
        out.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
                   f'stroke="#aaa" stroke-dasharray="5,4"/>')  # fmt: skip
        out.append(
            f'<text x="{x2 - 4:.1f}" y="{y2 - 6:.1f}" text-anchor="end" fill="#888">{name}</text>'
        )
    for label, points in drawn:
        base = points[0][1]
        xy = [at(x, v / base) for x, v in points]
        line = " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)
        hue, dash = colour[label]
        out.append(f'<polyline points="{line}" fill="none" {_stroke(hue, dash)}/>')
        out += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{hue}"/>' for x, y in xy]
    out.append(
        f'<text x="{left + PANEL_W / 2}" y="{bottom + 34}" text-anchor="middle">{escape(key)} (log)</text>'
    )
    return out


def _style(n: int) -> tuple[str, str]:
    """The colour and dashes of the n-th curve: ten colours, then the same dashed, then dotted."""
    return COLOURS[n % len(COLOURS)], ("", "6,3", "2,2")[n // len(COLOURS) % 3]


def _stroke(hue: str, dash: str) -> str:
    return f'stroke="{hue}" stroke-width="2"' + (f' stroke-dasharray="{dash}"' if dash else "")


def _unscaled(figure: str, values: set[int]) -> str:
    """The figure's name with its scale's numbers as N: "load config, 1,000 channels" gives
    "load config, N channels" (other numbers, as in "7 days", stay)."""

    def swap(match: re.Match[str]) -> str:
        return "N" if int(match.group().replace(",", "")) in values else match.group()

    return re.sub(r"\d{1,3}(?:,\d{3})+|\d+", swap, figure)


def _decades(lo: float, hi: float) -> tuple[float, float]:
    """The powers of ten around [lo, hi] (at least one decade apart)."""
    low = 10 ** math.floor(math.log10(lo))
    high = 10 ** math.ceil(math.log10(hi))
    return low, max(high, low * 10)


def _powers(lo: float, hi: float) -> list[float]:
    return [10.0**e for e in range(round(math.log10(lo)), round(math.log10(hi)) + 1)]


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: bench/growth_chart.py RUN.json OUT.svg  (RUN.json from bench/run --save)",
              file=sys.stderr)  # fmt: skip
        return 2
    rows = json.loads(Path(argv[0]).read_text(encoding="utf-8"))["figures"]
    print(write_chart([Figure(**row) for row in rows], Path(argv[1])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
