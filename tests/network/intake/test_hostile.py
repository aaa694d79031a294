"""Hostile and broken input: each case ends in bounded time and memory with a clear error.

Network cases go through the real fetcher to a real local server: a 1 GB response, a gzip bomb,
a server that sends one byte at a time forever (in the body, and in the headers, below httpx),
redirect loops. Document cases go through the real parser: malformed XML, wrong or missing
encodings, entity expansion (billion laughs, quadratic blow-up, external entities: refused
whole, never expanded), entries without links or dates, duplicate guids. Last, all of them at once in one polling round, next
to a good feed that must not be delayed, with one log line each.
"""

from __future__ import annotations

import gzip
import socket
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog

from content_queue.db import make_engine
from content_queue.sources import FeedSpec, FeedStore
from tests.conftest import FakeClock
from tests.fakes.server import FakeServer, Reply
from xensocial.intake.entries import FeedParseError, parse_feed
from xensocial.intake.fetch import FetchError, FetchLimits, fetch
from xensocial.intake.poller import FeedPoller
from xensocial.migrate import upgrade

MB = 1024 * 1024
CAP = 2 * MB
LIMITS = FetchLimits(
    allow_private_addresses=True, max_bytes=CAP, connect_timeout=2, read_timeout=3, deadline=2
)
GOOD_RSS = b"""<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>
<title>Good</title><item><title>Fine post</title><link>https://good.example.org/1</link>
<guid>g-1</guid><pubDate>Mon, 02 Mar 2026 08:00:00 +0000</pubDate></item></channel></rss>"""


def bounded(run: Callable[[], Any], *, seconds: float, megabytes: float) -> Any:
    """Run `run`, asserting it took at most `seconds` and allocated at most `megabytes` at
    its peak (Python allocations, both threads: the fake server's buffers count too)."""
    tracemalloc.start()
    started = time.monotonic()
    try:
        return run()
    finally:
        elapsed = time.monotonic() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert elapsed < seconds, f"took {elapsed:.1f} s"
        assert peak < megabytes * MB, f"peak {peak / MB:.1f} MB"


def raises_fetch_error(url: str, limits: FetchLimits = LIMITS) -> FetchError:
    with pytest.raises(FetchError) as info:
        fetch(url, limits=limits)
    return info.value


class Trickle:
    """A body (or headers) sent one byte at a time, forever, until stopped."""

    def __init__(self, interval: float = 0.1) -> None:
        self.interval = interval
        self.stop = threading.Event()
        self.sent = 0

    def __iter__(self) -> Iterator[bytes]:
        while not self.stop.wait(self.interval):
            self.sent += 1
            yield b"x"


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with FakeServer() as s:
        yield s


# -- the network ---------------------------------------------------------------------------


def test_a_1_gb_response_is_cut_at_the_cap(server: FakeServer) -> None:
    sent = [0]

    def gigabyte() -> Iterator[bytes]:
        chunk = b"<" * MB
        for _ in range(1024):
            sent[0] += 1
            yield chunk

    server.route("GET", "/huge", lambda r: Reply(200, gigabyte(), {"Content-Type": "text/xml"}))
    error = bounded(lambda: raises_fetch_error(f"{server.url}/huge"), seconds=5, megabytes=12)
    assert error.reason.startswith(f"response larger than the limit of {CAP} bytes")
    assert sent[0] < 64  # the server was stopped by the closed connection, not by the end


def test_a_1_gb_content_length_is_refused_unread(server: FakeServer) -> None:
    def announced() -> Iterator[bytes]:
        yield b"<" * MB  # the rest never comes: the header alone must be enough to refuse

    server.route(
        "GET", "/big", lambda r: Reply(200, announced(), {"Content-Length": str(1024 * MB)})
    )
    error = bounded(lambda: raises_fetch_error(f"{server.url}/big"), seconds=3, megabytes=8)
    assert error.reason == f"response too large: {1024 * MB} bytes announced, the limit is {CAP}"


