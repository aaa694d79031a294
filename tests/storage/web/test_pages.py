"""The console's calendar, channels and reports pages, in process on a real database.

The calendar shows the forecast at the item's slot (the `schedule` forecast, `build_calendar`)
and changes when an approver pauses the channel; titles and reasons are escaped; a viewer reads
every page and the month's report at its stable address, but cannot pause.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from starlette.testclient import TestClient

from content_queue import make_engine
from content_queue.audit import AuditLog
from content_queue.db import SQLITE_READER_MMAP
from content_queue.queue import ContentQueue
from content_queue.views import NewItem
from tests.conftest import FakeClock

from .conftest import csrf_of

Login = Callable[[str], TestClient]
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _approved(engine: Engine, clock: FakeClock, title: str) -> int:
    queue = ContentQueue(engine, clock=clock)
    new = NewItem(url="https://example.org/summit", channels=["news"], title=title)
    return queue.add(new).id


def _news_row(html: str, item_id: int) -> str:
    """The calendar row of channel news that names item `item_id`."""
    for row in html.split("<tr ")[1:]:
        if 'data-channel="news"' in row and f'data-item="{item_id}"' in row:
            return row
    raise AssertionError(f"no calendar row of news with item {item_id}")


def test_calendar_shows_the_item_at_its_slot_and_the_pause(
    signed_in: Login, engine: Engine, clock: FakeClock
) -> None:
    item_id = _approved(engine, clock, HOSTILE)
    viewer = signed_in("viewer")
    page = viewer.get("/calendar")
    assert page.status_code == 200
    row = _news_row(page.text, item_id)
    assert "planned" in row and "09:30" in row
    assert "<script>" not in page.text and "&lt;script&gt;" in page.text
    month = viewer.get("/calendar", params={"view": "month", "channel": "news"})
    assert month.status_code == 200 and 'data-channel="toots"' not in month.text
    unknown = viewer.get("/calendar", params={"channel": "<b>nope</b>"})
    assert unknown.status_code == 400 and "(channels: news, toots)" in unknown.text
    assert "<b>nope</b>" not in unknown.text
    assert "in the configuration (channels" in unknown.text  # the CLI's words, not its path
    assert ".toml" not in unknown.text
    assert viewer.get("/calendar", params={"at": "tomorrow"}).status_code == 400
    # A viewer cannot pause; an approver can, with a reason; the calendar holds the slot.
    channels = viewer.get("/channels")
    assert channels.status_code == 200 and "Pause news" not in channels.text
    refused = viewer.post("/channels/news/pause", data={"csrf": csrf_of(channels.text)})
    assert refused.status_code == 403
    approver = signed_in("approver")
    form = approver.get("/channels")
    assert (
        approver.post("/channels/news/pause", data={"reason": "board meeting"}).status_code == 403
    )
    done = approver.post(
        "/channels/news/pause",
        data={"csrf": csrf_of(form.text), "reason": "board <i>meeting</i>"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    listing = approver.get("/channels").text
    assert "paused (board &lt;i&gt;meeting&lt;/i&gt;)" in listing and "by approver" in listing
    held = approver.get("/calendar").text
    assert f'data-item="{item_id}"' not in held or "planned" not in _news_row(held, item_id)
    assert "board &lt;i&gt;meeting&lt;/i&gt;" in held
    actions = [(e.actor, e.action) for e in AuditLog(engine).entries(limit=10)]
    assert ("approver", "pause") in actions
    approver.post("/channels/news/resume", data={"csrf": csrf_of(listing)})
    assert "planned" in _news_row(approver.get("/calendar").text, item_id)


def test_the_months_report_at_its_stable_address_for_a_viewer(
    signed_in: Login, clock: FakeClock
) -> None:
    viewer = signed_in("viewer")
    index = viewer.get("/reports")
    month = (clock() - timedelta(days=31)).strftime("%Y-%m")
    assert f"/reports/month/{month}" in index.text
    page = viewer.get(f"/reports/month/{month}")
    assert page.status_code == 200 and "<iframe" in page.text
    html = viewer.get(f"/reports/month/{month}/report.html")
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    policy = html.headers["content-security-policy"]
    assert "sandbox" in policy and "script-src" not in policy and "default-src 'none'" in policy
    assert "<script" not in html.text.lower()
    data = json.loads(viewer.get(f"/reports/month/{month}/report.json").text)
    assert data
    csv = viewer.get(f"/reports/month/{month}/report.csv?download=1")
    assert "attachment" in csv.headers["content-disposition"]
    assert csv.text.startswith("section,")
    pdf = viewer.get(f"/reports/month/{month}/report.pdf")
    assert pdf.content.startswith(b"%PDF")
    bad = viewer.get("/reports/month/2026-13")
    assert bad.status_code == 400 and "expected YYYY-MM" in bad.text
    assert viewer.get(f"/reports/month/{month}/report.exe").status_code == 404


def test_feed_names_urls_and_errors_are_escaped(
    signed_in: Login, engine: Engine, clock: FakeClock
) -> None:
    from content_queue.sources import FeedSpec, FeedStore

    store = FeedStore(engine, clock)
    feed = store.add(FeedSpec(name="xen-blog", url="https://example.org/feed?a=1&b=<script>"))
    store.record_failure(feed.id, f"HTTP 500: {HOSTILE}", next_poll_at=clock() + timedelta(hours=1))
    page = signed_in("viewer").get("/channels")
    assert page.status_code == 200
    assert "<script>" not in page.text and "<img" not in page.text
    assert "&lt;script&gt;" in page.text and "error x1" in page.text


def test_verify_a_channel_as_channels_verify_does(signed_in: Login) -> None:
    approver = signed_in("approver")
    page = approver.get("/channels")
    ok = approver.post("/channels/news/verify", data={"csrf": csrf_of(page.text)})
    assert ok.status_code == 200 and "news (outbox): OK, posting as" in ok.text
    # The mastodon channel's secret is not set: the CLI's words, never a value.
    missing = approver.post("/channels/toots/verify", data={"csrf": csrf_of(page.text)})
    assert missing.status_code == 400 and "XENSOCIAL_TEST_TOKEN_NEVER_SHOWN" in missing.text
    viewer = signed_in("viewer")
    form = viewer.get("/channels")
    assert "Verify news" not in form.text
    assert (
        viewer.post("/channels/news/verify", data={"csrf": csrf_of(form.text)}).status_code == 403
    )


def test_an_items_page_lists_its_images_per_network_as_preview_does(
    signed_in: Login, engine: Engine, clock: FakeClock
) -> None:
    from content_queue.views import ItemImage

    image = ItemImage("a" * 64, "image/png", 640, 480, 12_000, "The <b>summit</b> stage")
    queue = ContentQueue(engine, clock=clock)
    new = NewItem(
        url="https://example.org/pic", channels=["news", "toots"], title="Pic", images=(image,)
    )
    item_id = queue.add(new).id
    page = signed_in("viewer").get(f"/items/{item_id}")
    assert page.status_code == 200
    # The line `xensocial preview` prints (`media.describe`), per network.
    assert page.text.count("image 1: image/png 640×480, 12,000 bytes, media/aa/") >= 3
    assert "<b>summit</b>" not in page.text


def test_the_console_reads_a_sqlite_file_through_a_memory_map(
    client: TestClient, engine: Engine
) -> None:
    """The console's connections map the file (`map_for_reads`, its calendar reads thousands
    of rows); an engine the console is not given keeps SQLite's default, as the daemon's."""
    if engine.dialect.name != "sqlite":
        pytest.skip("a SQLite setting")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA mmap_size").scalar() == SQLITE_READER_MMAP
    plain = make_engine(engine.url.render_as_string(hide_password=False))
    try:
        with plain.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA mmap_size").scalar() == 0
    finally:
        plain.dispose()
