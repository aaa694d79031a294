"""The fetcher over real HTTP to a local server: conditional GET, redirects, encodings, caps,
timeouts, and the address guard (refusing 127.0.0.1 by default, allowing it when configured)."""

from __future__ import annotations

import gzip
import socket
import zlib
from collections.abc import Iterator

import pytest

from tests.fakes.server import FakeServer, Fault, Reply, Request
from xensocial.intake.fetch import FetchError, FetchLimits, fetch, make_client

OPEN = FetchLimits(allow_private_addresses=True, connect_timeout=2, read_timeout=2, deadline=5)


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with FakeServer() as s:
        yield s


def _conditional(request: Request) -> Reply:
    if request.headers.get("if-none-match") == '"v1"':
        return Reply(304, None, {"ETag": '"v1"'})
    if request.headers.get("if-modified-since") == "Mon, 02 Mar 2026 09:00:00 GMT":
        return Reply(304)
    return Reply(
        200,
        b"<rss/>",
        {
            "ETag": '"v1"',
            "Last-Modified": "Mon, 02 Mar 2026 09:00:00 GMT",
            "Content-Type": "application/rss+xml",
        },
    )


def test_a_plain_get_returns_the_body_and_its_validators(server: FakeServer) -> None:
    server.route("GET", "/feed", _conditional)
    result = fetch(f"{server.url}/feed", limits=OPEN)
    assert (result.status, result.body, result.content_type) == (
        200,
        b"<rss/>",
        "application/rss+xml",
    )
    assert (result.etag, result.last_modified) == ('"v1"', "Mon, 02 Mar 2026 09:00:00 GMT")
    assert not (result.not_modified or result.gone or result.truncated)
    assert result.permanent_redirect is None and result.url == f"{server.url}/feed"
    sent = server.requests("GET", "/feed")[0].headers
    assert sent["user-agent"].startswith("xensocial/")
    assert sent["accept-encoding"] == "gzip, deflate"
    assert "if-none-match" not in sent and "if-modified-since" not in sent


def test_an_etag_makes_a_conditional_get_and_a_304_has_no_body(server: FakeServer) -> None:
    server.route("GET", "/feed", _conditional)
    result = fetch(f"{server.url}/feed", limits=OPEN, etag='"v1"')
    assert result.not_modified and result.body is None and result.status == 304
    assert result.etag == '"v1"'
    assert server.requests()[0].headers["if-none-match"] == '"v1"'


def test_last_modified_alone_is_sent_and_kept_when_the_304_omits_it(server: FakeServer) -> None:
    server.route("GET", "/feed", _conditional)
    stamp = "Mon, 02 Mar 2026 09:00:00 GMT"
    result = fetch(f"{server.url}/feed", limits=OPEN, last_modified=stamp)
    assert result.not_modified and result.body is None
    assert result.last_modified == stamp  # the 304 did not repeat it: the given one is kept
    assert server.requests()[0].headers["if-modified-since"] == stamp


def test_a_200_without_validators_drops_the_old_ones(server: FakeServer) -> None:
    server.route("GET", "/plain", lambda r: Reply(200, b"<rss/>"))
    result = fetch(f"{server.url}/plain", limits=OPEN, etag='"old"', last_modified="yesterday")
    assert (result.etag, result.last_modified) == (None, None)


def test_410_is_gone_and_other_errors_raise_with_the_status(server: FakeServer) -> None:
    server.route("GET", "/gone", lambda r: Reply(410, b"bye"))
    server.route("GET", "/broken", lambda r: Reply(503, b"later"))
    gone = fetch(f"{server.url}/gone", limits=OPEN)
    assert gone.gone and gone.body is None and gone.status == 410
    with pytest.raises(FetchError, match=r"^HTTP 503 Service Unavailable$") as info:
        fetch(f"{server.url}/broken", limits=OPEN)
    assert info.value.status == 503 and not info.value.refused
    with pytest.raises(FetchError, match=r"^HTTP 404"):
        fetch(f"{server.url}/missing", limits=OPEN)


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [
        ("gzip", gzip.compress),
        ("x-gzip", gzip.compress),
        ("deflate", zlib.compress),  # the zlib stream the RFC means
        ("deflate", lambda b: zlib.compress(b)[2:-4]),  # the raw deflate some servers send
    ],
    ids=["gzip", "x-gzip", "deflate-zlib", "deflate-raw"],
)
def test_compressed_bodies_are_inflated(
    server: FakeServer, encoding: str, compress: object
) -> None:
    body = b"<feed>" + b"entry " * 5000 + b"</feed>"
    packed = compress(body)  # type: ignore[operator]
    server.route("GET", "/z", lambda r: Reply(200, packed, {"Content-Encoding": encoding}))
    assert fetch(f"{server.url}/z", limits=OPEN).body == body


