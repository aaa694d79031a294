"""Every page of the web console in a real browser, with hostile text in everything it shows:
item titles, texts, tags and URLs, a feed's URL, error and entries (read by a real `feeds
poll`), a network's post address and error, a slot's reason, a pause reason, an account's
name, a CSV file's name and rows, and the words a refused request echoes back.

On each page, at a laptop's size and at a phone's: nothing injected ran (no dialog, no
`window.__pwned`), no element was injected (no inline `<script>`, no `<img src=x>`: this holds
even where the Content-Security-Policy would have stopped the script, so it proves the
escaping, not only the policy), and the hostile text is shown literally. At the phone's size
the page is no wider than the screen (tables scroll inside themselves). Each page is
screenshotted at both sizes into `test-artifacts/web/pages/` and checked by axe-core at the
laptop's.

One console subprocess serves the whole file, started with only `--port`, so it also shows
where the console binds by default: loopback.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

import pytest

from .conftest import ARTIFACTS, PASSWORD, free_port, running_console, xensocial

if TYPE_CHECKING:
    from content_queue.views import ItemImage

# No blank (URLs and account names refuse one): `/` separates the attributes instead.
HOSTILE = (
    "<script>window.__pwned=1;alert(1)</script>\"'><img/src=x/onerror=window.__pwned=1;alert(2)>"
)
SHOTS = ARTIFACTS / "pages"
PHONE = {"width": 390, "height": 844}


def _feed_xml() -> bytes:
    """An entry whose title is markup (the intake keeps its words: `entry-"'>`), whose summary
    is escaped markup (kept as text: the hostile string itself) and whose link is hostile."""
    title = escape(f"entry-{HOSTILE}")
    summary = escape(escape(f"summary-{HOSTILE}"))
    link = escape(f"https://example.org/entry?e={HOSTILE}")
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
        f"<item><title>{title}</title><link>{link}</link><guid>e1</guid>"
        f"<description>{summary}</description></item></channel></rss>"
    ).encode()


class _Feed(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        body = _feed_xml()
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@dataclass
class Site:
    url: str
    port: int
    items: dict[str, int]
    yesterday: datetime
    tomorrow: datetime


def _image(data_dir: Path) -> ItemImage:
    """A small PNG kept in the media folder, as `queue add --image` keeps one; its alt text
    hostile."""
    from PIL import Image

    from content_queue.views import ItemImage
    from xensocial.media.store import MediaStore

    out = io.BytesIO()
    Image.new("RGB", (40, 30), "teal").save(out, "PNG")
    data = out.getvalue()
    sha256 = hashlib.sha256(data).hexdigest()
    MediaStore(data_dir).put(data, sha256, "image/png")
    return ItemImage(sha256, "image/png", 40, 30, len(data), f"alt-{HOSTILE}")


def _seed(database: Path, data_dir: Path, yesterday: datetime) -> dict[str, int]:
    """Hostile rows written through the stores the daemon and the CLI write through: an item
    waiting (with an image), one posted (its post address hostile), one failed (its error
    hostile), a skipped slot (its reason hostile), a failing feed, an account with a hostile
    name."""
    from content_queue import ContentQueue, Ledger, NewItem, SlotOutcome, make_engine
    from content_queue.accounts import AccountStore
    from content_queue.sources import FeedSpec, FeedStore
    from tests.choosing import claim
    from tests.conftest import FakeClock
    from xensocial.accounts import hash_password

    engine = make_engine(f"sqlite:///{database}")
    clock = FakeClock(yesterday - timedelta(days=1))
    queue, ledger = ContentQueue(engine, clock=clock), Ledger(engine, clock)
    try:

        def add(slug: str, channel: str) -> int:
            images = (_image(data_dir),) if slug == "waiting" else ()
            new = NewItem(url=f"https://example.org/{slug}?q={HOSTILE}", channels=[channel],
                          title=f"{slug}-{HOSTILE}", text=f"</textarea>{HOSTILE}",
                          tags=[HOSTILE], created_by=HOSTILE, images=images)  # fmt: skip
            return queue.add(new).id

        items = {name: add(name, channel) for name, channel in
                 (("waiting", "news"), ("posted", "news"), ("failed", "blog"))}  # fmt: skip

        def slot(channel: str, hour: int, item: str | None) -> tuple[int, int | None]:
            at = clock.set(yesterday.replace(hour=hour, minute=0))
            taken = ledger.claim_slot(channel, at, "replica-1")
            assert taken is not None
            if item is None:
                return taken, None
            [delivery] = queue.get(items[item]).deliveries
            assert claim(ledger, delivery.id, "replica-1", at + timedelta(minutes=5),
                         channel=channel, now=at)  # fmt: skip
            return taken, delivery.id

        taken, delivery = slot("news", 9, "posted")
        assert delivery is not None
        assert ledger.mark_published(delivery, remote_id=HOSTILE, owner="replica-1",
                                     remote_url=f"https://news.example.net/p?{HOSTILE}",
                                     published_at=clock())  # fmt: skip
        ledger.finish_slot(taken, SlotOutcome.PUBLISHED, item_id=items["posted"])
        taken, delivery = slot("blog", 18, "failed")
        assert delivery is not None
        assert ledger.mark_failed(delivery, f"HTTP 422: {HOSTILE}", owner="replica-1")
        ledger.finish_slot(taken, SlotOutcome.FAILED, item_id=items["failed"], detail=HOSTILE)
        taken, _ = slot("blog", 6, None)
        ledger.finish_slot(taken, SlotOutcome.SKIPPED, detail=f"daily cap: {HOSTILE}")
        feeds = FeedStore(engine, clock)
        broken = feeds.add(FeedSpec(name="broken", url=f"https://example.org/feed?{HOSTILE}"))
        feeds.record_failure(broken.id, f"HTTP 500: {HOSTILE}", next_poll_at=clock())
        accounts = AccountStore(engine, clock)
        accounts.add(HOSTILE, "viewer", hash_password(PASSWORD), by=HOSTILE)
        return items
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("hostile")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Feed)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = free_port()
    config = root / "xensocial.toml"
    # No [web] listen: the console is started with --port alone, on its default address.
    config.write_text(
        f"""
