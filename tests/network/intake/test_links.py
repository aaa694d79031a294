"""Curated links: a page's metadata, read from real HTTP, and `queue add URL` without --title."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.conftest import CONFIG, CliHarness, write_config
from tests.conftest import FakeClock
from tests.fakes.server import FakeServer, Reply
from xensocial.intake.fetch import FetchError, FetchLimits
from xensocial.intake.links import HEAD_BYTES, fetch_link_metadata, parse_metadata

OPEN = FetchLimits(allow_private_addresses=True, read_timeout=2, deadline=5)
HTML = {"Content-Type": "text/html; charset=utf-8"}

ARTICLE = """<!doctype html>
<html><head>
  <title>Release 2.0 &amp; more | The Blog</title>
  <meta name="description" content="The plain description.">
  <meta name="twitter:title" content="Twitter title">
  <meta property="og:title" content="  Release 2.0:
      what&#39;s new  ">
  <meta property="og:description" content="Faster builds, fewer bugs.">
  <meta property="og:image" content="/img/cover.png">
  <link rel="canonical" href="https://blog.example.org/release-2">
</head><body><p>Hello</p></body></html>
"""


def test_open_graph_wins_and_everything_is_cleaned() -> None:
    meta = parse_metadata(ARTICLE.encode(), "https://blog.example.org/posts/r2?utm=x")
    assert meta.title == "Release 2.0: what's new"
    assert meta.description == "Faster builds, fewer bugs."
    assert meta.image == "https://blog.example.org/img/cover.png"  # made absolute
    assert meta.url == "https://blog.example.org/release-2"


def test_twitter_card_then_title_and_meta_description() -> None:
    twitter = """<head><title>Page</title><meta name="twitter:title" content="Card title">
    <meta name="twitter:description" content="Card text"><meta name="twitter:image"
    content="https://cdn.example.org/c.jpg"></head>"""
    meta = parse_metadata(twitter.encode(), "https://example.org/a")
    assert (meta.title, meta.description, meta.image) == (
        "Card title",
        "Card text",
        "https://cdn.example.org/c.jpg",
    )
    plain = """<html><head><title>
        Plain   &eacute;t&eacute; page </title><meta name="Description" content="About it.">
        </head><body><svg><title>an icon</title></svg></body></html>"""
    meta = parse_metadata(plain.encode(), "https://example.org/p")
    assert (meta.title, meta.description, meta.image, meta.url) == (
        "Plain été page",
        "About it.",
        None,
        "https://example.org/p",
    )


def test_broken_truncated_and_empty_pages_never_raise() -> None:
    assert parse_metadata(b"<html><head><title>Cut off he", "https://e.org/").title == "Cut off he"
    empty = parse_metadata(b"", "https://e.org/")
    assert (empty.title, empty.description, empty.image, empty.url) == (
        None,
        None,
        None,
        "https://e.org/",
    )
    svg_only = b"<svg><title>icon</title></svg><p>no head</p><meta content='x'>"
    assert parse_metadata(svg_only, "https://e.org/").title is None
    garbage = bytes(range(256)) * 20
    assert parse_metadata(garbage, "https://e.org/").url == "https://e.org/"


def test_unsafe_image_schemes_are_dropped_and_long_titles_cut() -> None:
    page = f"""<meta property="og:image" content="javascript:alert(1)">
    <meta property="og:title" content="{"word " * 200}">""".encode()
    meta = parse_metadata(page, "https://e.org/")
    assert meta.image is None
    assert meta.title is not None and len(meta.title) <= 300 and meta.title.endswith("…")


@pytest.mark.parametrize(
    ("body", "content_type", "title"),
    [
        ("<title>Caf\xe9</title>".encode("latin-1"), "text/html; charset=ISO-8859-1", "Café"),
        (
            b'<meta charset="windows-1252"><title>\x93Quoted\x94</title>',
            "text/html",
            "\u201cQuoted\u201d",
        ),
        (b"\xef\xbb\xbf<title>BOM</title>", None, "BOM"),
        ("<title>na\xefve</title>".encode("latin-1"), "text/html; charset=bogus", "na\ufffdve"),
    ],
    ids=["header-charset", "meta-charset", "bom", "unknown-charset"],
)
def test_encodings(body: bytes, content_type: str | None, title: str) -> None:
    assert parse_metadata(body, "https://e.org/", content_type).title == title


# -- over HTTP -----------------------------------------------------------------------------


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with FakeServer() as s:
        s.route("GET", "/article", lambda r: Reply(200, ARTICLE.encode(), HTML))
        s.route("GET", "/broken", lambda r: Reply(500, b"oops"))
        s.route(
            "GET",
            "/paper.pdf",
            lambda r: Reply(200, b"%PDF-1.7", {"Content-Type": "application/pdf"}),
        )
        yield s


def test_fetch_link_metadata_over_http(server: FakeServer) -> None:
    meta = fetch_link_metadata(f"{server.url}/article", OPEN)
    assert meta.title == "Release 2.0: what's new"
    assert meta.image == f"{server.url}/img/cover.png"
    assert server.log[0].headers["accept"].startswith("text/html")
    pdf = fetch_link_metadata(f"{server.url}/paper.pdf", OPEN)
    assert (pdf.title, pdf.url) == (None, f"{server.url}/paper.pdf")


def test_only_the_head_of_a_huge_page_is_read(server: FakeServer) -> None:
    sent: list[int] = []

    def huge() -> Iterator[bytes]:
        yield b"<html><head><title>Big</title></head><body>"
        for _ in range(64):  # 64 MB, far more than is read
            sent.append(1)
            yield b"x" * (1024 * 1024)
        yield b"<title>too late</title>"

    server.route("GET", "/huge", lambda r: Reply(200, huge(), HTML))
    meta = fetch_link_metadata(f"{server.url}/huge", OPEN)
    assert meta.title == "Big"
    assert len(sent) < 16  # the client stopped reading after its 512 KB (plus socket buffers)
    assert HEAD_BYTES == 512 * 1024


def test_a_failed_page_raises_fetch_error(server: FakeServer) -> None:
    with pytest.raises(FetchError, match="HTTP 500"):
        fetch_link_metadata(f"{server.url}/broken", OPEN)


# -- `queue add URL` without --title -------------------------------------------------------


def _cli(tmp_path: Path, clock: FakeClock, *, allow_private: bool) -> CliHarness:
    text = CONFIG + f"\n[intake]\nallow_private_addresses = {str(allow_private).lower()}\n"
    harness = CliHarness(write_config(tmp_path, text=text), tmp_path / "data" / "queue.db", clock)
    harness.ok("db", "upgrade")
    return harness


def test_queue_add_takes_the_title_and_description_from_the_page(
    server: FakeServer, tmp_path: Path, clock: FakeClock
) -> None:
    cli = _cli(tmp_path, clock, allow_private=True)
    item = cli.json("queue", "add", f"{server.url}/article")
    assert item["title"] == "Release 2.0: what's new"
    assert item["text"] == "Faster builds, fewer bugs."
    mine = cli.json("queue", "add", f"{server.url}/article?v=2", "--text", "My own words")
    assert (mine["title"], mine["text"]) == ("Release 2.0: what's new", "My own words")
    assert len(server.log) == 2


def test_queue_add_with_a_title_fetches_nothing(
    server: FakeServer, tmp_path: Path, clock: FakeClock
) -> None:
    cli = _cli(tmp_path, clock, allow_private=False)  # would be refused if it fetched
    item = cli.json("queue", "add", f"{server.url}/article", "--title", "Given")
    assert item["title"] == "Given" and server.log == []


def test_queue_add_refuses_a_local_address_and_says_why(
    server: FakeServer, tmp_path: Path, clock: FakeClock
) -> None:
    cli = _cli(tmp_path, clock, allow_private=False)
    result = cli.refused("queue", "add", f"{server.url}/article")
    assert "127.0.0.1: loopback address" in result.stderr
    assert "allow_private_addresses" in result.stderr and "--title" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert server.log == []


def test_queue_add_of_an_unreadable_page_adds_it_as_a_draft_and_warns(
    server: FakeServer, tmp_path: Path, clock: FakeClock
) -> None:
    cli = _cli(tmp_path, clock, allow_private=True)
    result = cli.run("queue", "add", f"{server.url}/broken", "--json")
    assert result.exit_code == 0, result.stderr
    [warning] = result.stderr.splitlines()
    assert warning.startswith("warning: could not read the page's title (HTTP 500")
    assert warning.endswith(
        "item 1 was added as a draft (no title or text: the daemon never posts a bare link). "
        "Give it words with `xensocial queue edit 1 --title ...`, then "
        "`xensocial queue approve 1`"
    )
    item = json.loads(result.stdout)  # stdout stays clean JSON: the warning is on stderr
    assert (item["title"], item["url"], item["state"]) == ("", f"{server.url}/broken", "draft")
    assert len(server.log) == 1  # one try, no retry loop


def test_a_page_without_a_title_but_with_a_description_is_approved(
    server: FakeServer, tmp_path: Path, clock: FakeClock
) -> None:
    server.route(
        "GET",
        "/untitled",
        lambda r: Reply(200, b'<head><meta name="description" content="Words."></head>', HTML),
    )
    cli = _cli(tmp_path, clock, allow_private=True)
    result = cli.run("queue", "add", f"{server.url}/untitled", "--json")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == (
        "warning: the page has no title; item 1 was added without a title. "
        "Set one with `xensocial queue edit 1 --title ...`\n"
    )
    item = json.loads(result.stdout)
    assert (item["title"], item["text"], item["state"]) == ("", "Words.", "approved")


def test_queue_add_of_an_unresolvable_host_still_adds_it(tmp_path: Path, clock: FakeClock) -> None:
    cli = _cli(tmp_path, clock, allow_private=False)
    result = cli.run("queue", "add", "https://nowhere.invalid/post", "--text", "Read this")
    assert result.exit_code == 0, result.stderr
    assert "cannot resolve host 'nowhere.invalid'" in result.stderr
    assert cli.json("queue", "show", "1")["text"] == "Read this"
