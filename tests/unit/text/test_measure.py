"""`xensocial.text.measure`: each network's own way of counting a post."""

from __future__ import annotations

import pytest
from twitter_text import parse_tweet

from xensocial.text import DEFAULT_LIMITS, NETWORKS, find_urls, graphemes, measure

FAMILY = "👨\u200d👩\u200d👧\u200d👦"  # four people joined by ZWJ: 7 code points, 1 grapheme
FLAG = "🇳🇱"  # two regional indicators
E_ACUTE = "e\u0301"  # "e" + combining acute accent: 2 code points, 1 grapheme
LONG_URL = "https://example.org/" + "a" * 80  # 100 characters


def test_limits_table() -> None:
    assert DEFAULT_LIMITS == {
        "x": 280,
        "mastodon": 500,
        "bluesky": 300,
        "facebook": 63206,
        "linkedin": 3000,
    }


def test_unknown_network_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(ValueError, match="'myspace'") as info:
        measure("myspace", "hello")
    for network in NETWORKS:
        assert network in str(info.value)


# -- X -------------------------------------------------------------------------------------------
# X's rules in examples, each also checked against twitter-text itself (tests/unit/text/test_x_length.py
# compares the two on generated texts).


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hello", 5),
        (LONG_URL, 23),
        (f"read {LONG_URL}.", 5 + 23 + 1),  # the full stop is not part of the link
        (f"({LONG_URL})", 1 + 23 + 1),
        ("see example.com now", 4 + 23 + 4),  # a bare domain is a link on X
        ("Node.js and foo.de", 7 + 5 + 23),  # "js" is no top-level domain, "de" is
        ("mail me@example.com", len("mail me@example.com")),  # an address is not a link
        ("http://localhost:8000/x", len("http://localhost:8000/x")),  # no top-level domain
        ("漢字", 4),
        (FAMILY, 2),
        (FLAG, 2),
        ("1\ufe0f\u20e3", 2),  # keycap
        ("A\u0301", 1),  # NFC makes it one "Á"
        ("\u2026", 2),  # the ellipsis is outside the light ranges
        ("a\r\nb", 3),  # a Windows line break is one
        # Newer than twitter-text's emoji data (Unicode 12.0): counted as its parts.
        ("🧑🏿\u200d💻", 2 + 1 + 2),  # person with skin tone, ZWJ, laptop (Unicode 12.1)
        ("🐦\u200d🔥", 2 + 1 + 2),  # phoenix (Unicode 15.1)
        ("🫠", 2),  # a single newer code point weighs 2 like any outside the light ranges
        # International hosts: the link ends where its characters stop being link characters.
        ("https://пример.рф/путь", 23),
        ("https://bücher.de/straße?q=ü", 23 + 1),  # "ü" cannot be in a query: it is text
        ("https://例え.jp/パス", 23 + 4),  # nor a Japanese path: encode it (rendering does)
        ("https://例え.jp/%E3%83%91%E3%82%B9", 23),
        ("https://bücher.example/x", len("https://bücher.example/x")),  # no real TLD: no link
    ],
)
def test_x_weighted_length(text: str, expected: int) -> None:
    assert measure("x", text) == expected
    assert parse_tweet(text).weightedLength == expected


def test_link_spans_stop_before_trailing_punctuation() -> None:
    text = "Go to https://example.com/a?b=1&c=2, or https://example.com/path/."
    assert [text[s:e] for s, e in find_urls(text)] == [
        "https://example.com/a?b=1&c=2",
        "https://example.com/path/",
    ]


# -- Mastodon ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (LONG_URL, 23),
        ("http://a.co", 23),  # short links count 23 too
        (f"new post {LONG_URL} !", 9 + 23 + 2),
        ("see example.com", len("see example.com")),  # without http(s):// it is plain text
        ("thanks @alice@example.social", len("thanks @alice")),  # a mention's domain is free
        ("thanks @alice", len("thanks @alice")),
        (FAMILY, 1),  # Mastodon counts user-perceived characters
        (E_ACUTE * 3, 3),
    ],
)
def test_mastodon_counts_links_as_23(text: str, expected: int) -> None:
    assert measure("mastodon", text) == expected


# -- Bluesky -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hello", 5),
        (FAMILY, 1),
        (FAMILY * 3 + " ok", 6),
        ("🧑🏽\u200d💻", 1),  # person + skin tone + ZWJ + laptop
        (FLAG + FLAG, 2),
        (E_ACUTE, 1),
        ("\u0915\u094d\u0937", 1),  # Devanagari conjunct: consonant + virama + consonant
        (LONG_URL, 100),  # Bluesky counts the link as written
    ],
)
def test_bluesky_counts_graphemes(text: str, expected: int) -> None:
    assert measure("bluesky", text) == expected
    assert graphemes(text) == expected


# -- code points ---------------------------------------------------------------------------------


@pytest.mark.parametrize("network", ["facebook", "linkedin", "outbox"])
def test_other_networks_count_code_points(network: str) -> None:
    assert measure(network, FAMILY) == 7
    assert measure(network, E_ACUTE) == 2
    assert measure(network, LONG_URL) == 100
    assert measure(network, "漢字 ok") == 5
