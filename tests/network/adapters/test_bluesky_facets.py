"""Our Bluesky facets against Bluesky's own: `RichText.detectFacets` of `@atproto/api`, run by
node on hand-picked hard cases and on hypothesis-generated text (`atproto_reference.py` installs
the pinned package into a cache folder and keeps one node process for the whole module).

Compared: every tag facet (hashtags and cashtags: type, tag, byte start and end) and every link
facet whose text starts with its scheme (type, URI, byte start and end). Left out on purpose, as
`xensocial.adapters._bsky_facets` says: mentions (they need a DID) and bare domains.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from xensocial.adapters._bsky_facets import LINK, facets

from .atproto_reference import Reference, unavailable


@pytest.fixture(scope="module")
def reference() -> Iterator[Reference]:
    started = Reference.start()
    if isinstance(started, str):
        unavailable(started)
    assert isinstance(started, Reference)
    yield started
    started.close()


def comparable(text: str, found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The reference's facets that we make too, in our shape."""
    raw = text.encode("utf-8")
    out = []
    for facet in found:
        [feature] = facet["features"]
        kind = feature["$type"]
        if kind == LINK:
            start, end = facet["index"]["byteStart"], facet["index"]["byteEnd"]
            if raw[start:end].decode("utf-8", errors="replace") != feature["uri"]:
                continue  # a bare domain, linked as "https://" + its text
        elif kind != "app.bsky.richtext.facet#tag":
            continue  # a mention
        out.append({"index": facet["index"], "features": [feature]})
    return out


def assert_same(reference: Reference, text: str) -> list[dict[str, Any]]:
    expected = comparable(text, reference.facets(text))
    assert facets(text) == expected, text
    return expected


HARD_CASES = [
    # Tags: punctuation inside and after, numbers, full width, scripts, emoji.
    "Xen 4.21 is out! #XenProject #virtualization.",
    "#2026 #2026a #a2026 #4_21 #_ #-x #x- #x... #x!? #x's #c++ #c# #a#b #a.b.c",
    "#ＸＥＮ ＃全角 ＃２０２６ #日本語タグ、です #ハッシュ。 #中文 #Ελλάδα #русский #عربى #हिन्दी",
    "#🎉 #x🎉y #🎉🎉 #👨‍👩‍👧 #🧑🏿‍💻 #🇪🇺 #❤️ #️⃣ #\ufe0fx #x\ufe0f",
    "#tag\u200bafter #\u200btag #ta\u200dg #soft\u00adhyphen #word\u2060joined #a\u20e2",
    "a#b c#d #e\n#f\r\n#g\t#h\u3000#i\u00a0#j\ufeff#k\u2028#l\u2029#m\u202f#n\u205f#o\u1680#p",
    # At most 64 graphemes, however many bytes or UTF-16 units they take.
    "#" + "a" * 64 + " #" + "b" * 65 + " #" + "😀" * 64 + " #" + "😀" * 65 + " #" + "é" * 64,
    "#" + "🇪🇺" * 64 + " #" + "🇪🇺" * 65 + " #" + "e\u0301" * 64 + " #" + "👍🏽" * 65,
    "(#paren) [#bracket] \"#quoted\" '#single' #end",
    "#",
    "# # ## ### #.",
    "#x" * 40,
    # Cashtags.
    "$XEN $xen. $AB12 $A1B2C3 $1AB ($ab) $ab) $toolong $x$y $AAPL's $AAPL\u2019s $ab,",
    # Links: IRIs, IP literals, trailing punctuation, parentheses, schemes in capitals.
    "see https://bücher.example/straße?q=ü and more",
    "http://[2001:db8::1]:8080/p http://192.168.0.1/x! http://[::1]/ https://127.0.0.1:8443.",
    "(https://a.example/b) https://a.example/(b) https://a.example/(b)). https://a.example/b),",
    "HTTPS://EXAMPLE.COM/X Https://x.example httpS://a.example http://x",
    "https://xenproject.org/blog/4.21?utm_source=bluesky&utm_medium=social#section",
    "https://例え.テスト/パス?検索=値。 https://xn--r8jz45g.xn--zckzah/x",
    "👨‍👩‍👧 Family release! https://xenproject.org/blog/1 #xen",
    "a link, then a tag:https://a.example/#notatag #tag",
    "https://a.example/x.,;:!? https://a.example/y?! https://a.example/z...",
    # Bare domains and mentions: not compared, but they must not move what is.
    "xenproject.org/news #xen @xen.bsky.social https://a.example",
    "email@example.com #tag $TAG",
    "",
]


@pytest.mark.parametrize("text", HARD_CASES)
def test_hard_cases_give_the_facets_the_app_gives(reference: Reference, text: str) -> None:
    assert_same(reference, text)


