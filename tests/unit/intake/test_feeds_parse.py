"""Feed documents -> clean entries: every format, stable keys, plain text, order, filters."""

from __future__ import annotations

import pytest

from tests.paths import FEEDS
from xensocial.intake.entries import FeedParseError, clean_text, matches, parse_feed

DATA = FEEDS
BASE = "https://feeds.example.com/dir/feed.xml"


def parse(name: str, **kwargs: object):
    return parse_feed((DATA / name).read_bytes(), url=BASE, **kwargs)  # type: ignore[arg-type]


def test_wordpress_rss2_blog_feed():
    feed = parse("wordpress-rss2.xml", content_type="application/rss+xml; charset=UTF-8")
    assert feed.title == "Xen Project Blog"
    assert feed.problem is None
    first = feed.entries[0]
    assert first.key == "id:https://xenproject.example.org/?p=4120"  # the guid, not the link
    assert first.url == "https://xenproject.example.org/2026/03/02/xen-4-20-released/"
    assert first.title == "Xen 4.20 released \u2013 what\u2019s new"  # entities decoded
    # Tags stripped, &amp; and &nbsp; decoded, runs of whitespace folded; no script text.
    assert first.text.startswith(
        "The Xen Project is pleased to announce Xen 4.20: faster boot, better ARM support & more."
    )
    assert "<" not in first.text and "  " not in first.text and "alert" not in first.text
    assert [e.key.rsplit("=", 1)[1] for e in feed.entries] == ["4120", "4101", "4090"]


def test_atom_feed_from_a_static_site_generator_newest_first():
    feed = parse("hugo-atom.xml")
    # The document lists the older post first; entries come out newest first.
    assert [e.url for e in feed.entries] == [
        "https://docs.example.net/posts/release-0-17/",
        "https://docs.example.net/posts/kraft-build/",
    ]
    older = feed.entries[1]
    assert older.title == "Building unikernels with kraft"  # type="html" title made plain
    assert older.text == "A walk through kraft build & friends."  # double-escaped &amp;amp;
    assert feed.entries[0].text == "What changed in 0.17."  # <content> when no <summary>


def test_rss1_rdf_with_a_latin1_encoding():
    feed = parse("rss1-rdf.xml")
    assert feed.title == "Mailing list digest"
    assert [e.title for e in feed.entries] == ["Café meeting notes", "Patch review process"]
    assert feed.entries[0].text == "Notes from the Café meetup, naïve questions welcome."
    assert feed.entries[0].url == "https://lists.example.com/thread/1001"


def test_relative_links_are_resolved_against_xml_base():
    feed = parse("relative-xmlbase.xml")
    assert [e.url for e in feed.entries] == [
        "https://static.example.org/blog/2026/nested-post.html",  # two nested xml:base
        "https://static.example.org/about/",
    ]


def test_relative_links_are_resolved_against_the_document_url():
    feed = parse("relative-rss.xml")
    assert [e.url for e in feed.entries] == ["https://feeds.example.com/dir/posts/relative-item/"]
    # No guid: the key is the canonical link, so tracking parameters or a slash never change it.
    assert feed.entries[0].key == "link:https://feeds.example.com/dir/posts/relative-item"


def test_duplicate_guids_keep_the_first_entry_only():
    feed = parse("duplicate-guids.xml")
    assert [e.title for e in feed.entries] == ["First post", "Third post"]


def test_entries_without_links_or_dates():
    feed = parse("no-links-no-dates.xml")
    assert [e.url for e in feed.entries] == ["https://minimal.example.org/undated", None, None]
    assert feed.entries[0].key == "link:https://minimal.example.org/undated"
    # Neither id nor link: the key is a hash of the words, the same on every poll.
    assert feed.entries[1].key.startswith("hash:")
    assert parse("no-links-no-dates.xml").entries[1].key == feed.entries[1].key
    assert feed.entries[2].text == "Neither title nor link: bold words."


def test_keywords_filter_on_title_and_summary_case_insensitively():
    feed = parse("wordpress-rss2.xml", include=["SECURITY", "summit"], exclude=["xsa-460"])
    assert [e.wanted for e in feed.entries] == [False, True, False]
    assert matches("Grant table fix", include=["GRANT"], exclude=[])
    assert not matches("Grant table fix", include=[], exclude=["table"])
    assert matches("anything", include=[], exclude=[])


def test_an_edit_changes_the_content_hash_but_not_the_key():
    original = parse("wordpress-rss2.xml").entries[0]
    edited_body = (
        (DATA / "wordpress-rss2.xml")
        .read_bytes()
        .replace(b"Xen 4.20 released &#8211; what&#8217;s new</title>", b"Xen 4.20 is out</title>")
    )
    edited = parse_feed(edited_body, url=BASE).entries[0]
    assert edited.key == original.key
    assert edited.title == "Xen 4.20 is out"
    assert edited.content_hash != original.content_hash


@pytest.mark.parametrize(
    "body",
    [b"<html><body><p>Not a feed</p></body></html>", b"", b"\x00\x01garbage\xff", b"{}"],
    ids=["html", "empty", "binary", "json"],
)
def test_a_document_that_is_not_a_feed_is_refused(body):
    with pytest.raises(FeedParseError, match="not a"):
        parse_feed(body, url=BASE, content_type="text/html")


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("<p>Hello&nbsp;<b>world</b></p><p>again</p>", "Hello world again"),
        ("Fish &amp; chips &lt;3", "Fish & chips <3"),
        ("  many\n\n   spaces\t here ", "many spaces here"),
        ("<style>p{}</style><script>x()</script>text", "text"),
        ("plain", "plain"),
    ],
)
def test_clean_text(raw, clean):
    assert clean_text(raw) == clean