@pytest.fixture(scope="module")
def gzip_bomb() -> bytes:
    # 1 GB of zeros as 1024 gzip members of 1 MB each (a valid gzip body: RFC 1952 allows
    # members back to back), about 1 MB on the wire; built in milliseconds.
    member = gzip.compress(bytes(MB), compresslevel=9)
    return member * 1024


def test_a_gzip_bomb_stops_at_the_cap(server: FakeServer, gzip_bomb: bytes) -> None:
    assert len(gzip_bomb) < 2 * MB
    server.route("GET", "/bomb", lambda r: Reply(200, gzip_bomb, {"Content-Encoding": "gzip"}))
    error = bounded(lambda: raises_fetch_error(f"{server.url}/bomb"), seconds=5, megabytes=12)
    assert error.reason.startswith(f"decompressed response larger than the limit of {CAP}")


def test_a_single_stream_gzip_bomb_stops_at_the_cap(server: FakeServer) -> None:
    # One deflate stream (no members to count): inflation itself must be bounded per step.
    bomb = gzip.compress(bytes(64 * MB), compresslevel=9)  # ~64 KB on the wire
    server.route("GET", "/bomb", lambda r: Reply(200, bomb, {"Content-Encoding": "gzip"}))
    error = bounded(lambda: raises_fetch_error(f"{server.url}/bomb"), seconds=5, megabytes=12)
    assert "larger than the limit" in error.reason


def test_one_byte_at_a_time_forever_ends_at_the_deadline(server: FakeServer) -> None:
    trickle = Trickle(0.1)  # each byte well within the read timeout: only the deadline helps
    server.route("GET", "/slow", lambda r: Reply(200, iter(trickle)))
    try:
        error = bounded(lambda: raises_fetch_error(f"{server.url}/slow"), seconds=4, megabytes=8)
    finally:
        trickle.stop.set()
    assert error.reason == "gave up: no complete answer within the 2 s deadline"
    assert trickle.sent >= 5  # it really was trickling when the deadline cut it


def test_headers_one_byte_at_a_time_end_at_the_deadline() -> None:
    # Below httpx: the status line and headers themselves trickle, so no response object
    # exists yet to check a deadline on. The socket reads must carry the deadline.
    stop = threading.Event()
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 10_000:
                if stop.wait(0.1):
                    return
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    return

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        error = bounded(
            lambda: raises_fetch_error(f"http://127.0.0.1:{port}/"), seconds=4, megabytes=8
        )
    finally:
        stop.set()
        listener.close()
        thread.join(timeout=2)
    assert error.reason == "gave up: no complete answer within the 2 s deadline"


def test_redirect_loops_end_with_a_clear_error(server: FakeServer) -> None:
    server.route("GET", "/a", lambda r: Reply(302, None, {"Location": "/b"}))
    server.route("GET", "/b", lambda r: Reply(301, None, {"Location": f"{server.url}/a"}))
    error = bounded(lambda: raises_fetch_error(f"{server.url}/a"), seconds=3, megabytes=8)
    assert error.reason == f"redirect loop: {server.url}/b leads back to {server.url}/a"
    assert len(server.log) == 2


# -- the document --------------------------------------------------------------------------


def _laughs(depth: int = 10, width: int = 10) -> bytes:
    lines = ['<?xml version="1.0"?>', "<!DOCTYPE rss [", '<!ENTITY lol0 "lol">']
    for i in range(1, depth):
        lines.append(f'<!ENTITY lol{i} "' + f"&lol{i - 1};" * width + '">')
    lines.append("]>")
    lines.append(
        '<rss version="2.0"><channel><title>Laughs</title><item>'
        f"<title>&lol{depth - 1};</title><link>https://e.org/1</link></item></channel></rss>"
    )
    return "\n".join(lines).encode()


def _parse(body: bytes) -> Any:
    return parse_feed(body, url="https://feeds.example.org/feed.xml")