def test_an_unknown_or_corrupt_encoding_is_an_error(server: FakeServer) -> None:
    server.route("GET", "/br", lambda r: Reply(200, b"xx", {"Content-Encoding": "br"}))
    server.route("GET", "/bad", lambda r: Reply(200, b"not gzip", {"Content-Encoding": "gzip"}))
    cut = gzip.compress(b"a" * 10000)[:-10]
    server.route("GET", "/cut", lambda r: Reply(200, cut, {"Content-Encoding": "gzip"}))
    with pytest.raises(FetchError, match="unsupported Content-Encoding 'br'"):
        fetch(f"{server.url}/br", limits=OPEN)
    with pytest.raises(FetchError, match="corrupt gzip body"):
        fetch(f"{server.url}/bad", limits=OPEN)
    with pytest.raises(FetchError, match="ends before its end marker"):
        fetch(f"{server.url}/cut", limits=OPEN)


def test_the_size_cap_refuses_an_announced_or_streamed_excess(server: FakeServer) -> None:
    limits = FetchLimits(allow_private_addresses=True, max_bytes=1000)
    server.route("GET", "/big", lambda r: Reply(200, b"x" * 1001))
    server.route("GET", "/stream", lambda r: Reply(200, iter([b"y" * 600, b"y" * 600])))
    server.route("GET", "/fits", lambda r: Reply(200, b"z" * 1000))
    with pytest.raises(FetchError, match="1001 bytes announced, the limit is 1000"):
        fetch(f"{server.url}/big", limits=limits)
    with pytest.raises(FetchError, match="larger than the limit of 1000 bytes"):
        fetch(f"{server.url}/stream", limits=limits)
    assert fetch(f"{server.url}/fits", limits=limits).body == b"z" * 1000


def test_truncate_keeps_the_first_max_bytes(server: FakeServer) -> None:
    limits = FetchLimits(allow_private_addresses=True, max_bytes=1000)
    server.route("GET", "/page", lambda r: Reply(200, b"<head>" + b"x" * 5000))
    result = fetch(f"{server.url}/page", limits=limits, truncate=True)
    assert result.truncated and result.body == (b"<head>" + b"x" * 5000)[:1000]


def test_permanent_redirects_are_reported_and_followed(server: FakeServer) -> None:
    server.route("GET", "/old", lambda r: Reply(301, None, {"Location": "/older"}))
    server.route("GET", "/older", lambda r: Reply(308, None, {"Location": "new"}))  # relative
    server.route("GET", "/new", lambda r: Reply(200, b"here"))
    result = fetch(f"{server.url}/old", limits=OPEN, etag='"e"')
    assert result.body == b"here" and result.url == f"{server.url}/new"
    assert result.permanent_redirect == f"{server.url}/new"
    # Every hop is asked conditionally: the validators belong to the resource, not the URL.
    assert [r.headers.get("if-none-match") for r in server.log] == ['"e"'] * 3


def test_a_temporary_hop_means_the_url_has_not_moved(server: FakeServer) -> None:
    server.route("GET", "/a", lambda r: Reply(301, None, {"Location": "/b"}))
    server.route("GET", "/b", lambda r: Reply(302, None, {"Location": "/c"}))
    server.route("GET", "/c", lambda r: Reply(301, None, {"Location": "/d"}))
    server.route("GET", "/d", lambda r: Reply(200, b"ok"))
    server.route("GET", "/t", lambda r: Reply(307, None, {"Location": "/d"}))
    assert fetch(f"{server.url}/a", limits=OPEN).permanent_redirect == f"{server.url}/b"
    assert fetch(f"{server.url}/t", limits=OPEN).permanent_redirect is None


