"""Hypothesis strategies for post texts that mix scripts, emoji, links and X's entities.

Written to find where a counter of X's weighted length can go wrong, so each piece sits near a
rule of twitter-text: the weight ranges (Latin 1, CJK, Arabic and Devanagari outside them 2),
emoji sequences (skin tones, ZWJ sequences older and newer than the reference's emoji data,
flags, keycaps, tag sequences, stray joiners and selectors), links (with and without a
protocol, international hosts and top-level domains, ports, paths with parentheses and
trailing punctuation, queries, t.co), `@mentions`, `#hashtags`, `$cashtags`, every kind of
space and line break, directional marks and decomposed accents (NFC). Pieces are glued together
or separated by whitespace, so a link can touch a word, an emoji or punctuation.
"""

from __future__ import annotations

from hypothesis import strategies as st

__all__ = ["emoji_sequences", "links", "posts", "words"]

_LATIN = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_éüßçøÅñœ"
_CJK = "漢字日本語中文繁體한국어ひらがなカタカナーの世界"
_ARABIC = "مرحبابالعالمكتاب٠١٢٣"
_DEVANAGARI = "नमस्तेक्षत्रियहिंदी"
_CYRILLIC = "приветмирЁё"
_THAI = "สวัสดีครับ"
# Decomposed letters: NFC turns each into one code point.
_DECOMPOSED = ["e\u0301", "A\u030a", "n\u0303", "\u304b\u3099"]

_SINGLE_EMOJI = [
    # Unicode 12 and older (in the reference's data)
    "👍", "😀", "❤", "❤️", "☺", "☺️", "©", "©️", "™", "↔", "↔️", "⌚", "🧑", "👨", "👩", "👧",
    "🏳", "🏳️", "🌈", "💻", "🚀", "🔥", "🦰", "⚧", "⚧️", "♀️", "♂", "🐦", "⬛", "🎉", "🇳", "🇱",
    # Unicode 13 to 15.1 (newer than the reference's data)
    "🫠", "🥹", "🫶", "🩷", "🪿", "🫎", "🪼", "🫨", "🥷", "🫂", "🪄", "🫱", "🫲", "🧌", "🪩",
]  # fmt: skip
_SKIN_TONES = ["\U0001f3fb", "\U0001f3fc", "\U0001f3fd", "\U0001f3fe", "\U0001f3ff"]
_WHOLE_EMOJI = [
    "👨\u200d👩\u200d👧\u200d👦",  # family (old)
    "🧑🏿\u200d💻",  # technologist with skin tone (newer than the reference's data)
    "👩🏽\u200d🚀",
    "🏳️\u200d🌈",
    "🏳️\u200d⚧️",  # transgender flag (Unicode 13)
    "❤️\u200d🔥",  # heart on fire (13.1)
    "🧔\u200d♀️",  # woman with beard (13.1)
    "🐦\u200d🔥",  # phoenix (15.1)
    "🐦\u200d⬛",  # black bird (15)
    "🙂\u200d↔️",  # head shaking (15.1)
    "🫱🏼\u200d🫲🏿",  # handshake with two tones (14)
    "👩\u200d❤️\u200d💋\u200d👨",
    "🇳🇱", "🇺🇦", "🇯🇵", "🇦",  # flags, and a lone regional indicator
    "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",  # Scotland (tag sequence)
    "1️⃣", "#️⃣", "*️⃣", "1⃣",  # keycaps
    "\u200d", "\ufe0f", "\ufe0e",  # stray joiner and selectors
]  # fmt: skip

_SPACES = [" ", " ", " ", "\n", "\n\n", "\r\n", "\r", "\t", "\u00a0", "\u3000", "\u2028", "\u200b"]
_PUNCTUATION = list(".,;:!?-()[]{}\"'/&*+=%~|<>^`\\") + [
    "…", "—", "–", "«", "»", "「", "」", "、", "。", "，", "！", "？", "؟", "،", "·", "•", "’", "“",
]  # fmt: skip
_MARKS = ["\u200e", "\u200f", "\u202a", "\u202e", "\u2066", "\u2069", "\u061c", "\ufeff", "\ufffe"]

