"""What was posted is recorded, and is what everything reports (issue 14).

An item goes out on two channels through the real publisher and the outbox adapter; then staff
edit it. The report, `export csv --what posts`, `export atom`, `queue show` and the audit log
must go on showing what the outbox holds (the posts as they went out), never the edited words.
A new link on an item already out is refused; a link ever posted stays a duplicate.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import feedparser
from sqlalchemy import text

from content_queue import AlreadyOut, Ledger
from content_queue.fastwrite import writer_for
from content_queue.views import NewItem, Posted
from tests.choosing import claim
from xensocial.migrate import head_revision

from .conftest import Desk, later

URL = "https://example.org/release"


def _add(desk: Desk, *args: str) -> int:
    return int(desk.json("queue", "add", *args)["id"])


def _report(desk: Desk) -> dict[str, Any]:
    report: dict[str, Any] = json.loads(
        desk.ok("report", "monthly", "--month", "2026-03", "--format", "json").stdout
    )
    return report


def _csv_posts(desk: Desk) -> dict[str, dict[str, str]]:
    rows = csv.DictReader(io.StringIO(desk.ok("export", "csv", "--what", "posts").stdout))
    return {row["channel"]: row for row in rows}


def _atom(desk: Desk) -> dict[str, Any]:
    feed = feedparser.parse(desk.ok("export", "atom").stdout)
    return {entry.tags[0].term: entry for entry in feed.entries}


def _exports(desk: Desk) -> tuple[str, ...]:
    """The month's report (JSON, but for when it was made), the CSV of posts, the Atom feed."""
    report = _report(desk)
    del report["generated_at"]
    return (
        json.dumps(report, sort_keys=True),
        desk.ok("export", "csv", "--what", "posts").stdout,
        desk.ok("export", "atom").stdout,
    )


def _what_everything_shows(desk: Desk, channel: str) -> dict[str, tuple[str, str, str]]:
    """(title, url, text) of the item's post on `channel` in each output."""
    row = _csv_posts(desk)[channel]
    entry = _atom(desk)[channel]
    shown = desk.ok("queue", "show", "1").stdout
    block = shown[shown.find(f"Posted on {channel}") :].split("\n\n")[0].splitlines()
    lines = {line[2:8].strip(): line[9:] for line in block[1:] if line[2:8].strip()}
    item = desk.json("queue", "show", "1")
    [posted] = [d.get("posted") or {} for d in item["deliveries"] if d["channel"] == channel]
    return {
        "export csv": (row["title"], row["url"], row.get("text") or ""),
        "export atom": (entry.title, entry.link, entry.content[0].value),
        "queue show": (lines.get("Title:"), lines.get("Link:"), lines.get("Text:") or ""),
        "queue show --json": (posted.get("title"), posted.get("url"), posted.get("text") or ""),
    }


def test_an_edit_after_publishing_changes_no_record(desk: Desk) -> None:
    _add(desk, URL, "--title", "Original title", "--text", "Original words",
         "--category", "announcement", "--tag", "xen")  # fmt: skip
    assert desk.post("demo").outcome == desk.post("fast").outcome == "published"
    [demo], [fast] = desk.outbox("demo"), desk.outbox("fast")
    assert demo["url"] == URL + "?utm_source=demo" and fast["url"] == URL
    assert "Original words" in demo["text"]

    before = _exports(desk)
    later(desk.clock)
    edited = desk.ok("queue", "edit", "1", "--title", "Rewritten title", "--text", "Rewritten")
    assert desk.json("queue", "show", "1")["title"] == "Rewritten title"  # the item changed
    desk.ok("queue", "edit", "1", "--category", "event", "--tag", "other", "--priority", "3")
    assert _exports(desk) == before  # the month's report and exports, byte for byte

    for channel, line in (("demo", demo), ("fast", fast)):
        expected = (line["title"], line["url"], line["text"].partition("\n")[0])
        for output, (title, url, said) in _what_everything_shows(desk, channel).items():
            assert (title, url, said.partition("\n")[0]) == expected, output
    assert _atom(desk)["demo"].content[0].value == demo["text"]
    assert _csv_posts(desk)["fast"]["text"] == fast["text"]

    report = _report(desk)
    assert [(r["title"], r["url"]) for r in report["programme"]["press_releases"]] == [
        ("Original title", demo["url"])  # the first post of the announcement
    ]
    themes = {t["theme"]: t["posts"] for t in report["themes"]["rows"]}
    assert themes == {"first": 2, "second": 0}
    assert [(c["category"], c["posts"]) for c in report["posts"]["by_category"]] == [
        ("announcement", 2)
    ]
    published = [
        e["detail"]
        for e in desk.json("log", "--item", "1")
        if e["action"] == "publish" and e["channel"] == "demo"
    ]
    said = " ".join(demo["text"].split())
    assert published == [f"published: file://{desk.data}/outbox-demo.jsonl#{demo['key']}; "
                         f"posted: {said!r}"]  # fmt: skip
    assert edited.stdout.splitlines()[1] == (
        "It is out on every channel (demo, fast): those posts keep what they said."
    )