def test_too_many_redirects_and_loops_are_errors(server: FakeServer) -> None:
    for n in range(5):
        server.route("GET", f"/r{n}", lambda r, n=n: Reply(302, None, {"Location": f"/r{n + 1}"}))
    server.route("GET", "/r5", lambda r: Reply(200, b"end"))
    two = FetchLimits(allow_private_addresses=True, max_redirects=2)
    with pytest.raises(FetchError, match="too many redirects: more than 2"):
        fetch(f"{server.url}/r0", limits=two)
    assert len(server.log) == 3  # the original and two hops, no more
    assert fetch(f"{server.url}/r0", limits=OPEN).body == b"end"  # five hops are allowed
    server.route("GET", "/loop", lambda r: Reply(301, None, {"Location": "/loop"}))
    with pytest.raises(FetchError, match="redirect loop"):
        fetch(f"{server.url}/loop", limits=OPEN)


def test_a_redirect_to_another_scheme_is_refused(server: FakeServer) -> None:
    server.route("GET", "/f", lambda r: Reply(302, None, {"Location": "file:///etc/passwd"}))
    with pytest.raises(FetchError, match="only http and https"):
        fetch(f"{server.url}/f", limits=OPEN)


@pytest.mark.parametrize("url", ["ftp://example.org/feed", "not a url", "http:///nohost"])
def test_urls_that_cannot_be_fetched(url: str) -> None:
    with pytest.raises(FetchError):
        fetch(url, limits=OPEN)


def test_a_read_timeout_is_reported(server: FakeServer) -> None:
    server.route("GET", "/slow", lambda r: Reply(200, b"late"))
    server.fault("GET", "/slow", Fault.hang(10))
    limits = FetchLimits(allow_private_addresses=True, read_timeout=0.3, deadline=5)
    with pytest.raises(FetchError, match=r"read timeout: nothing received for 0.3 s"):
        fetch(f"{server.url}/slow", limits=limits)


def test_a_closed_port_is_a_network_error() -> None:
    with socket.socket() as s:  # a port that was free a moment ago: nothing listens on it
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(FetchError, match="^network error"):
        fetch(f"http://127.0.0.1:{port}/", limits=OPEN)


# -- the address guard ---------------------------------------------------------------------


def test_loopback_is_refused_by_default_before_any_request(server: FakeServer) -> None:
    server.route("GET", "/feed", _conditional)
    with pytest.raises(FetchError) as info:
        fetch(f"{server.url}/feed", limits=FetchLimits())
    assert info.value.refused
    assert "127.0.0.1: loopback address" in info.value.reason
    assert "allow_private_addresses" in info.value.reason  # says how to allow it
    assert server.log == []  # refused before connecting: the server saw nothing


def test_a_name_for_loopback_is_refused_and_named(server: FakeServer) -> None:
    port = server.url.rsplit(":", 1)[1]
    with pytest.raises(FetchError, match=r"localhost \(127\.0\.0\.1\): loopback") as info:
        fetch(f"http://localhost:{port}/feed", limits=FetchLimits())
    assert info.value.refused and server.log == []


def test_allow_private_addresses_lets_the_same_fetch_through(server: FakeServer) -> None:
    server.route("GET", "/feed", _conditional)
    assert fetch(f"{server.url}/feed", limits=FetchLimits(allow_private_addresses=True)).body


def test_a_redirect_into_the_local_network_is_refused_hop_by_hop(server: FakeServer) -> None:
    # The first hop is allowed through a client that permits private addresses; the limits of
    # this fetch do not, so the peer check refuses it: a client not made for these limits (or
    # by someone else) is still guarded.
    server.route("GET", "/feed", _conditional)
    with (
        make_client(FetchLimits(allow_private_addresses=True)) as lax,
        pytest.raises(FetchError, match="loopback address") as info,
    ):
        fetch(f"{server.url}/feed", limits=FetchLimits(), client=lax)
    assert info.value.refused


def test_a_shared_client_serves_many_fetches(server: FakeServer) -> None:
    server.route("GET", "/feed", _conditional)
    with make_client(OPEN) as client:
        results = [fetch(f"{server.url}/feed", limits=OPEN, client=client) for _ in range(3)]
    assert [r.body for r in results] == [b"<rss/>"] * 3


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"deadline": 0}, "deadline must be a positive number"),
        ({"connect_timeout": -1}, "connect_timeout must be a positive"),
        ({"max_bytes": 0}, "max_bytes must be at least 1"),
        ({"max_redirects": -1}, "max_redirects must be 0 or more"),
        ({"user_agent": "a\r\nX-Evil: 1"}, "user_agent must be one non-empty line"),
    ],
)
def test_limits_reject_inconsistent_values(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        FetchLimits(**kwargs)  # type: ignore[arg-type]
