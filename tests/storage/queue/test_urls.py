"""Canonical URLs: the same page written differently maps to one string; different pages don't."""

from __future__ import annotations

import pytest

from content_queue import InvalidItem, canonical_url
from content_queue.urls import validate_url

BASE = "https://example.org/news/post"


@pytest.mark.parametrize(
    "variant",
    [
        "https://example.org/news/post",
        "HTTPS://EXAMPLE.ORG/news/post",
        "https://Example.Org/news/post",
        "https://example.org:443/news/post",
        "https://example.org/news/post/",
        "https://example.org/news/post#comments",
        "https://example.org/news/post/#top",
        "https://example.org/news/post?",
        "https://example.org/news/post?utm_source=twitter&utm_medium=social",
        "https://example.org/news/post?UTM_Campaign=x",
        "https://example.org/news/post?fbclid=abc123",
        "https://example.org/news/post?gclid=1&mc_cid=2&mc_eid=3&igshid=4",
        "https://example.org./news/post",
        "  https://example.org/news/post  ",
        "https://example.org/news/%70ost",
        "https://example.org/%6Eews/post",
    ],
)
def test_variants_of_one_page_are_equal(variant: str) -> None:
    assert canonical_url(variant) == canonical_url(BASE)


def test_canonical_form_is_readable() -> None:
    assert (
        canonical_url("HTTP://Example.ORG:80/a/b/?utm_source=x&b=2&a=1#frag")
        == "http://example.org/a/b?a=1&b=2"
    )


def test_query_parameter_order_does_not_matter() -> None:
    assert canonical_url("https://x.org/p?a=1&b=2&c=3") == canonical_url(
        "https://x.org/p?c=3&a=1&b=2"
    )


def test_tracking_parameters_are_dropped_and_others_kept() -> None:
    assert (
        canonical_url("https://x.org/p?id=7&utm_source=a&fbclid=b&ref_src=c")
        == "https://x.org/p?id=7"
    )


def test_root_with_and_without_slash() -> None:
    assert canonical_url("https://x.org/") == canonical_url("https://x.org")


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("https://x.org/a", "https://x.org/b"),
        ("https://x.org/a", "https://x.org/A"),  # paths are case-sensitive
        ("https://x.org/p?id=1", "https://x.org/p?id=2"),
        ("https://x.org/p?id=1", "https://x.org/p"),
        ("https://x.org/p?page=1&page=2", "https://x.org/p?page=2"),
        ("https://x.org/p", "https://y.org/p"),
        ("https://x.org/p", "https://blog.x.org/p"),
        ("https://x.org:8443/p", "https://x.org/p"),
        ("http://x.org:443/p", "https://x.org/p"),
        ("https://x.org/p?q=a%26b", "https://x.org/p?q=a&b"),
        ("https://alice@x.org/p", "https://x.org/p"),
        ("https://x.org/api/group%2Fproject", "https://x.org/api/group/project"),
    ],
)
def test_different_pages_stay_different(one: str, other: str) -> None:
    assert canonical_url(one) != canonical_url(other)


def test_scheme_counts_when_port_is_not_default() -> None:
    # http and https with their own default ports are different addresses; we do not merge them.
    assert canonical_url("http://x.org/p") != canonical_url("https://x.org/p")


def test_ipv6_host_keeps_its_brackets() -> None:
    assert canonical_url("http://[2001:DB8::1]:8080/p/") == "http://[2001:db8::1]:8080/p"
    assert canonical_url("http://[::1]:80/") == "http://[::1]"


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "example.org/p",
        "ftp://example.org/p",
        "mailto:a@b.org",
        "https://",
        "https://x.org:99999/",
    ],
)
def test_non_http_urls_are_refused(bad: str) -> None:
    with pytest.raises(InvalidItem) as info:
        canonical_url(bad)
    assert info.value.field == "url"


def test_validate_url_strips_space_but_keeps_the_link_as_written() -> None:
    assert validate_url("  https://X.org/A?utm_source=z ") == "https://X.org/A?utm_source=z"


def test_percent_encoding_is_normalised() -> None:
    assert canonical_url("https://x.org/caf%C3%A9") == canonical_url("https://x.org/café")
    assert canonical_url("https://x.org/%7Euser") == canonical_url("https://x.org/~user")
    assert canonical_url("https://x.org/a%2fb") == canonical_url("https://x.org/a%2Fb")
