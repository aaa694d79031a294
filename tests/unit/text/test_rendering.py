"""`xensocial.rendering`: template, UTM, hashtags, folding, truncation and `TextTooLong`."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from twitter_text import extract_urls_with_indices, parse_tweet

from content_queue import ContentQueue, NewItem
from tests.conftest import FakeClock
from tests.unit.text.mixed_text import posts
from xensocial.adapters.base import TextLimits
from xensocial.config import ChannelConfig, load_settings
from xensocial.errors import BadInput, ConfigError
from xensocial.rendering import (
    TextTooLong,
    channel_url,
    check_fits,
    hashtags_for,
    render_post,
    validate_template,
    with_utm,
)
from xensocial.text import DEFAULT_LIMITS, find_urls, measure, utf8_size

URL = "https://example.org/news/2026/xen-4-20-released"


def item(
    *,
    url: str = URL,
    title: str = "",
    text: str = "",
    tags: tuple[str, ...] = (),
    category: str = "news",
) -> NewItem:
    return NewItem(url=url, channels=["c"], title=title, text=text, tags=tags, category=category)


def channel(
    network: str = "outbox",
    *,
    template: str | None = None,
    utm: Mapping[str, str] | None = None,
    hashtags: Mapping[str, str] | None = None,
) -> ChannelConfig:
    return ChannelConfig(
        name="c",
        network=network,
        timezone="UTC",
        template=template,
        utm=dict(utm or {}),
        hashtags=dict(hashtags or {}),
    )


def limits(network: str, max_length: int | None = None) -> TextLimits:
    return TextLimits(max_length=max_length or DEFAULT_LIMITS.get(network, 5000))


# -- templates -----------------------------------------------------------------------------------


def test_default_template_is_text_then_url_then_hashtags() -> None:
    got = render_post(
        item(title="Xen 4.20", text="Xen 4.20 is out.", tags=("xen", "release")),
        channel(),
        limits("outbox"),
    )
    assert got == f"Xen 4.20 is out.\n\n{URL}\n\n#xen #release"


def test_default_template_falls_back_to_the_title() -> None:
    got = render_post(item(title="Xen 4.20 released"), channel(), limits("outbox"))
    assert got == f"Xen 4.20 released\n\n{URL}"


def test_custom_template_with_every_placeholder_and_literal_braces() -> None:
    template = "[{category}] {title}: {text} {{sic}} {url} {hashtags}"
    got = render_post(
        item(title="T", text="Body.", tags=("a",), category="security"),
        channel(template=template),
        limits("outbox"),
    )
    assert got == f"[security] T: Body. {{sic}} {URL} #a"


def test_whitespace_is_folded() -> None:
    got = render_post(
        item(title="  A\t  title\n with\nbreaks ", text="One   two\t three.\n\n\n\n  Next  para. "),
        channel(template="{title}\n{text}\n\n\n\n{url}"),
        limits("outbox"),
    )
    assert got == f"A title with breaks\nOne two three.\n\nNext para.\n\n{URL}"


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{title} {link}", r"unknown placeholder \{link\}"),
        ("{0} {url}", r"unknown placeholder \{0\}"),
        ("{title.upper} {url}", r"unknown placeholder"),
        ("{title!r} {url}", "takes no format"),
        ("{title:>10} {url}", "takes no format"),
        ("{title {url}", "malformed"),
    ],
)
def test_bad_templates_are_refused_clearly(template: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        validate_template(template)
    with pytest.raises(ValueError, match=message):
        render_post(item(title="t"), channel(template=template), limits("outbox"))


def _config(tmp_path: Path, extra: str) -> Path:
    path = tmp_path / "xensocial.toml"
    path.write_text(
        '[[channels]]\nname = "c"\nnetwork = "outbox"\nslots = ["09:00"]\n' + extra,
        encoding="utf-8",
    )
    return path


def test_configuration_refuses_an_unknown_placeholder(tmp_path: Path) -> None:
    path = _config(tmp_path, 'template = "{title} {permalink}"\n')
    with pytest.raises(ConfigError) as info:
        load_settings(path, env={})
    message = str(info.value)
    assert "channels[0].template" in message
    assert "{permalink}" in message


def test_configuration_reads_utm_and_hashtags(tmp_path: Path) -> None:
    path = _config(
        tmp_path,
        '[channels.utm]\nsource = "mastodon"\nutm_medium = "social"\n'
        '[channels.hashtags]\nxen = "Xen Project"\nmisc = ""\n',
    )
    c = load_settings(path, env={}).channels[0]
    assert c.utm == {"utm_source": "mastodon", "utm_medium": "social"}
    assert c.hashtags == {"xen": "Xen Project", "misc": ""}


def test_configuration_default_has_no_utm(tmp_path: Path) -> None:
    c = load_settings(_config(tmp_path, ""), env={}).channels[0]
    assert c.utm == {} and c.hashtags == {}
    assert render_post(item(title="t"), c, limits("outbox")) == f"t\n\n{URL}"


@pytest.mark.parametrize(
    ("extra", "key"),
    [
        ('[channels.utm]\nsorce = "x"\n', "channels[0].utm.sorce"),
        ('[channels.utm]\nsource = ""\n', "channels[0].utm.source"),
        ("utm = 3\n", "channels[0].utm"),
        ("[channels.hashtags]\nxen = 1\n", "channels[0].hashtags"),
    ],
)
def test_configuration_refuses_bad_utm_and_hashtags(tmp_path: Path, extra: str, key: str) -> None:
    with pytest.raises(ConfigError, match=key.replace("[", r"\[").replace("]", r"\]")):
        load_settings(_config(tmp_path, extra), env={})


def test_renders_an_item_read_back_from_the_queue(engine: Engine, clock: FakeClock) -> None:
    queue = ContentQueue(engine, clock=clock)
    added = queue.add(
        NewItem(url=URL, channels=["c"], title="Xen 4.20", text="Out now.", tags=["xen", "Xen"])
    )
    view = queue.get(added.id)
    assert render_post(view, channel("mastodon"), limits("mastodon")) == (
        f"Out now.\n\n{URL}\n\n#xen"
    )


# -- UTM -----------------------------------------------------------------------------------------


def test_utm_is_off_by_default() -> None:
    assert URL in render_post(item(title="t"), channel(), limits("outbox")).split()


def test_utm_parameters_are_added_when_configured() -> None:
    c = channel(utm={"utm_source": "mastodon", "utm_medium": "social", "utm_campaign": "xen 4.20"})
    got = render_post(item(title="t"), c, limits("outbox"))
    assert f"{URL}?utm_source=mastodon&utm_medium=social&utm_campaign=xen%204.20" in got.split()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://e.org/a?x=1", "https://e.org/a?x=1&utm_source=s&utm_medium=m"),
        ("https://e.org/a?utm_source=keep", "https://e.org/a?utm_source=keep&utm_medium=m"),
        (
            "https://e.org/a?UTM_SOURCE=keep&utm_medium=",
            "https://e.org/a?UTM_SOURCE=keep&utm_medium=",
        ),
        ("https://e.org/a#part", "https://e.org/a?utm_source=s&utm_medium=m#part"),
        ("https://e.org/a?q=a%20b+c", "https://e.org/a?q=a%20b+c&utm_source=s&utm_medium=m"),
    ],
)
def test_utm_never_duplicates_an_existing_parameter(url: str, expected: str) -> None:
    assert with_utm(url, {"utm_source": "s", "utm_medium": "m"}) == expected


def test_a_non_ascii_path_is_percent_encoded_so_the_link_stays_whole() -> None:
    got = render_post(item(url="https://例え.jp/パス?q=é#frag"), channel("x"), limits("x"))
    posted = "https://例え.jp/%E3%83%91%E3%82%B9?q=%C3%A9#frag"
    assert got == posted
    assert find_urls(got) == [(0, len(posted))]
    assert _x_links(got) == [(0, len(posted))]  # as X sees it


def _x_links(text: str) -> list[tuple[int, int]]:
    """The links in `text` as twitter-text finds them."""
    return [(u["indices"][0], u["indices"][1]) for u in extract_urls_with_indices(text)]


# -- hashtags ------------------------------------------------------------------------------------


def test_hashtags_through_the_mapping() -> None:
    mapping = {"xen": "Xen Project", "ml": "#ML #AI", "misc": "", "Security": "infosec"}
    tags = ["xen", "open-source", "ml", "misc", "security", "Open Source", "2026", "c'est la vie"]
    assert hashtags_for(tags, mapping) == [
        "#XenProject",
        "#OpenSource",
        "#ML",
        "#AI",
        "#infosec",  # the mapping is looked up ignoring case
        "#CestLaVie",
    ]


def test_hashtags_in_a_post() -> None:
    got = render_post(
        item(title="t", tags=("virtualization", "xen", "Xen")),
        channel(hashtags={"xen": "XenProject"}),
        limits("outbox"),
    )
    assert got.endswith("\n\n#virtualization #XenProject")


# -- truncation ----------------------------------------------------------------------------------

WORDS = "The Xen Project hypervisor release brings faster live migration, better ARM support " * 5


def test_hashtags_are_dropped_first_when_that_is_enough() -> None:
    it = item(text="Short text.", tags=("one", "two", "three"))
    full = render_post(it, channel(), limits("outbox"))
    assert full.endswith("#one #two #three")
    shorter = render_post(it, channel(), limits("outbox", len(full) - 3))
    assert shorter == f"Short text.\n\n{URL}\n\n#one #two"
    none = render_post(it, channel(), limits("outbox", len(f"Short text.\n\n{URL}")))
    assert none == f"Short text.\n\n{URL}"


def test_text_is_cut_at_a_word_boundary_with_an_ellipsis() -> None:
    got = render_post(item(text=WORDS, tags=("xen",)), channel("x"), limits("x", 80))
    head, url = got.split("\n\n")
    assert url == URL  # hashtags gone, URL whole
    assert head.endswith("…")
    assert WORDS.startswith(head[:-1])
    assert WORDS[len(head) - 1] == " "  # the cut fell between two words
    assert not head[:-1].endswith((",", " "))
    assert measure("x", got) <= 80
    # and it is the longest such cut: one more word would not fit
    next_word = WORDS[: WORDS.index(" ", len(head))]
    assert measure("x", f"{next_word.rstrip(',')}…\n\n{URL}") > 80


def test_title_is_cut_when_the_template_uses_it() -> None:
    c = channel("bluesky", template="{title} — {url}")
    got = render_post(item(title=WORDS), c, limits("bluesky", 120))
    assert got.endswith(f"… — {URL}")
    assert measure("bluesky", got) <= 120


def test_cjk_text_is_cut_between_characters() -> None:
    text = "故人西辞黄鹤楼，烟花三月下扬州。孤帆远影碧空尽，唯见长江天际流。"
    got = render_post(item(text=text), channel("x"), limits("x", 23 + 2 + 12))
    head = got.split("\n\n")[0]
    assert head == "故人西辞黄…"  # 5 characters of weight 2, and the ellipsis weighs 2
    assert measure("x", got) <= 37


LONG_WORD = "Donaudampfschifffahrtselektrizitätenhauptbetriebswerkbauunterbeamtengesellschaft"


@pytest.mark.parametrize("template", [None, "{title} — {url}", "{category}: {title} {url}"])
def test_a_title_that_is_one_long_word_is_cut_not_dropped(template: str | None) -> None:
    got = render_post(item(title=LONG_WORD), channel(template=template), limits("outbox", 90))
    head = got.split(URL)[0].rstrip(" —\n")
    assert head.endswith("…") and len(head) > 10
    assert LONG_WORD.startswith(head.removeprefix("news: ")[:-1])
    assert len(got) <= 90
    # and it is the longest such cut: one more letter would not fit
    assert len(got.replace("…", LONG_WORD[len(head.removeprefix("news: ")) - 1] + "…")) > 90


def test_a_long_word_gives_way_whole_when_a_title_comes_after_it() -> None:
    """Only the last field to give way is cut inside a word: a text that is one long word is
    dropped, as before, so that the title is kept whole rather than both cut to stubs."""
    c = channel(template="{title}: {text} {url}")
    got = render_post(item(title="Xen 4.21", text=LONG_WORD * 2), c, limits("outbox", 80))
    assert got == f"Xen 4.21: {URL}"


def test_a_link_in_a_title_is_never_cut_inside() -> None:
    title = "https://example.org/" + "p" * 80
    got = render_post(item(title=title), channel(template="{title} {url}"), limits("outbox", 90))
    assert got == URL  # not "https://example.org/ppp…", a link to somewhere else


def test_a_bytes_cap_cuts_what_the_length_alone_would_let_through() -> None:
    """Bluesky: 300 graphemes and 3,000 bytes. 200 family emoji are 200 graphemes and 3,600
    bytes: the title is cut inside its one word to fit both."""
    family = "👨‍👩‍👧"
    caps = TextLimits(max_length=300, max_bytes=3000)
    got = render_post(item(title=family * 200), channel("bluesky"), caps)
    head = got.split("\n\n")[0]
    assert head == family * head.count(family) + "…"
    assert measure("bluesky", got) <= 300 and len(got.encode()) <= 3000
    assert len(got.encode()) + len(family.encode()) > 3000  # the longest that fits


def test_a_bytes_cap_the_fixed_words_pass_is_named_in_bytes() -> None:
    c = channel("bluesky", template="{category} {title} {url}")
    caps = TextLimits(max_length=300, max_bytes=3000)
    with pytest.raises(TextTooLong) as info:
        render_post(item(title="Xen", category="👨‍👩‍👧" * 170), c, caps)
    minimal = "👨‍👩‍👧" * 170 + " " + URL  # 220 graphemes, 3,110 bytes
    assert (info.value.counted, info.value.limit, info.value.unit) == (
        len(minimal.encode()),
        3000,
        "bytes",
    )
    assert f"it counts {len(minimal.encode()):,} bytes, over the limit of 3,000 bytes" in str(
        info.value
    )


def test_a_long_url_fits_on_x_but_not_on_bluesky() -> None:
    long_url = "https://example.org/" + "a" * 400
    it = item(url=long_url, title="A title")
    assert render_post(it, channel("x"), limits("x")) == f"A title\n\n{long_url}"
    with pytest.raises(TextTooLong) as info:
        render_post(it, channel("bluesky"), limits("bluesky"))
    assert (info.value.network, info.value.counted, info.value.limit) == ("bluesky", 420, 300)
    assert str(info.value).startswith(
        "too long for channel 'c' (bluesky): even shortened it counts 420, over the limit of 300"
    )
    assert isinstance(info.value, BadInput)  # the CLI's exit 2


def test_check_fits() -> None:
    check_fits(item(title="fine"), channel("x"), limits("x"))
    with pytest.raises(TextTooLong):
        check_fits(
            item(title="fine"), channel("outbox", template="{title} {url}"), limits("outbox", 20)
        )


def test_template_words_and_category_are_never_cut() -> None:
    c = channel(template="Read this in our {category} section: {title} {url}")
    with pytest.raises(TextTooLong) as info:
        render_post(item(title="t", category="security"), c, limits("outbox", 40))
    minimal = f"Read this in our security section: {URL}"
    assert info.value.counted == len(minimal)


def test_a_third_party_network_counts_characters_and_its_link_weight() -> None:
    it = item(url="https://example.org/" + "a" * 100, title="hello")
    with pytest.raises(TextTooLong):
        render_post(it, channel("myplugin"), TextLimits(max_length=50))
    got = render_post(it, channel("myplugin"), TextLimits(max_length=50, url_length=23))
    assert got == f"hello\n\n{it.url}"


# -- the property --------------------------------------------------------------------------------

_URLS = [
    "https://a.co",
    URL,
    "https://example.org/" + "x" * 60 + "?id=42&ref=feed",
    "https://example.org/wiki/Xen_(hypervisor)",
    "https://例え.jp/パス",
    "https://example.org/" + "y" * 330,
]
_PIECES = list("abcdefXYZ0123 ,.!?-'\n") + ["漢", "字", "é", "e\u0301", "👍", "👨\u200d👩\u200d👧"]
_WORD = st.lists(st.sampled_from(_PIECES), max_size=30).map("".join)
_TEXT = st.lists(_WORD, max_size=40).map(" ".join)
# What is left of each template when every word is cut away: never cut, so it must fit alone.
_TEMPLATES = {
    None: "{url}",
    "{title}\n{text}\n{url} {hashtags}": "{url}",
    "{title}: {url}": ": {url}",
}


@settings(max_examples=300, deadline=None)
@given(
    network=st.sampled_from(["x", "mastodon", "bluesky", "linkedin", "facebook", "outbox"]),
    url=st.sampled_from(_URLS),
    title=_TEXT,
    text=_TEXT,
    tags=st.lists(st.text(alphabet="abcXYZ é-", min_size=1, max_size=12), max_size=6),
    limit=st.integers(min_value=20, max_value=300),
    max_bytes=st.none() | st.integers(min_value=40, max_value=1200),
    template=st.sampled_from(list(_TEMPLATES)),
    utm=st.booleans(),
)
def test_rendered_text_always_fits_and_keeps_the_url_whole(
    network: str,
    url: str,
    title: str,
    text: str,
    tags: list[str],
    limit: int,
    max_bytes: int | None,
    template: str | None,
    utm: bool,
) -> None:
    c = channel(network, template=template, utm={"utm_source": "feed"} if utm else None)
    it = item(url=url, title=title, text=text, tags=tuple(tags))
    encoded = {"https://例え.jp/パス": "https://例え.jp/%E3%83%91%E3%82%B9"}
    url_as_posted = encoded.get(url, url)
    sep = "&" if "?" in url else "?"
    posted_url = f"{url_as_posted}{sep}utm_source=feed" if utm else url_as_posted
    minimal = _TEMPLATES[template].format(url=posted_url)
    try:
        got = render_post(it, c, TextLimits(max_length=limit, max_bytes=max_bytes))
    except TextTooLong as exc:
        event("too long even shortened")
        if measure(network, minimal) > limit:
            assert (exc.counted, exc.unit) == (measure(network, minimal), "")
        else:
            assert max_bytes is not None and utf8_size(minimal) > max_bytes
            assert (exc.counted, exc.unit) == (utf8_size(minimal), "bytes")
        return
    event("shortened" if "…" in got else "whole")
    assert measure(network, got) <= limit
    assert max_bytes is None or utf8_size(got) <= max_bytes
    assert posted_url in got.split()
    if network == "x":
        # X sees the whole URL as one link: nothing glued to it.
        assert any(got[s:e] == posted_url for s, e in _x_links(got))


_X_URLS = [URL, "https://例え.jp/パス", "https://xn--bcher-kva.de/straße?q=ü", "https://a.co"]


@settings(max_examples=200, deadline=None)
@given(
    url=st.sampled_from(_X_URLS),
    title=posts(max_pieces=12),
    text=posts(max_pieces=60),
    limit=st.integers(min_value=40, max_value=280),
)
def test_what_we_cut_for_x_fits_as_x_counts_it(url: str, title: str, text: str, limit: int) -> None:
    """Mixed scripts, emoji sequences and links in the words: the cut post is within the
    limit as twitter-text counts it, and the item's link is whole."""
    c = channel("x", template="{title}\n{text}\n{url}")
    try:
        got = render_post(item(url=url, title=title, text=text), c, TextLimits(max_length=limit))
    except TextTooLong as exc:
        event("too long even shortened")
        assert exc.counted > limit
        return
    event("shortened" if "…" in got else "whole")
    assert parse_tweet(got).weightedLength <= limit
    posted_url = channel_url(url, c)
    assert any(got[s:e] == posted_url for s, e in _x_links(got))
