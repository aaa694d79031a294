"""The HTML report in a real browser: headless Chromium renders it to PNG without a complaint.

Skipped, with the reason, when Chromium is not installed, except under CI=true, where a
missing browser is a failure (`.ci/run` installs Debian's `chromium`).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from tests.conftest import FakeClock
from xensocial.reporting.build import build_report
from xensocial.reporting.periods import parse_month
from xensocial.reporting.render_html import render_html

from .chromium import console_messages, find_chromium, read_png, screenshot
from .conftest import CHANNELS, CONFIG, ZONE, at, march_2026


@pytest.fixture
def chromium() -> str:
    found = find_chromium()
    if found is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true and chromium is not installed (.ci/run installs it)")
        pytest.skip("chromium is not installed (Debian: apt-get install chromium)")
    return found


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_the_html_report_renders_in_chromium(
    engine: Engine, clock: FakeClock, chromium: str, tmp_path: Path
) -> None:
    march_2026(engine, clock)
    report = build_report(
        engine, parse_month("2026-03", ZONE), CONFIG, CHANNELS, now=at("2026-04-02 07:00")
    )
    page = tmp_path / "report.html"
    page.write_text(render_html(report), encoding="utf-8")
    png = tmp_path / "report.png"

    done = screenshot(chromium, page, png, tmp_path / "profile")

    assert done.returncode == 0, done.stderr[-2000:]
    assert console_messages(done.stderr) == []  # no blocked load, no error in the page
    image = read_png(png)
    assert (image.width, image.height) == (1200, 2000)
    # A blank or broken page has a handful of distinct rows; text, tables and a chart have
    # hundreds.
    assert image.distinct_rows > 300, image