_ASCII_LABELS = ["example", "xen", "www", "news", "a", "my-site", "x_y", "t", "xn--bcher-kva"]
_IDN_LABELS = ["bücher", "münchen", "straße", "例え", "日本語", "пример", "مثال", "उदाहरण", "ñandú"]
_TLDS = [
    "com", "org", "net", "dev", "app", "museum", "photography", "io", "de", "jp", "co", "tv",
    "uk", "fr", "рф", "中国", "한국", "みんな", "xn--p1ai", "example", "zz", "localhost", "c",
]  # fmt: skip
_PATH_PIECES = [
    "news", "2026", "xen-4-20", "a_b", "~user", "%E3%83%91", "straße", "パス", "путь", "(x)",
    "wiki/Xen_(hypervisor)", "index.html", "@user", "a,b", "!", "*", "'", ";", ":", "=", "+", "$",
]  # fmt: skip
_QUERY_PIECES = ["q=ü", "id=42", "ref=feed&x=1", "a=b.c", "s=%20", "t=1;2", "u=(x)", "v=日本"]


def words() -> st.SearchStrategy[str]:
    """A run of letters from one script (or decomposed accents)."""
    return st.one_of(
        st.text(alphabet=_LATIN, min_size=1, max_size=12),
        st.text(alphabet=_CJK, min_size=1, max_size=6),
        st.text(alphabet=_ARABIC, min_size=1, max_size=8),
        st.text(alphabet=_DEVANAGARI, min_size=1, max_size=8),
        st.text(alphabet=_CYRILLIC, min_size=1, max_size=8),
        st.text(alphabet=_THAI, min_size=1, max_size=6),
        st.lists(st.sampled_from(_DECOMPOSED), min_size=1, max_size=3).map("".join),
    )


def emoji_sequences() -> st.SearchStrategy[str]:
    """Whole sequences as keyboards send them, and made-up ones: pictographs with optional
    presentation selectors and skin tones, joined by ZWJ (X's reference counts an unknown
    sequence as its parts)."""
    element = st.tuples(
        st.sampled_from(_SINGLE_EMOJI),
        st.sampled_from(["", "", "\ufe0f"]),
        st.sampled_from(["", "", *_SKIN_TONES]),
    ).map("".join)
    made_up = st.lists(element, min_size=1, max_size=4).map("\u200d".join)
    return st.one_of(st.sampled_from(_WHOLE_EMOJI), made_up)


def _host() -> st.SearchStrategy[str]:
    labels = st.lists(
        st.one_of(st.sampled_from(_ASCII_LABELS), st.sampled_from(_IDN_LABELS)),
        min_size=1,
        max_size=3,
    )
    return st.tuples(labels, st.sampled_from(_TLDS)).map(lambda p: ".".join([*p[0], p[1]]))


def links() -> st.SearchStrategy[str]:
    """A link as people paste it: protocol or not, ASCII or international host, port, path,
    query, fragment, and sometimes punctuation right after it."""
    path = st.lists(st.sampled_from(_PATH_PIECES), max_size=4).map(
        lambda parts: "/" + "/".join(parts) if parts else ""
    )
    query = st.lists(st.sampled_from(_QUERY_PIECES), max_size=3).map(
        lambda parts: "?" + "&".join(parts) if parts else ""
    )
    general = st.tuples(
        st.sampled_from(["", "", "http://", "https://", "HTTPS://", "ftp://"]),
        _host(),
        st.sampled_from(["", "", ":8080", ":"]),
        path,
        query,
        st.sampled_from(["", "", "", "#top", "#"]),
        st.sampled_from(["", "", "", ".", ",", ")", "!", "?", "…", "'s", "。"]),
    ).map("".join)
    tco = st.text(alphabet="abcXYZ0189", min_size=1, max_size=45).map(lambda s: "https://t.co/" + s)
    return st.one_of(general, tco)


def _entity() -> st.SearchStrategy[str]:
    """`@mention`, `#hashtag`, `$cashtag` (full-width signs too), or an e-mail address."""
    sign = st.sampled_from(["@", "#", "$", "＠", "＃"])
    name = st.one_of(words(), st.sampled_from(["XEN", "1.50", "user_name", "x.y", "ユーザー"]))
    tagged = st.tuples(sign, name).map("".join)
    email = st.tuples(words(), _host()).map(lambda p: f"{p[0]}@{p[1]}")
    return st.one_of(tagged, email)


def _piece() -> st.SearchStrategy[str]:
    return st.one_of(
        words(),
        words(),
        emoji_sequences(),
        links(),
        _entity(),
        st.sampled_from(_PUNCTUATION),
        st.sampled_from(_MARKS),
    )


def posts(max_pieces: int = 24) -> st.SearchStrategy[str]:
    """A post: pieces glued together or separated by whitespace, in any order."""
    gap = st.one_of(st.just(""), st.sampled_from(_SPACES))
    return st.lists(st.tuples(_piece(), gap), max_size=max_pieces).map(
        lambda pairs: "".join(piece + sep for piece, sep in pairs)
    )
