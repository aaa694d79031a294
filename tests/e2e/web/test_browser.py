"""The web console in a real browser: Chromium (the machine's, `/usr/bin/chromium`, never a
downloaded one) driven by Playwright, against `xensocial web` as a real subprocess on
127.0.0.1 with a real SQLite database, and a local HTTP server for the page being linked.

An editor signs in, adds a link (its title and description read from the page through the
guarded fetcher, which a test configuration lets reach 127.0.0.1) with an image and its alt
text, and sees the post per network update as the text is edited; the editor is refused the approval; an approver approves
it. A title holding a `<script>` is shown as text and never runs. Screenshots of each page are
kept in `test-artifacts/web/` (gitignored; CI uploads it).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from .conftest import ARTIFACTS, PASSWORD, free_port, running_console, xensocial

PAGE = b"""<!doctype html><html><head>
<title>Xen 4.20 released</title>
<meta property="og:title" content="Xen Project 4.20 is out">
<meta property="og:description" content="Faster boots and a new scheduler.">
</head><body>news</body></html>"""


class _Page(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def linked_page() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/blog/xen-4-20"
    server.shutdown()
    server.server_close()


@pytest.fixture
def console(tmp_path: Path) -> Iterator[str]:
    """`xensocial web` on a free port, with an editor and an approver; its base URL."""
    port = free_port()
    config = tmp_path / "xensocial.toml"
    config.write_text(
        f"""
database_url = "sqlite:///{tmp_path / "queue.db"}"
data_dir = "{tmp_path / "data"}"
timezone = "Europe/Amsterdam"

[intake]
allow_private_addresses = true   # the linked page is served on 127.0.0.1

[web]
listen = "127.0.0.1:{port}"

[[channels]]
name = "xen-news"
network = "outbox"
slots = ["09:30"]
[channels.options]
path = "outbox.jsonl"

[[channels]]
name = "xen-mastodon"
network = "mastodon"
slots = ["15:00"]
[channels.options]
api_base_url = "https://mastodon.example"
[channels.secrets]
access_token = "env:XENSOCIAL_MASTODON_TOKEN"
""",
        encoding="utf-8",
    )
    config.chmod(0o600)
    xensocial(config, "db", "upgrade")
    for name in ("editor", "approver"):
        xensocial(config, "users", "add", name, "--role", name, "--password-stdin", stdin=PASSWORD)
    yield from running_console(config, port, tmp_path / "web.log")


def test_add_preview_and_approve_in_a_browser(
    console: str, linked_page: str, browser: object, axe: str, tmp_path: Path
) -> None:
    from PIL import Image
    from playwright.sync_api import Browser, Page, expect

    from .axe import serious_violations

    assert isinstance(browser, Browser)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    dialogs: list[str] = []
    errors: list[str] = []
    inaccessible: dict[str, list[str]] = {}

    def shot(page: Page, name: str) -> None:
        """A screenshot kept as an artifact, and axe's check of the same page."""
        page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)
        found = serious_violations(page, axe)
        if found:
            inaccessible[name] = found

    def new_page() -> Page:
        page = browser.new_page()
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        return page

    def sign_in(page: Page, name: str) -> None:
        page.goto(f"{console}/login")
        page.fill("#name", name)
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        expect(page.locator(".who")).to_contain_text(f"{name} ({name})")

    page = new_page()
    page.goto(f"{console}/queue")
    expect(page).to_have_url(f"{console}/login")
    shot(page, "01-sign-in")
    sign_in(page, "editor")

    # Add a link: the page's own title and description, through the guarded fetcher.
    page.click("text=Add a link")
    page.fill("#fetch-url", linked_page)
    page.click("text=Read the page's title and description")
    expect(page.locator("#title")).to_have_value("Xen Project 4.20 is out")
    expect(page.locator("#text")).to_have_value("Faster boots and a new scheduler.")
    previews = page.locator("#previews .preview")
    expect(previews).to_have_count(2)
    expect(previews.nth(1)).to_contain_text("xen-mastodon (mastodon)")
    expect(previews.nth(1)).to_contain_text("of 500 characters")
    # Editing the text updates every network's post in place (static/preview.js).
    page.fill("#text", "Faster boots, a new scheduler, and <b>more</b>.")
    expect(previews.nth(0).locator("pre")).to_contain_text("<b>more</b>")
    # An image with its alt text, sent with the form; shown on the item page and per network.
    Image.new("RGB", (160, 90), "teal").save(tmp_path / "banner.png", "PNG")
    page.set_input_files("#image1", tmp_path / "banner.png")
    page.fill("#alt1", "The Xen 4.20 banner")
    shot(page, "02-add-with-preview")
    page.click("button:has-text('Add')")
    expect(page.locator(".notice")).to_have_text("Added.")
    item_url = page.url
    expect(page.locator(".state").first).to_have_text("draft")
    thumbnail = page.locator(".thumbnails img")
    expect(thumbnail).to_have_attribute("alt", "The Xen 4.20 banner")
    assert thumbnail.evaluate("img => img.complete && img.naturalWidth") == 160  # served, CSP ok
    expect(page.locator("#previews .preview").nth(1)).to_contain_text("image 1: image/png 160×90")
    shot(page, "03-item-as-editor")

    # An editor has no Approve button, and a hand-made approval is refused.
    expect(page.locator("button:has-text('Approve')")).to_have_count(0)
    token = page.locator("input[name=csrf]").first.get_attribute("value")
    page.evaluate(
        """([action, token]) => {
            const f = document.createElement("form");
            f.method = "post"; f.action = action;
            const i = document.createElement("input");
            i.type = "hidden"; i.name = "csrf"; i.value = token;
            f.appendChild(i); document.body.appendChild(f); f.submit();
        }""",
        [item_url.split("?")[0] + "/approve", token],
    )
    expect(page.locator(".error")).to_contain_text("Your role (editor) does not allow this")
    shot(page, "04-editor-refused")

    # The approver approves it.
    page.context.clear_cookies()
    sign_in(page, "approver")
    page.goto(item_url.split("?")[0])
    page.click("button:has-text('Approve')")
    expect(page.locator(".notice")).to_have_text("Approved.")
    expect(page.locator(".state").first).to_have_text("approved")
    shot(page, "05-approved")

    # A hostile title is text, never script: add one as the approver, then list the queue.
    page.goto(
        f"{console}/add?url={linked_page}?other"
    )  # filled in, not read: a GET fetches nothing
    page.fill("#title", "<script>alert('xss')</script><img src=x onerror=alert(2)>")
    page.click("button:has-text('Add')")
    expect(page.locator("h1")).to_contain_text("<script>alert('xss')</script>")
    page.goto(f"{console}/queue")
    expect(page.locator("table.items")).to_contain_text("<script>alert('xss')</script>")
    shot(page, "06-queue")
    assert dialogs == []
    assert inaccessible == {}, inaccessible
    assert not [e for e in errors if "Content Security Policy" in e], errors


def test_the_accessibility_check_can_fail(browser: object, axe: str) -> None:
    """axe, run as the test above runs it, names a form field without a label (serious)."""
    from playwright.sync_api import Browser

    from .axe import serious_violations

    assert isinstance(browser, Browser)
    page = browser.new_page()
    page.set_content('<!doctype html><html lang="en"><title>t</title><main><input></main></html>')
    assert any(
        v.startswith("label (critical)") or v.startswith("label (serious)")
        for v in serious_violations(page, axe)
    )
