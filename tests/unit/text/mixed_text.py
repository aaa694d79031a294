"""Hypothesis strategies for post texts that mix scripts, emoji, links and X's entities.

Written to find where a counter of X's weighted length can go wrong, so each piece sits near a
rule of twitter-text: the weight ranges (Latin 1, CJK, Arabic and Devanagari outside them 2),
emoji sequences (skin tones, ZWJ sequences older and newer than the reference's emoji data,
flags, keycaps, tag sequences, stray joiners and selectors), links (with and without a
protocol, international hosts and top-level domains, ports, paths with parentheses and
trailing punctuation, queries, t.co), `@mentions`, `#hashtags`, `$cashtags`, e-mail addresses,
every kind of space and line break, directional marks and decomposed accents (NFC). Pieces are
glued together or separated by whitespace, so a link can touch a word, an emoji or
punctuation; a quarter of the posts start with a long plain text, so that many end near X's
limit of 280.

Hypothesis spends its time per choice, not per character, so the pieces come from pools made
once (words drawn with a fixed seed from each script's letters, hosts, paths and queries
combined from their parts): a word is one choice, a link six. What the 20,000 examples vary is
which pieces meet, in what order and glued how.
"""

from __future__ import annotations

import itertools
import random

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


def _pool(alphabet: str, count: int, longest: int) -> list[str]:
    rng = random.Random(alphabet)  # a str seed is stable across runs (not hash-randomised)
    return sorted({"".join(rng.choices(alphabet, k=rng.randint(1, longest))) for _ in range(count)})


def _joined(parts: list[str], most: int, sep: str, count: int) -> list[str]:
    """`count` sequences of up to `most` of `parts` joined by `sep` (fixed seed), and ""."""
    rng = random.Random(sep.join(parts))
    made = {sep.join(rng.choices(parts, k=rng.randint(1, most))) for _ in range(count)}
    return ["", *sorted(made)]


_WORDS = [
    *_pool(_LATIN, 120, 12),
    *_pool(_CJK, 60, 6),
    *_pool(_ARABIC, 40, 8),
    *_pool(_DEVANAGARI, 40, 8),
    *_pool(_CYRILLIC, 30, 8),
    *_pool(_THAI, 20, 6),
    *_DECOMPOSED,
    *(a + b for a in _DECOMPOSED for b in ("x", "\u0301")),
]
_HOSTS = [
    ".".join([*labels, tld])
    for tld in _TLDS
    for size in (1, 2)
    for labels in itertools.product(_ASCII_LABELS + _IDN_LABELS, repeat=size)
]
_PATHS = ["/" + p if p else "" for p in _joined(_PATH_PIECES, 4, "/", 300)]
_QUERIES = ["?" + q if q else "" for q in _joined(_QUERY_PIECES, 3, "&", 60)]
# `@mention`, `#hashtag`, `$cashtag` (full-width signs too) and e-mail addresses.
_ENTITIES = [
    *(
        sign + name
        for sign in ("@", "#", "$", "＠", "＃")
        for name in [*_WORDS[::9], "XEN", "1.50", "user_name", "x.y", "ユーザー"]
    ),
    *(f"{name}@{host}" for name, host in zip(_WORDS[::7], _HOSTS[::97], strict=False)),
]
_ATOMS = [*_WORDS, *_WORDS, *_WHOLE_EMOJI, *_PUNCTUATION, *_MARKS, *_ENTITIES]
# Long plain openings: after one, the rest of the post decides whether it fits in 280.
_OPENINGS = [
    *[""] * 12,
    " ".join(_pool(_LATIN, 40, 8))[:240],
    "".join(_pool(_CJK, 40, 6))[:120],
    " ".join(_pool(_ARABIC + _DEVANAGARI, 30, 8))[:130],
    "Xen 4.20: " + "漢字 and text, " * 18,
]


def words() -> st.SearchStrategy[str]:
    """A run of letters from one script (or decomposed accents)."""
    return st.sampled_from(_WORDS)


def emoji_sequences() -> st.SearchStrategy[str]:
    """Whole sequences as keyboards send them, and made-up ones: pictographs with optional
    presentation selectors and skin tones, joined by ZWJ (X's reference counts an unknown
    sequence as its parts)."""
    elements = [
        emoji + selector + tone
        for emoji in _SINGLE_EMOJI
        for selector in ("", "\ufe0f")
        for tone in ("", *_SKIN_TONES)
    ]
    made_up = st.lists(st.sampled_from(elements), min_size=1, max_size=4).map("\u200d".join)
    return st.one_of(st.sampled_from(_WHOLE_EMOJI), made_up)


def links() -> st.SearchStrategy[str]:
    """A link as people paste it: protocol or not, ASCII or international host, port, path,
    query, fragment, and sometimes punctuation right after it; and t.co links."""
    general = st.tuples(
        st.sampled_from(["", "", "http://", "https://", "HTTPS://", "ftp://"]),
        st.sampled_from(_HOSTS),
        st.sampled_from(["", "", "", ":8080", ":"]),
        st.sampled_from(_PATHS),
        st.sampled_from(_QUERIES),
        st.sampled_from(["", "", "", "", ".", ",", ")", "!", "?", "…", "'s", "。", "#top", "#"]),
    ).map("".join)
    slugs = ["a", "abc123", "XYZ0189abc", "x" * 40, "y" * 41, "abc-def", "abc/def"]
    return st.one_of(general, st.sampled_from(["https://t.co/" + s for s in slugs]))


def posts(max_pieces: int = 24) -> st.SearchStrategy[str]:
    """A post: pieces glued together or separated by whitespace, in any order, after an
    opening that is usually empty and sometimes long."""
    atoms = st.sampled_from(_ATOMS)
    piece = st.one_of(atoms, atoms, atoms, emoji_sequences(), links())
    gap = st.sampled_from(["", "", "", *_SPACES])
    pieces = st.lists(st.tuples(piece, gap), max_size=max_pieces)
    return st.tuples(st.sampled_from(_OPENINGS), pieces).map(
        lambda p: p[0] + "".join(text + sep for text, sep in p[1])
    )
