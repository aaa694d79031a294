"""The calendar, channels and reports pages in a real browser (the machine's Chromium through
Playwright), against `xensocial web` and `xensocial run` as real subprocesses on one SQLite
database.

An editor adds an item in the browser and an approver approves it there (no CLI); it is in
the calendar at its slot (the forecast `schedule` prints); the daemon posts it to the outbox
and the calendar shows it published; an approver pauses the channel and the calendar's next
slot is held with the reason; a viewer opens the month's report at its stable address. A title holding a `<script>` stays text on every page. Each page is
screenshotted into `test-artifacts/web/` and checked by axe-core.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from .conftest import ARTIFACTS, PASSWORD, clean_env, free_port, running_console, xensocial

HOSTILE = "<script>alert('cal')</script><img src=x onerror=alert(3)> Xen Summit"


def _next_slot() -> datetime:
    """A minute boundary at least 45 s ahead: time to see the item planned, then start the
    daemon before its slot."""
    soon = datetime.now(UTC) + timedelta(seconds=45)
    return soon.replace(second=0, microsecond=0) + timedelta(minutes=1)


class Site:
    def __init__(self, root: Path, slot: datetime) -> None:
        self.root, self.slot, self.port = root, slot, free_port()
        self.config = root / "xensocial.toml"
        self.outbox = root / "outbox.jsonl"
        self.config.write_text(
            f"""
database_url = "sqlite:///{root / "queue.db"}"
data_dir = "{root / "data"}"
timezone = "UTC"

[http]
listen = ""

[web]
listen = "127.0.0.1:{self.port}"

[[channels]]
name = "xen-news"
network = "outbox"
slots = ["{slot:%H:%M}"]
[channels.options]
path = "{self.outbox}"

[[channels]]
name = "xen-blog"
network = "outbox"
slots = ["06:00"]
[channels.options]
path = "{root / "blog.jsonl"}"
""",
            encoding="utf-8",
        )
        self.config.chmod(0o600)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    site = Site(tmp_path, _next_slot())
    xensocial(site.config, "db", "upgrade")
    for name in ("editor", "approver", "viewer"):
        xensocial(
            site.config, "users", "add", name, "--role", name, "--password-stdin", stdin=PASSWORD
        )
    yield site


def _daemon(site: Site) -> subprocess.Popen[bytes]:
    log = (site.root / "run.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "xensocial", "--config", str(site.config), "run"],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=clean_env(),
    )
    log.close()
    return proc


def test_calendar_daemon_pause_and_report_in_a_browser(
    site: Site, browser: object, axe: str
) -> None:
    from playwright.sync_api import Browser, Page, expect

    from .axe import serious_violations

    assert isinstance(browser, Browser)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    dialogs: list[str] = []
    inaccessible: dict[str, list[str]] = {}
    console_run = running_console(site.config, site.port, site.root / "web.log")
    console = next(console_run)

    def shot(page: Page, name: str) -> None:
        page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)
        found = serious_violations(page, axe)
        if found:
            inaccessible[name] = found

    def sign_in(name: str) -> Page:
        page = browser.new_page()
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(f"{console}/login")
        page.fill("#name", name)
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        expect(page.locator(".who")).to_contain_text(f"{name} ({name})")
        return page

    try:
        # An editor adds the item in the browser (no CLI); an approver approves it there.
        editor = sign_in("editor")
        editor.goto(f"{console}/add?url=https://example.org/summit")  # a GET reads nothing
        editor.fill("#title", HOSTILE)
        editor.uncheck('input[name=channel][value="xen-blog"]')
        editor.click("button:has-text('Add')")
        expect(editor.locator(".notice")).to_have_text("Added.")
        first = int(editor.url.split("?")[0].rsplit("/", 1)[1])
        # A second item, queued after it: the slot takes the first, the next slot this one.
        xensocial(site.config, "queue", "add", "https://example.org/next", "--title", "Next one",
                  "--channel", "xen-news")  # fmt: skip
        page = sign_in("approver")
        page.goto(f"{console}/items/{first}")
        page.click("button:has-text('Approve')")
        expect(page.locator(".notice")).to_have_text("Approved.")
        page.click("nav >> text=Calendar")
        page.select_option("select[name=channel]", "xen-news")
        page.click("button:has-text('Show')")
        row = page.locator(f'tr[data-channel="xen-news"][data-item="{first}"]').first
        expect(row).to_contain_text("planned")
        expect(row).to_contain_text(f"{site.slot:%H:%M}")
        expect(row).to_contain_text("<script>alert('cal')</script>")
        expect(page.locator('tr[data-channel="xen-blog"]')).to_have_count(0)
        shot(page, "07-calendar-planned")

        # The daemon, a real subprocess, posts it at its slot; the calendar shows it posted.
        daemon = _daemon(site)
        try:
            deadline = time.monotonic() + 150
            while not (site.outbox.exists() and site.outbox.read_text().strip()):
                assert daemon.poll() is None, (site.root / "run.log").read_text()
                assert time.monotonic() < deadline, "the daemon posted nothing at the slot"
                time.sleep(0.5)
        finally:
            daemon.send_signal(signal.SIGTERM)
            daemon.wait(timeout=30)
        assert "Xen Summit" in site.outbox.read_text()
        page.reload()
        posted = page.locator(f'tr[data-channel="xen-news"][data-item="{first}"]').first
        expect(posted.locator(".kind")).to_have_text("published")
        shot(page, "08-calendar-posted")

        # Pause the channel with a reason: its next slot is held, with the reason.
        page.click("nav >> text=Channels")
        page.fill('input[aria-label="Why pause xen-news"]', "board <b>review</b>")
        page.click("button:has-text('Pause xen-news')")
        expect(page.locator(".notice")).to_have_text("Paused.")
        news = page.locator('tr.channel[data-channel="xen-news"] .state')
        expect(news).to_contain_text("paused (board <b>review</b>)")
        shot(page, "09-channels-paused")
        tomorrow = (site.slot + timedelta(days=1)).date().isoformat()
        page.goto(f"{console}/calendar?view=week&channel=xen-news&at={tomorrow}")
        held = page.locator('tr.slot-held[data-channel="xen-news"]').first
        expect(held).to_contain_text("board <b>review</b>")
        shot(page, "10-calendar-paused")

        # A viewer opens the month's report at its stable address.
        viewer = sign_in("viewer")
        month = f"{site.slot:%Y-%m}"
        viewer.goto(f"{console}/reports/month/{month}")
        expect(viewer.locator("h1")).to_contain_text(site.slot.strftime("%B %Y"))
        frame = viewer.frame_locator("iframe.report")
        expect(frame.locator("body")).to_contain_text(site.slot.strftime("%B %Y"))
        expect(viewer.locator("a:has-text('PDF')")).to_have_count(1)
        shot(viewer, "11-report")
        pdf = viewer.request.get(f"{console}/reports/month/{month}/report.pdf")
        assert pdf.ok and pdf.body().startswith(b"%PDF")
    finally:
        console_run.close()
    assert dialogs == []
    assert inaccessible == {}, inaccessible