def _refused(body: bytes, *, seconds: float = 5, megabytes: float = 64) -> str:
    """The reason `body` is refused whole, within bounded time and memory."""

    def run() -> str:
        with pytest.raises(FeedParseError) as info:
            _parse(body)
        return str(info.value)

    reason: str = bounded(run, seconds=seconds, megabytes=megabytes)
    return reason


def test_billion_laughs_is_refused_unexpanded() -> None:
    # 10^9 "lol"s if expanded (3 GB): never built, and no entry made of the reference either.
    assert _refused(_laughs()) == (
        "refused: the document declares its own entities ('lol0' in its DOCTYPE), the shape "
        "of an entity-expansion attack; no real feed needs them"
    )


def test_quadratic_blowup_is_refused_unexpanded() -> None:
    # One entity of 50 KB referenced 20,000 times: 1 GB if expanded, no nesting to detect.
    doc = (
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "'
        + b"x" * 50_000
        + b'">]><rss version="2.0"><channel><title>Q</title><item><title>'
        + b"&a;" * 20_000
        + b"</title><link>https://e.org/q</link></item></channel></rss>"
    )
    assert "declares its own entities ('a'" in _refused(doc, seconds=10, megabytes=128)


def test_external_entities_are_refused_unread(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE", encoding="utf-8")
    doc = (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}">]>'
        '<rss version="2.0"><channel><title>X</title><item><title>a &xxe; b</title>'
        "<link>https://e.org/x</link><description>&xxe;</description></item></channel></rss>"
    ).encode()
    reason = _refused(doc)
    assert "declares its own entities ('xxe'" in reason and "TOP-SECRET" not in reason


@pytest.mark.parametrize(
    "doc",
    [
        # A parameter entity; a prolog expat cannot read (an unknown encoding); UTF-16.
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY % p "x">]><rss version="2.0"/>',
        b"<?xml version='1.0' encoding='no-such-charset'?><!DOCTYPE rss [<!ENTITY b 'x'>]>"
        b"<rss version='2.0'><channel><item><title>&b;</title></item></channel></rss>",
        '<?xml version="1.0" encoding="utf-16"?><!DOCTYPE rss [<!ENTITY c "x">]>'
        '<rss version="2.0"><channel><item><title>&c;</title></item></channel></rss>'.encode(
            "utf-16"
        ),
    ],
    ids=["parameter", "unknown-encoding", "utf-16"],
)
def test_entity_declarations_are_found_in_any_prolog(doc: bytes) -> None:
    assert "declares its own entities" in _refused(doc)


@pytest.mark.parametrize(
    ("title", "left"),
    [
        (b"&lol9;", "an unexpanded entity reference: '&lol9;'"),  # undefined, no DOCTYPE
        (b"Release &amp;x-y.z; notes", "an unexpanded entity reference: '&x-y.z; notes'"),
        (b"&amp;lt;script&amp;gt;alert(1)", "markup: '<script>alert(1)'"),
    ],
    ids=["undefined", "escaped", "double-escaped-tag"],
)
def test_a_title_that_is_not_plain_text_refuses_the_feed(title: bytes, left: str) -> None:
    doc = (
        b'<rss version="2.0"><channel><title>T</title>'
        b"<item><title>Fine</title><link>https://e.org/1</link></item>"
        b"<item><title>" + title + b"</title><link>https://e.org/2</link></item></channel></rss>"
    )
    assert _refused(doc) == (
        f"refused: the title of entry 2 is not plain text ({left}); nothing was queued from "
        "this feed"
    )