def test_a_partly_published_item(desk: Desk) -> None:
    _add(desk, URL, "--title", "Original title")
    desk.post("demo")
    edited = desk.ok("queue", "edit", "1", "--title", "Rewritten title").stdout
    refused = desk.refused("queue", "edit", "1", "--url", "https://example.org/elsewhere")
    assert refused.stderr == (
        "error: item 1 is already out on demo, with its link; the link cannot change. To post "
        "the new one, add it as an item of its own: xensocial queue add "
        "https://example.org/elsewhere\n"
    )
    desk.post("fast")
    assert [p["title"] for p in desk.outbox("demo") + desk.outbox("fast")] == [
        "Original title",
        "Rewritten title",
    ]
    rows = _csv_posts(desk)
    assert (rows["demo"]["title"], rows["fast"]["title"]) == ("Original title", "Rewritten title")
    assert {t["theme"]: t["posts"] for t in _report(desk)["themes"]["rows"]} == {
        "first": 1,
        "second": 1,
    }
    # The original link went out: adding it again is refused, however it is written.
    dup = desk.refused("queue", "add", "https://EXAMPLE.org/release/?utm_source=mail")
    assert "already in the queue as item 1" in dup.stderr
    assert edited.splitlines()[1] == (
        "This applies to fast (not posted yet), not to demo: posts already out keep what they said."
    )


def test_a_refused_edit_url_changes_nothing_and_a_new_item_is_the_way(desk: Desk) -> None:
    _add(desk, URL, "--title", "Original title", "--channel", "demo")
    desk.post("demo")
    before = desk.json("queue", "show", "1")
    later(desk.clock)
    desk.refused("queue", "edit", "1", "--url", "https://example.org/new", "--title", "New")
    assert desk.json("queue", "show", "1") == before
    assert _add(desk, "https://example.org/new", "--title", "New", "--channel", "demo") == 2


def test_a_url_ever_posted_stays_a_duplicate(desk: Desk) -> None:
    """The link a delivery recorded as posted is looked up, not only the items' URLs: both ways
    of adding (the queue API and the SQLAlchemy-free `queue add`) refuse it."""
    queue = desk.queue()
    item = queue.add(NewItem(url="https://example.org/page", channels=["demo"], title="Page"))
    ledger = Ledger(desk.engine, desk.clock)
    [delivery] = item.deliveries
    assert (
        claim(
            ledger, delivery.id, "me", desk.clock() + later_by(5), channel="demo", now=desk.clock()
        )
        is not None
    )
    # The network was sent another form of the link than the item now holds (a shortener, a
    # rewrite): what went out is what counts.
    posted = Posted("Page", "Page https://example.org/posted?ref=1", "https://example.org/posted")
    assert ledger.mark_published(
        delivery.id, remote_id="r1", remote_url=None, published_at=desk.clock(), posted=posted
    )
    queue.cancel(item.id)  # no longer live, but it went out
    found = queue.find_duplicate("https://example.org/posted/#top")
    assert found is not None and found.id == item.id
    writer = writer_for(str(desk.engine.url.render_as_string(hide_password=False)), head_revision())
    assert writer is not None
    try:
        fast = writer.find_duplicate("https://EXAMPLE.org/posted")
        assert fast is not None and fast.id == item.id
        assert writer.find_duplicate("https://example.org/never-posted") is None
    finally:
        writer.close()
    refused = desk.refused("queue", "add", "https://example.org/posted", "--title", "Again")
    assert f"item {item.id}" in refused.stderr
    # A link edited away before anything went out was never posted: it is free again.
    other = queue.add(NewItem(url="https://example.org/draft-link", channels=["fast"]))
    queue.edit_item(other.id, {"url": "https://example.org/final-link"})
    assert queue.find_duplicate("https://example.org/draft-link") is None


def test_post_fields_cannot_change_while_a_post_may_be_going_out(desk: Desk) -> None:
    queue = desk.queue()
    item = queue.add(NewItem(url=URL, channels=["demo", "fast"], title="T"))
    ledger = Ledger(desk.engine, desk.clock)
    demo = item.delivery("demo")
    assert demo is not None
    assert (
        claim(ledger, demo.id, "me", desk.clock() + later_by(5), channel="demo", now=desk.clock())
        is not None
    )
    for changes in ({"title": "Other"}, {"text": "x"}, {"tags": ["y"]}, {"category": "event"}):
        try:
            queue.edit_item(item.id, changes)
        except AlreadyOut as exc:
            assert "may be out on demo (publishing) right now" in str(exc)
        else:
            raise AssertionError(f"{changes} was accepted while demo is publishing")
    assert queue.get(item.id).title == "T"
    assert queue.edit_item(item.id, {"priority": 4}).item.priority == 4  # the order is not the post
    assert ledger.mark_unknown(demo.id, "lost answer")
    refused = desk.refused("queue", "edit", str(item.id), "--title", "Other")
    assert "demo (unknown)" in refused.stderr and "queue show 1" in refused.stderr


def test_migration_0008_fills_the_record_of_earlier_posts(desk: Desk) -> None:
    """A post published before 0008 gets its item's fields at migration time as its record."""
    from alembic import command

    from xensocial.migrate import _config, upgrade

    queue = desk.queue()
    item = queue.add(NewItem(url=URL, channels=["demo", "fast"], title="Old", text="Words"))
    demo = item.delivery("demo")
    assert demo is not None
    command.downgrade(_config(desk.engine), "0007")  # type: ignore[arg-type]
    with desk.engine.begin() as conn:  # published under 0007: no record of what went out
        conn.execute(
            text("UPDATE deliveries SET state = 'published', published_at = updated_at "
                 "WHERE id = :id"), {"id": demo.id},
        )  # fmt: skip
        assert conn.execute(text("SELECT count(*) FROM deliveries")).scalar() == 2
    assert upgrade(desk.engine) == ("0007", head_revision())
    shown = queue.get(item.id)
    assert shown.delivery("demo").posted == Posted("Old", "Words", URL)  # type: ignore[union-attr]
    assert shown.delivery("fast").posted is None  # type: ignore[union-attr]
    assert queue.find_duplicate(URL) is not None


def later_by(minutes: int) -> Any:
    from datetime import timedelta

    return timedelta(minutes=minutes)
