"""Coverage feeds over real HTTP into real databases: each entry with a link becomes a clip.

The feed is served by a local `FakeServer` (ETags and 304s, errors on demand) and fetched by
the real guarded fetcher; the clips land through the real `ClipStore`. Nothing of ours is
patched.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy.engine import Engine

from content_queue.coverage import ClipStore, NewClip
from tests.cli.conftest import CliHarness
from tests.conftest import FakeClock
from tests.fakes.server import Reply
from tests.storage.intake.test_feeds_ingest import OPEN, FeedSite
from xensocial.config.report import CoverageFeedConfig
from xensocial.intake.coverage import CoveragePoller, PollState

from .conftest import news_search


def poller(engine: Engine, clock: FakeClock, tmp_path: Path, **limits: object) -> CoveragePoller:
    return CoveragePoller(
        ClipStore(engine, clock),
        state=PollState(tmp_path / "coverage-feeds.json"),
        limits=replace(OPEN, **limits),  # type: ignore[arg-type]
        timezone="Europe/Amsterdam",
        clock=clock,
    )


def test_entries_become_clips_with_outlet_date_and_plain_text(
    engine: Engine, clock: FakeClock, tmp_path: Path, site: FeedSite
) -> None:
    url = site.publish("/rss", news_search())
    feed = CoverageFeedConfig("news-xen", url, timedelta(hours=6), topic="xen")
    outcome = poller(engine, clock, tmp_path).poll(feed)
    assert (outcome.status, outcome.added, outcome.duplicates, outcome.skipped) == ("ok", 3, 0, 1)
    assert outcome.describe() == "news-xen: 3 clip(s) added, 0 already known, 1 skipped"
    clips = {c.title: c for c in ClipStore(engine, clock).list_clips()}
    register = clips["Xen 4.20 brings faster boot to automotive systems - The Register"]
    # 23:30 GMT on 1 March is 2 March in Amsterdam; the outlet is the entry's own <source>.
    assert (register.published_on, register.outlet) == (date(2026, 3, 2), "The Register")
    assert register.summary == "The Xen Project released Xen 4.20 & more."
    assert (register.topic, register.source, register.created_by) == (
        "xen",
        "feed:news-xen",
        "feed:news-xen",
    )
    lwn = clips["KVM or Xen? Choosing a hypervisor for the cloud"]
    assert (lwn.published_on, lwn.outlet) == (date(2026, 2, 27), '"xen hypervisor" - News search')
    undated = clips["Docker and Xen, together at last"]
    assert (undated.published_on, undated.outlet) == (date(2026, 3, 2), "Example Blog")  # today


def test_a_second_poll_is_conditional_and_adds_nothing_twice(
    engine: Engine, clock: FakeClock, tmp_path: Path, site: FeedSite
) -> None:
    url = site.publish("/rss", news_search())
    feed = CoverageFeedConfig("news-xen", url, timedelta(hours=1), outlet="Newsdesk")
    store = ClipStore(engine, clock)
    store.add(
        NewClip(
            url="https://lwn.example/Articles/1001", published_on=date(2026, 2, 27), title="mine"
        )
    )
    first = poller(engine, clock, tmp_path).poll(feed)
    assert (first.added, first.duplicates) == (2, 1)  # the LWN article was a clip already
    assert {c.outlet for c in store.list_clips(source="feed:news-xen")} == {"Newsdesk"}
    assert store.find("https://lwn.example/Articles/1001").title == "mine"  # type: ignore[union-attr]

    # A new process (a new poller, the same state file) sends the validators: 304, no parse.
    fresh = poller(engine, clock, tmp_path)
    assert not fresh.due(feed)
    clock.advance(hours=1)
    assert fresh.due(feed)
    assert fresh.poll(feed).status == "not_modified"
    assert site.hits("/rss")[-1].headers["if-none-match"].startswith('"')
    # The feed changes: the one new entry becomes a clip, the others are known.
    site.docs["/rss"] = news_search().replace(
        b"https://blog.example/docker-xen", b"https://blog.example/new"
    )
    changed = fresh.poll(feed)
    assert (changed.added, changed.duplicates) == (1, 2)
    assert len(store.list_clips()) == 4


def test_a_failing_feed_is_one_error_and_the_others_still_poll(
    engine: Engine, clock: FakeClock, tmp_path: Path, site: FeedSite
) -> None:
    site.server.route("GET", "/broken", lambda _r: Reply(500, b"oops"))
    site.server.route(
        "GET",
        "/html",
        lambda _r: Reply(200, b"<html><body>hi</body></html>", {"Content-Type": "text/html"}),
    )
    good = CoverageFeedConfig("good", site.publish("/rss", news_search()))
    broken = CoverageFeedConfig("broken", site.url("/broken"))
    html = CoverageFeedConfig("html", site.url("/html"))
    polls = poller(engine, clock, tmp_path)
    outcomes = polls.poll_many([broken, html, good])
    assert [(o.feed, o.status) for o in outcomes] == [
        ("broken", "error"),
        ("html", "error"),
        ("good", "ok"),
    ]
    assert outcomes[0].describe() == "broken: error: HTTP 500 Internal Server Error"
    assert "not a feed" in outcomes[1].detail
    assert outcomes[2].added == 3
    state = json.loads((tmp_path / "coverage-feeds.json").read_text())
    assert state["broken"]["error"] == "HTTP 500 Internal Server Error"
    assert state["good"]["error"] is None and state["good"]["etag"]
    assert not polls.due(broken)  # a failed feed waits its interval like any other


def test_the_address_guard_applies_to_coverage_feeds(
    engine: Engine, clock: FakeClock, tmp_path: Path, site: FeedSite
) -> None:
    feed = CoverageFeedConfig("local", site.publish("/rss", news_search()))
    outcome = poller(engine, clock, tmp_path, allow_private_addresses=False).poll(feed)
    assert outcome.status == "error" and "127.0.0.1" in outcome.detail
    assert site.hits("/rss") == []  # refused before connecting
    assert ClipStore(engine, clock).list_clips() == []


def test_clips_poll_from_the_cli(make_cli: Callable[[str], CliHarness], site: FeedSite) -> None:
    site.server.route("GET", "/broken", lambda _r: Reply(503, b""))
    cli = make_cli(
        "\n[intake]\nallow_private_addresses = true\nfetch_link_details = false\n"
        f'\n[[coverage_feeds]]\nname = "news-xen"\nurl = "{site.publish("/rss", news_search())}"\n'
        'interval = "6h"\ntopic = "xen"\n'
        f'\n[[coverage_feeds]]\nname = "down"\nurl = "{site.url("/broken")}"\ninterval = "1h"\n'
    )
    before = cli.dump()
    unknown = cli.refused("clips", "poll", "nope")
    assert (
        unknown.stderr
        == "error: no coverage feed named 'nope'; the coverage feeds are: news-xen, down\n"
    )
    first = cli.run("clips", "poll")
    assert first.exit_code == 1  # one feed failed
    assert first.stdout.splitlines() == [
        "news-xen: 3 clip(s) added, 0 already known, 1 skipped",
        "down: error: HTTP 503 Service Unavailable",
    ]
    assert cli.dump() != before
    assert (
        cli.ok("clips", "poll").stdout
        == "No coverage feed is due (use --now to poll them anyway).\n"
    )
    assert (
        cli.ok("clips", "poll", "news-xen").stdout
        == "news-xen: not due yet (use --now to poll it anyway).\n"
    )
    assert cli.ok("clips", "poll", "news-xen", "--now").stdout == "news-xen: not modified\n"
    cli.clock.advance(hours=1)
    assert cli.run("clips", "poll").stdout == "down: error: HTTP 503 Service Unavailable\n"
    listed = cli.json("clips", "list", "--source", "feed:news-xen")
    assert [(c["date"], c["competitors"], c["themes"]) for c in listed] == [
        ("2026-03-02", ["xen", "docker"], []),
        ("2026-03-02", ["xen"], ["mobile"]),
        ("2026-02-27", ["xen", "kvm"], ["cloud"]),
    ]


def test_a_damaged_state_file_makes_every_feed_due_again(
    engine: Engine, clock: FakeClock, tmp_path: Path, site: FeedSite
) -> None:
    feed = CoverageFeedConfig("news-xen", site.publish("/rss", news_search()))
    state = tmp_path / "coverage-feeds.json"
    polls = poller(engine, clock, tmp_path)
    for damage in (
        "{not json",
        json.dumps({"news-xen": {"url": feed.url, "attempted_at": "yesterday"}}),
    ):
        state.write_text(damage)
        assert polls.due(feed)
    assert polls.poll(feed).added == 3
    assert json.loads(state.read_text())["news-xen"]["attempted_at"] == clock().isoformat()
    assert not polls.due(feed)
    moved = CoverageFeedConfig("news-xen", site.publish("/rss2", news_search()))
    assert polls.due(moved)  # another URL: another feed, polled at once and unconditionally
    assert polls.poll(moved).status == "ok"
    assert "if-none-match" not in site.hits("/rss2")[0].headers