def test_what_real_feeds_hold_is_still_plain_text() -> None:
    # An RSS 0.91 DOCTYPE (external, no declarations) with HTML's entities in a title; a post
    # about entity declarations, in CDATA; escaped characters and a lone ampersand.
    doc = b"""<?xml version="1.0"?>
<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN"
  "http://my.netscape.com/publish/formats/rss-0.91.dtd">
<rss version="0.91"><channel><title>News</title>
<item><title>Caf&amp;eacute; &amp; &lt;tags&gt; AT&amp;T: 5 &lt; 6</title><link>https://e.org/1</link>
<description><![CDATA[Never write <!DOCTYPE x [<!ENTITY lol "lol">]> in a feed]]></description>
</item></channel></rss>"""
    [entry] = _parse(doc).entries
    assert entry.title == "Caf\u00e9 & AT&T: 5 < 6"
    assert "<!ENTITY" in entry.text


@pytest.mark.parametrize(
    "body",
    [
        b"<rss version='2.0'><channel><title>Cut",
        b"<rss><channel><item><title>a</item></title></channel>",
        b"\x00\x01\x02 not xml at all \xff\xfe",
        b"",
        b"<html><body><p>A web page, not a feed</p></body></html>",
        b"<?xml version='1.0'?><rss version='2.0'><channel>" + b"<item>" * 2_000,
    ],
    ids=["truncated", "misnested", "binary", "empty", "html", "unclosed"],
)
def test_malformed_documents_end_in_a_clear_error_or_a_flagged_parse(body: bytes) -> None:
    def run() -> Any:
        try:
            return _parse(body)
        except FeedParseError as exc:
            return exc

    outcome = bounded(run, seconds=10, megabytes=128)
    if isinstance(outcome, FeedParseError):
        assert str(outcome).startswith("not a")  # "not a feed ..." / "not a readable feed ..."
    else:
        assert outcome.problem or outcome.entries  # read anyway, and says what was wrong