def test_the_hard_cases_cover_what_they_claim(reference: Reference) -> None:
    """The comparison is only as good as its corpus: the reference itself finds tags, cashtags,
    links and an IRI covered to its end in it (so a broken reference cannot pass as equal)."""
    found = [f for text in HARD_CASES for f in assert_same(reference, text)]
    tags = {f["features"][0].get("tag") for f in found}
    uris = {f["features"][0].get("uri") for f in found}
    assert {"XenProject", "ＸＥＮ", "日本語タグ、です", "ハッシュ", "$XEN", "🎉", "a" * 64} <= tags
    assert {"😀" * 64, "🇪🇺" * 64, "e\u0301" * 64} <= tags
    assert not {"2026", "b" * 65, "😀" * 65, "🇪🇺" * 65, "👍🏽" * 65} & tags
    assert {"https://bücher.example/straße?q=ü", "http://[2001:db8::1]:8080/p"} <= uris


_FRAGMENTS = [
    *"#＃$()[]\"'.,;:!?-_/…、。！「」@&=",
    " ",
    "  ",
    "\n",
    "\u3000",
    "\u00a0",
    "\ufeff",
    "\u200b",
    "\u200d",
    "\ufe0f",
    "\u20e3",
    "\u20e2",
    "\u00ad",
    "xen",
    "Xen",
    "XEN",
    "2026",
    "4",
    "a1",
    "ü",
    "straße",
    "日本語",
    "Ελλάδα",
    "русский",
    "عربى",
    "हिन्दी",
    "🎉",
    "👨‍👩‍👧",
    "🧑🏿‍💻",
    "🇪🇺",
    "❤️",
    "#️⃣",
    "https://",
    "http://",
    "HTTPS://",
    "bücher.example",
    "xenproject.org",
    "[2001:db8::1]",
    "192.168.0.1:8080",
    "/straße?q=ü",
    "/path",
    "?q=1&r=2",
    "example.com",
    "a" * 30,
    "😀" * 16,
]

_ANY = st.one_of(
    st.sampled_from(_FRAGMENTS),
    st.characters(codec="utf-8", exclude_categories=("Cs", "Co", "Cn")),
)
_RUN = st.lists(_ANY, max_size=6).map("".join)
# Pieces that are likely to be (or nearly be) a tag or a link, so most texts hold some.
_TAGGISH = st.tuples(st.sampled_from(["#", "#", "＃", "$"]), _RUN).map("".join)
_URLISH = st.tuples(
    st.sampled_from(["https://", "http://", "https://", "HTTPS://", "Http://"]),
    st.sampled_from(["bücher.example", "xenproject.org", "[2001:db8::1]:8080", "127.0.0.1", "x"]),
    _RUN,
).map("".join)
_SEPARATOR = st.sampled_from([" ", " ", "\n", "\u3000", "", "(", " (", ") ", ". ", ", ", "\u200b"])
texts = st.lists(st.tuples(_SEPARATOR, st.one_of(_ANY, _RUN, _TAGGISH, _URLISH)), max_size=12).map(
    lambda pieces: "".join(sep + piece for sep, piece in pieces)
)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=texts)
def test_generated_text_gives_the_facets_the_app_gives(reference: Reference, text: str) -> None:
    found = assert_same(reference, text)
    for kind in sorted({f["features"][0]["$type"].rsplit("#", 1)[1] for f in found}):
        event(f"has a {kind} facet")  # --hypothesis-show-statistics: how much was compared


def test_facets_are_utf8_byte_offsets() -> None:
    text = "🎉 Café: https://a.example/x and https://b.example/y?q=1"
    [first, second] = facets(text)
    raw = text.encode("utf-8")
    # 9 code points before the link, 12 bytes: the emoji takes 4, the é 2
    assert first["index"] == {"byteStart": 12, "byteEnd": 12 + len("https://a.example/x")}
    for facet, url in ((first, "https://a.example/x"), (second, "https://b.example/y?q=1")):
        start, end = facet["index"]["byteStart"], facet["index"]["byteEnd"]
        assert raw[start:end].decode() == url
        assert facet["features"] == [{"$type": "app.bsky.richtext.facet#link", "uri": url}]
    assert facets("no links, example.org is bare") == []  # a link needs its scheme


def test_an_iri_and_an_ip_literal_are_linked_whole() -> None:
    """The whole URL, to the next space, in UTF-8 bytes (it ended early at the first ß)."""
    text = "Bücher: https://bücher.example/straße?q=ü, und http://[2001:db8::1]:8080/x."
    raw = text.encode("utf-8")
    held = [raw[f["index"]["byteStart"] : f["index"]["byteEnd"]].decode() for f in facets(text)]
    assert held == ["https://bücher.example/straße?q=ü", "http://[2001:db8::1]:8080/x"]
    assert [f["features"][0]["uri"] for f in facets(text)] == held
