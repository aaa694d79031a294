"""Where the links are in a text, found the way twitter-text finds them.

X and Mastodon count a link as 23 characters whatever its length, so a counter must agree with
them about where each link starts and ends: a trailing full stop is not part of the link, a
domain label longer than 63 characters (after punycode) makes it no link at all, and a bare
`example.com` is a link on X but not on Mastodon. These rules follow twitter-text v3
(`extractUrlsWithIndices`), which Mastodon reuses with the protocol required.

Simplifications, each erring towards counting a text as longer than the network does (so a post
we call fitting always fits): with a protocol, any alphabetic top-level domain is accepted
(twitter-text keeps a fixed list); without one, a two-letter domain is taken as a country code.
"""

from __future__ import annotations

import functools

import regex

__all__ = ["find_urls"]

# ASCII punctuation, spaces, invalid and directional characters cannot be part of a domain.
_NOT_DOMAIN = (
    r"\s!-/:-@\[-`{-~\u00A0\u1680\u180E\u2000-\u200A\u2028\u2029\u202F\u205F\u3000"
    r"\uFFFE\uFEFF\uFFFF\u202A-\u202E\u061C\u200E\u200F\u2066-\u2069"
)
_DC = rf"[^{_NOT_DOMAIN}]"
_IDN_TLD = rf"[^\x00-\x7F{_NOT_DOMAIN}]{{2,}}"
# Generic top-level domains recognised without a protocol ("example.com" is a link on X).
_GTLDS = (
    "com|org|net|edu|gov|mil|int|info|biz|name|pro|aero|coop|museum|travel|jobs|mobi|asia|"
    "tel|cat|post|xxx|app|dev|blog|news|online|site|tech|xyz|shop|store|club|cloud|page|"
    "social|media|website|space|live|life|world|today|link|digital|network|email|design|"
    "agency|studio|global|group|team|zone|tools|wiki|art|love|work|works|company|solutions|"
    "services|software|systems|technology|academy|center|events|church|foundation|fund|"
    "health|law|legal|london|berlin|paris|nyc|tokyo|amsterdam"
)
_PRECEDING_NOT = r"A-Za-z0-9@\uFF20$#\uFF03"
_PATH = r"a-z\p{Cyrillic}\p{Latin}0-9!*';:=+,.$/%#\[\]\-\u2013_~&|@"
_PATH_END = r"a-z\p{Cyrillic}\p{Latin}0-9=_#/+\-"
_QUERY = r"a-z0-9!?*'@();:&=+$/%#\[\]\-_.,~|"
_QUERY_END = r"a-z0-9\-_&=#/"
_MAX_URL = 4096
_MAX_LABEL = 63


@functools.cache
def _pattern() -> regex.Pattern[str]:
    with_protocol = (
        rf"(?P<proto>https?://)"
        rf"(?P<domain>(?:{_DC}+(?:[\-_]+{_DC}+)*\.)+"
        rf"(?:[a-z]{{2,63}}(?![a-z0-9@+\-])|xn--[a-z0-9\-]{{1,59}}|{_IDN_TLD}))"
    )
    without = (
        rf"(?<![\-_./])"
        rf"(?P<bare>(?:[a-z0-9](?:[a-z0-9\-_]*[a-z0-9])?\.)+"
        rf"(?P<tld>{_GTLDS}|[a-z]{{2}}|xn--[a-z0-9\-]{{1,59}})(?![a-z0-9@+\-]))"
    )
    tail = (
        r"(?::(?P<port>[0-9]+))?"
        rf"(?P<path>/(?:[{_PATH}]|\([{_PATH}]*\))*)?"
        rf"(?P<query>\?[{_QUERY}]*)?"
    )
    return regex.compile(
        rf"(?<![{_PRECEDING_NOT}])(?:{with_protocol}|{without}){tail}",
        regex.IGNORECASE | regex.VERSION0,
    )


def _labels_ok(domain: str) -> bool:
    for label in domain.split("."):
        if label.isascii():
            size = len(label)
        else:
            try:
                size = 4 + len(label.encode("punycode"))  # "xn--" + the encoded label
            except UnicodeError:
                return False
        if not 1 <= size <= _MAX_LABEL:
            return False
    return True


@functools.cache
def _ending(allowed_end: str) -> regex.Pattern[str]:
    return regex.compile(rf"(?:[{allowed_end}]|\([^()\s]*\))$", regex.IGNORECASE)


def _trim(part: str, allowed_end: str) -> str:
    """Drop trailing characters that cannot end a link part (a full stop, a comma, ...)."""
    end = _ending(allowed_end)
    while part and end.search(part) is None:
        part = part[:-1]
    return part


def find_urls(text: str, *, require_protocol: bool = False) -> list[tuple[int, int]]:
    """The [start, end) spans of the links in `text`, in order."""
    spans: list[tuple[int, int]] = []
    for m in _pattern().finditer(text):
        domain = m.group("domain") or m.group("bare")
        if m.group("proto") is None:
            if require_protocol:
                continue
            # A bare one-label country-code domain ("node.js", "foo.de") is a link only with a
            # path, as in twitter-text (its special short domains, such as "t.co", excepted).
            tld = m.group("tld").lower()
            if (
                len(tld) == 2
                and domain.count(".") == 1
                and not m.group("path")
                and tld not in ("co", "tv")
            ):
                continue
        if not _labels_ok(domain):
            continue
        end = m.end("domain") if m.group("proto") else m.end("bare")
        if m.group("port"):
            end = m.end("port")
        path = m.group("path")
        if path:
            trimmed = "/" + _trim(path[1:], _PATH_END)
            end = m.start("path") + len(trimmed)
            if len(trimmed) != len(path):
                path = None  # a query cannot follow a trimmed path
        query = m.group("query") if (path or not m.group("path")) else None
        if query:
            trimmed_q = _trim(query[1:], _QUERY_END)
            if trimmed_q:
                end = m.start("query") + 1 + len(trimmed_q)
        start = m.start("proto") if m.group("proto") else m.start("bare")
        if end - start > _MAX_URL:
            continue
        spans.append((start, end))
    return spans