@pytest.mark.parametrize(
    "tags",
    [
        b"<x/>",  # 10 MB of tags: 2.6 million, minutes of feedparser's time
        b"<item>",  # unclosed, nested ever deeper
        b"&lt;b&gt;",  # escaped HTML, which the sanitizer would parse tag by tag
    ],
    ids=["flat", "nested", "escaped"],
)
def test_a_tag_bomb_within_the_size_cap_is_refused_unparsed(tags: bytes) -> None:
    head = b"<?xml version='1.0'?><rss version='2.0'><channel><item><description>"
    body = head + tags * ((10 * MB - len(head)) // len(tags))
    assert len(body) <= 10 * MB  # the fetcher's default cap lets it through

    def run() -> None:
        with pytest.raises(FeedParseError, match=r"^refused: more than 100000 tags"):
            _parse(body)

    bounded(run, seconds=2, megabytes=64)


RSS_TEMPLATE = (
    "<?xml version='1.0'{decl}?><rss version='2.0'><channel><title>Enc</title>"
    "<item><title>{title}</title><link>https://e.org/enc</link></item></channel></rss>"
)


@pytest.mark.parametrize(
    ("decl", "encoding", "expected"),
    [
        (" encoding='utf-8'", "latin-1", "Caf"),  # lies: latin-1 bytes declared as UTF-8
        ("", "windows-1252", "Caf"),  # no declaration, not UTF-8
        (" encoding='iso-8859-1'", "iso-8859-1", "Café"),  # declared and true
        (" encoding='no-such-charset'", "utf-8", "Caf"),  # an unknown name
    ],
    ids=["declared-wrong", "missing", "declared-right", "unknown"],
)
def test_wrong_or_missing_encodings_still_give_text(
    decl: str, encoding: str, expected: str
) -> None:
    body = RSS_TEMPLATE.format(decl=decl, title="Café").encode(encoding)
    parsed = bounded(lambda: _parse(body), seconds=5, megabytes=32)
    assert len(parsed.entries) == 1
    assert parsed.entries[0].title.startswith(expected)


def test_entries_without_links_or_dates_get_stable_keys() -> None:
    doc = b"""<rss version="2.0"><channel><title>Bare</title>
    <item><title>Only a title</title></item>
    <item><description>Only words</description></item>
    <item><title>With a guid</title><guid isPermaLink="false">abc-1</guid></item>
    </channel></rss>"""
    first, second = _parse(doc), _parse(doc)
    assert [e.key for e in first.entries] == [e.key for e in second.entries]
    assert len({e.key for e in first.entries}) == 3
    assert {e.url for e in first.entries} == {None}


def test_duplicate_guids_are_one_entry() -> None:
    doc = b"""<rss version="2.0"><channel><title>Dup</title>
    <item><title>First copy</title><guid>same</guid><link>https://e.org/1</link></item>
    <item><title>Second copy</title><guid>same</guid><link>https://e.org/2</link></item>
    </channel></rss>"""
    parsed = _parse(doc)
    assert [e.title for e in parsed.entries] == ["First copy"]


# -- all at once, as the daemon polls ------------------------------------------------------


def test_a_round_of_hostile_feeds_never_delays_the_good_one(
    server: FakeServer, gzip_bomb: bytes, tmp_path: Path, clock: FakeClock
) -> None:
    trickle = Trickle(0.1)
    routes: dict[str, Reply] = {
        "/good": Reply(200, GOOD_RSS, {"Content-Type": "application/rss+xml"}),
        "/bomb": Reply(200, gzip_bomb, {"Content-Encoding": "gzip"}),
        "/slow": Reply(200, iter(trickle)),
        "/laughs": Reply(200, _laughs()),
        "/garbage": Reply(200, b"\x00\xff not a feed"),
        "/loop": Reply(302, None, {"Location": "/loop"}),
        "/broken": Reply(500, b"oops"),
    }
    for path, reply in routes.items():
        server.route("GET", path, lambda r, reply=reply: reply)
    engine = make_engine(f"sqlite:///{tmp_path / 'queue.db'}")
    upgrade(engine)
    store = FeedStore(engine, clock=clock)
    for path in routes:
        store.add(FeedSpec(name=path.strip("/"), url=f"{server.url}{path}", auto_approve=True))
    # A longer deadline than the other tests: the good feed must finish far inside it, even on
    # a loaded machine, for "not delayed" to mean something.
    limits = FetchLimits(allow_private_addresses=True, max_bytes=CAP, read_timeout=5, deadline=4)
    poller = FeedPoller(store, channels=["demo"], limits=limits, clock=clock)
    finished: dict[str, float] = {}
    started = time.monotonic()
    try:
        with structlog.testing.capture_logs() as logs:
            outcomes = poller.poll_many(
                sorted(store.list_feeds(), key=lambda f: f.name != "good"),  # good first
                workers=len(routes),
                on_done=lambda o: finished.setdefault(o.feed, time.monotonic() - started),
            )
    finally:
        trickle.stop.set()
        engine.dispose()
    by_name = {o.feed: o for o in outcomes}
    assert by_name["good"].status == "ok" and by_name["good"].ingest is not None
    for name in ("bomb", "slow", "laughs", "garbage", "loop", "broken"):
        assert by_name[name].status == "error", by_name[name]
    assert "larger than the limit" in by_name["bomb"].detail
    assert "deadline" in by_name["slow"].detail
    assert "redirect loop" in by_name["loop"].detail
    assert "declares its own entities" in by_name["laughs"].detail
    assert time.monotonic() - started < 8  # the whole round: bounded by the deadline
    failures = [e for e in logs if e["event"] == "feed_failed"]
    assert sorted(e["feed"] for e in failures) == [
        "bomb",
        "broken",
        "garbage",
        "laughs",
        "loop",
        "slow",
    ]
    assert all(e["reason"] for e in failures)  # one line each, with the reason
    # The good feed did not wait for the slow one's deadline (outcomes are handed to on_done
    # in list order, and the good feed is first).
    assert finished["good"] < 2  # half the slow feed's deadline
    assert store.get("slow").next_poll_at is not None  # backed off, the others unaffected
    assert store.get("good").next_poll_at is None or clock() >= store.get("good").next_poll_at