database_url = "sqlite:///{root / "queue.db"}"
data_dir = "{root / "data"}"
timezone = "UTC"

[http]
listen = ""

[intake]
allow_private_addresses = true   # the feed is served on 127.0.0.1

[[channels]]
name = "news"
network = "outbox"
slots = ["09:00"]
[channels.options]
path = "{root / "news.jsonl"}"

[[channels]]
name = "blog"
network = "outbox"
slots = ["06:00", "18:00"]
[channels.options]
path = "{root / "blog.jsonl"}"
""",
        encoding="utf-8",
    )
    config.chmod(0o600)
    today = datetime.combine(datetime.now(UTC).date(), time(), tzinfo=UTC)
    xensocial(config, "db", "upgrade")
    items = _seed(root / "queue.db", root / "data", today - timedelta(days=1))
    xensocial(
        config, "users", "add", "admin", "--role", "admin", "--password-stdin", stdin=PASSWORD
    )
    xensocial(config, "--as", "admin", "channels", "pause", "blog", "--reason", f"board-{HOSTILE}")
    feed = f"http://127.0.0.1:{server.server_address[1]}/feed.xml"
    xensocial(config, "feeds", "add", feed, "--name", "hostile-feed", "--initial", "5")
    xensocial(config, "feeds", "poll", "hostile-feed", "--now")
    [entry] = json.loads(xensocial(config, "queue", "list", "--state", "draft", "--json"))
    items["entry"] = entry["id"]
    run = running_console(config, port, root / "web.log", "--port", str(port))
    try:
        yield Site(next(run), port, items, today - timedelta(days=1), today + timedelta(days=1))
    finally:
        run.close()
        server.shutdown()
        server.server_close()


def _pages(site: Site) -> list[tuple[str, str, list[str]]]:
    """(name, path, what the page must show literally) for every page of the console."""
    day, after = site.yesterday.date().isoformat(), site.tomorrow.date().isoformat()
    item = site.items["posted"]
    return [
        ("queue", "/queue", [f"waiting-{HOSTILE}", "entry-\"'>"]),
        ("item-from-feed", f"/items/{site.items['entry']}", [f"summary-{HOSTILE}",
                                                              f"https://example.org/entry?e={HOSTILE}"]),
        ("queue-search", f"/queue?q={HOSTILE}", [HOSTILE]),
        ("item-posted", f"/items/{item}", [f"https://example.org/posted?q={HOSTILE}",
                                            f"https://news.example.net/p?{HOSTILE}",
                                            f"</textarea>{HOSTILE}", f"by {HOSTILE}"]),
        ("item-failed", f"/items/{site.items['failed']}", [f"HTTP 422: {HOSTILE}"]),
        ("item-with-image", f"/items/{site.items['waiting']}", [f"waiting-{HOSTILE}"]),
        ("edit", f"/items/{site.items['waiting']}/edit", []),
        ("add-with-preview", f"/add?url=https://example.org/new?q={HOSTILE}", []),
        ("calendar-week-past", f"/calendar?view=week&at={day}",
         [f"posted-{HOSTILE}", f"daily cap: {HOSTILE}", HOSTILE]),
        ("calendar-week", f"/calendar?view=week&at={after}",
         [f"waiting-{HOSTILE}", f"board-{HOSTILE}"]),
        ("calendar-month", f"/calendar?view=month&at={after}", [f"board-{HOSTILE}"]),
        ("calendar-refused", f"/calendar?channel={HOSTILE}",
         ["no channel named '<script>window.__pwned=1;alert(1)</script>\""]),  # repr()
        ("channels-and-feeds", "/channels", [f"board-{HOSTILE}", f"HTTP 500: {HOSTILE}",
                                             f"https://example.org/feed?{HOSTILE}"]),
        ("reports", "/reports", []),
        ("report-month", f"/reports/month/{site.yesterday:%Y-%m}", []),
        ("report-refused", f"/reports/month/{HOSTILE}", []),
        ("accounts", "/admin/users", [HOSTILE, f"by {HOSTILE}"]),
        ("not-found", "/items/999999", []),
    ]  # fmt: skip


def _checked(page: object, name: str, shows: list[str]) -> None:
    """Nothing injected ran or was even made an element; each of `shows` is on the page as
    text."""
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    found = page.evaluate(
        """() => ({pwned: window.__pwned !== undefined,
                   injected: document.querySelectorAll('script:not([src]), img[src="x"]').length})"""
    )
    assert found == {"pwned": False, "injected": 0}, name
    body = page.locator("body")
    for text in shows:
        expect(body).to_contain_text(text)


def _sign_in(page: object, site: Site) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    page.goto(f"{site.url}/login")
    page.fill("#name", HOSTILE)
    page.fill("#password", "not the password")
    page.click("button[type=submit]")  # refused: the name comes back in the form, as text
    expect(page.locator("#name")).to_have_value(HOSTILE)
    _checked(page, "sign-in-refused", [])
    page.fill("#name", "admin")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator(".who")).to_contain_text("admin (admin)")


# The innermost elements that reach past the screen's right edge: what makes a page too wide.
_PAST_THE_EDGE = """(edge) => {
    const past = (e) => e.getBoundingClientRect().right > edge;
    return [...document.querySelectorAll("body *")]
        .filter((e) => past(e) && ![...e.children].some(past))
        .slice(0, 3)
        .map((e) => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "")
                    + (e.className ? "." + e.className : ""));
}"""


def _walk(browser: object, site: Site, size: str, axe: str | None) -> dict[str, list[str]]:
    """Every page at `size` ("laptop" or "phone"): checked, screenshotted, and (with `axe`)
    axe's serious violations per page; at the phone's size, the pages wider than the screen."""
    from playwright.sync_api import Browser, Page, expect

    from .axe import serious_violations

    assert isinstance(browser, Browser)
    SHOTS.mkdir(parents=True, exist_ok=True)
    phone = size == "phone"
    context = browser.new_context(
        viewport=PHONE if phone else {"width": 1280, "height": 800}, is_mobile=phone
    )
    dialogs: list[str] = []
    context.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page: Page = context.new_page()
    problems: dict[str, list[str]] = {}

    def done(name: str) -> None:
        page.screenshot(path=SHOTS / f"{name}-{size}.png", full_page=True)
        if axe is not None and (found := serious_violations(page, axe)):
            problems[name] = found
        if phone:  # against the screen: a phone widens its viewport to what overflows it
            wide = page.evaluate("() => document.documentElement.scrollWidth")
            if wide > PHONE["width"]:
                problems[name] = [f"{wide} px wide on a {PHONE['width']} px screen, by"]
                problems[name] += page.evaluate(_PAST_THE_EDGE, PHONE["width"])

    page.goto(f"{site.url}/login")
    done("sign-in")
    _sign_in(page, site)
    for name, path, shows in _pages(site):
        page.goto(site.url + path)
        _checked(page, name, shows)
        done(name)
    # The image's hostile alt text is its alt attribute, as given; the image is served.
    page.goto(f"{site.url}/items/{site.items['waiting']}")
    thumbnail = page.locator(".thumbnails img")
    expect(thumbnail).to_have_attribute("alt", f"alt-{HOSTILE}")
    assert thumbnail.evaluate("img => img.complete && img.naturalWidth") == 40
    # Where the hostile text sits in form fields, it is their value, as typed.
    page.goto(f"{site.url}/items/{site.items['waiting']}/edit")
    expect(page.locator("#title")).to_have_value(f"waiting-{HOSTILE}")
    expect(page.locator("#text")).to_have_value(f"</textarea>{HOSTILE}")
    expect(page.locator("#url")).to_have_value(f"https://example.org/waiting?q={HOSTILE}")
    page.goto(f"{site.url}/add?url=https://example.org/new?q={HOSTILE}")
    expect(page.locator("#fetch-url")).to_have_value(f"https://example.org/new?q={HOSTILE}")
    page.fill("#title", HOSTILE)  # the preview per network, updated in place, shows it as text
    expect(page.locator("#previews pre").first).to_contain_text(HOSTILE)
    _checked(page, "add-preview-typed", [])
    # The report, in its frame: the failure as text, nothing injected there either.
    page.goto(f"{site.url}/reports/month/{site.yesterday:%Y-%m}")
    frame = page.frame_locator("iframe.report")
    expect(frame.locator("body")).to_contain_text(f"HTTP 422: {HOSTILE}")
    expect(frame.locator('script, img[src="x"]')).to_have_count(0)
    # A CSV file with a hostile name and rows: the all-or-nothing report shows them as text.
    rows = io.StringIO()
    csv.writer(rows).writerows([["url", "title"], [f"https://example.org/{HOSTILE}", HOSTILE],
                                [f"not a url {HOSTILE}", "x"]])  # fmt: skip
    name = HOSTILE.replace('"', "") + ".csv"  # a browser sends a file name's `"` as %22
    page.goto(f"{site.url}/import")
    page.set_input_files("#file", files=[{"name": name, "mimeType": "text/csv",
                                          "buffer": rows.getvalue().encode()}])  # fmt: skip
    page.click("button:has-text('Import')")
    _checked(
        page,
        "import",
        [f"{name}: 1 bad row(s)", 'not a url <script>window.__pwned=1;alert(1)</script>"'],
    )
    done("import-refused")
    context.close()
    assert dialogs == [], dialogs
    return problems


def test_hostile_text_is_shown_as_text_on_every_page(site: Site, browser: object, axe: str) -> None:
    assert _walk(browser, site, "laptop", axe) == {}


def test_every_page_fits_a_phone_and_stays_inert_there(site: Site, browser: object) -> None:
    assert _walk(browser, site, "phone", None) == {}


def test_the_console_listens_on_loopback_by_default(site: Site) -> None:
    """Started with `--port` alone (no `[web] listen`), the console's one listening socket is
    on 127.0.0.1: the kernel's table says so, whatever addresses the machine has."""
    if not Path("/proc/net/tcp").exists():
        pytest.skip("no /proc/net/tcp: not Linux")
    listening = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text(encoding="ascii").splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, port = local.split(":")
            if state == "0A" and int(port, 16) == site.port:  # 0A: LISTEN
                listening.append(address)
    assert listening == ["0100007F"]  # 127.0.0.1, little-endian
