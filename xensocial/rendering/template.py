"""Item -> the exact text one channel posts: template, UTM parameters, hashtags, length rules.

One function decides the text (`render_post`), and the same function backs `queue add`'s check
(`xensocial.rendering.fit`), `preview` and the daemon (`xensocial.rendering.posts`), so what
staff are told fits is what is sent.

The steps: the channel's template is filled (placeholders {title} {text} {body} {url}
{hashtags} {category}; {body} is the text, or the title when there is no text), whitespace is
folded, and the result is measured in the network's unit (`xensocial.text.measure`), and in
UTF-8 bytes where the network caps that too (`TextLimits.max_bytes`: Bluesky's 3,000). When it
is too long, hashtags are dropped from the end first; if that is not enough, the words ({text},
{body}, then {title}) are cut at a word boundary and end with "…". A field that gives way before
another is dropped when not even its first word fits; the last one is cut inside its first word
instead (a title that is one long word), so a post never loses all its words to one long one.
The URL, the category and the template's own words are never cut: when they alone do not fit,
`TextTooLong` says so.
Neither is a channel's own text (`queue edit ID --channel NAME --text ...`): staff chose those
words for that network, so they are checked when set and posted as written.

Limits first, then work: before anything is rendered, the item's words are held to the queue's
size limits (`content_queue.limits.size_problem`: a title of 1,000 characters, a text of 10,000,
...), which only measures lengths; and a text is counted in a network's unit only when it is
short enough that it might fit (`countable`): X's counter (twitter-text) is quadratic on some
input ("a.a.a…": 3 s at 800 characters), so a text more than a few times the limit is taken as
too long without being counted. Every caller (`queue add`, `edit` and `import`, `preview`, the
daemon) goes through `render_post`, so none can do the slow work first.

An event reminder is an item whose text is `reminder_text` (`[editorial] reminder_text`,
"Reminder: {title} — {date}" by default, the date in the configuration's zone), made when the
reminder is due; the channel's template then renders it like any other item's text.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from ..errors import BadInput

if TYPE_CHECKING:
    from ..adapters.base import TextLimits
    from ..config import ChannelConfig

__all__ = [
    "DEFAULT_TEMPLATE",
    "ELLIPSIS",
    "PLACEHOLDERS",
    "UTM_KEYS",
    "Renderable",
    "TextTooLong",
    "channel_url",
    "check_sizes",
    "countable",
    "hashtags_for",
    "length_counter",
    "event_date",
    "reminder_text",
    "render_post",
    "validate_template",
    "with_utm",
]

PLACEHOLDERS = ("title", "text", "body", "url", "hashtags", "category")
DEFAULT_TEMPLATE = "{body}\n\n{url}\n\n{hashtags}"
UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "utm_id")
ELLIPSIS = "…"
# Scripts written without spaces between words: a text in them may be cut after any character.
_UNSPACED = r"[\p{Han}\p{Hiragana}\p{Katakana}\u3000-\u303F\uFF01-\uFF65]"
# Shortened first to last; {title} goes last because it is usually the shortest, best summary.
_SHORTENABLE = ("text", "body", "title")


class TextTooLong(BadInput, ValueError):
    """An item cannot be made to fit a channel, even with its words cut to nothing.

    `counted` is the length of the shortest text it could make, in `network`'s unit. It is a
    `BadInput` (the CLI answers exit 2 with the message: `queue add` refuses the item) and
    a `ValueError` (the daemon fails the delivery: the item cannot be rendered for this network).
    """

    def __init__(
        self,
        network: str,
        counted: int,
        limit: int,
        *,
        channel: str = "",
        own_text: bool = False,
        unit: str = "",
        problem: str = "",
    ) -> None:
        where = f"channel {channel!r} ({network})" if channel else network
        # In the network's unit, as before; in a named unit ("bytes"), said with the number.
        count, cap = (f"{counted:,} {unit}", f"{limit:,} {unit}") if unit else (counted, limit)
        if problem:  # a field too big to be rendered at all (see `check_sizes`)
            message = f"too long for {where}: {problem}"
        elif own_text:  # staff's own words for the channel: never cut, so they must fit as written
            message = (
                f"the text for {where} is too long: with the link and the template it counts "
                f"{count}, over the limit of {cap}; shorten it (it is never cut)"
            )
        else:
            message = (
                f"too long for {where}: even shortened it counts {count}, over the limit of "
                f"{cap} (the URL and the template's fixed text alone do not fit)"
            )
        super().__init__(message)
        self.network, self.counted, self.limit, self.channel = network, counted, limit, channel
        self.unit = unit


class Renderable(Protocol):
    """What rendering reads from an item: both `ItemView` and `NewItem` (before it is added)."""

    @property
    def url(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def category(self) -> str: ...
    @property
    def tags(self) -> Sequence[str]: ...


def validate_template(template: str) -> None:
    """Raise ValueError naming the problem when `template` is not a usable post template."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:  # a lone "{" or "}"
        raise ValueError(
            f"template is malformed ({exc}); write a literal brace as {{{{ or }}}}"
        ) from None
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in PLACEHOLDERS:
            raise ValueError(
                f"unknown placeholder {{{name}}} in template; expected "
                + ", ".join("{" + p + "}" for p in PLACEHOLDERS)
            )
        if spec or conversion:
            raise ValueError(f"placeholder {{{name}}} takes no format or conversion")


def with_utm(url: str, params: Mapping[str, str]) -> str:
    """`url` with the given utm_* parameters appended, keeping any the URL already has.

    The rest of the URL is left byte for byte as it was (no re-encoding of its query)."""
    if not params:
        return url
    parts = urlsplit(url)
    present = {key.lower() for key, _ in parse_qsl(parts.query, keep_blank_values=True)}
    extra = "&".join(
        f"{quote(key, safe='')}={quote(value, safe='')}"
        for key, value in params.items()
        if key.lower() not in present
    )
    if not extra:
        return url
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit(parts._replace(query=query))


_URL_SAFE = "!#$%&'()*+,/:;=?@[]~"


def _ascii_url(url: str) -> str:
    """`url` with non-ASCII characters of its path, query and fragment percent-encoded.

    X's link detection stops at the first character of a script it does not list (a Japanese
    path, say), which would leave part of the link as plain text; an encoded link is one link
    on every network. The host stays as written: the networks accept international domains."""
    if url.isascii():
        return url
    parts = urlsplit(url)
    return urlunsplit(
        parts._replace(
            path=quote(parts.path, safe=_URL_SAFE),
            query=quote(parts.query, safe=_URL_SAFE),
            fragment=quote(parts.fragment, safe=_URL_SAFE),
        )
    )


def channel_url(url: str, channel: ChannelConfig) -> str:
    """The link as `channel` posts it: non-ASCII path encoded, UTM parameters added if any."""
    return with_utm(_ascii_url(url.strip()), channel.utm)


def _hashtag(text: str) -> str:
    """'#' + the words of `text` run together, each capitalised when there are several."""
    # Apostrophes join ("c'est" -> "Cest"); other punctuation and spaces separate words.
    words = [w for w in re.split(r"[\W_]+", re.sub(r"['\u2019]", "", text.lstrip("#"))) if w]
    if not words:
        return ""
    # One word is kept as written; several are run together, each capitalised (CamelCase).
    joined = words[0] if len(words) == 1 else "".join(w[:1].upper() + w[1:] for w in words)
    # A hashtag needs a letter: "#2025" is not one on any of the networks.
    return "#" + joined if any(c.isalpha() for c in joined) else ""


def hashtags_for(tags: Sequence[str], mapping: Mapping[str, str]) -> list[str]:
    """The hashtags of an item's tags: through `mapping` (tag -> hashtag text; an empty text
    drops the tag), else the tag itself; duplicates (ignoring case) removed, order kept."""
    lowered = {k.lower(): v for k, v in mapping.items()}
    out: list[str] = []
    seen: set[str] = set()
    for tag in tags:
        source = mapping.get(tag, lowered.get(tag.lower(), tag))
        for part in source.split() if source.strip().startswith("#") else [source]:
            tag_text = _hashtag(part)
            if tag_text and tag_text.lower() not in seen:
                seen.add(tag_text.lower())
                out.append(tag_text)
    return out


def _fold_line(text: str) -> str:
    """All whitespace, line breaks included, run together into single spaces."""
    return " ".join(text.split())


def _fold(text: str) -> str:
    """Spaces and tabs run together, lines trimmed, at most one blank line in a row."""
    lines = [re.sub(r"[^\S\n]+", " ", line).strip() for line in text.splitlines()]
    folded = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", folded).strip()


def _fill(template: str, values: Mapping[str, str]) -> str:
    return _fold(template.format_map(values))


def _cut_points(text: str) -> list[int]:
    """Where `text` may be cut, in order: before each space, and after each character of a
    script written without spaces (Chinese, Japanese), whose characters are its word breaks."""
    import regex

    return sorted(
        {m.start() for m in re.finditer(r"\s+", text) if m.start() > 0}
        | {m.end() for m in regex.finditer(_UNSPACED, text) if m.end() < len(text)}
    )


def _shorten(text: str, cut: int) -> str:
    # No dangling punctuation before the ellipsis: "word, …" reads badly.
    head = re.sub(r"[\s,;:.\-–—(\[{\"'«、，。]+$", "", text[:cut])
    return head + ELLIPSIS if head else ""


def _inside_word_cuts(value: str) -> list[int]:
    """Where `value` may be cut when not even its first word fits: after any grapheme of that
    word, except inside a link (a link cut short would lead somewhere else)."""
    import regex

    from ..text import find_urls

    first = value.split(maxsplit=1)[0] if value.strip() else ""
    start = len(value) - len(value.lstrip())
    links = find_urls(first, require_protocol=True)
    cuts = []
    for m in regex.finditer(r"\X", first):
        if not any(a < m.end() < b for a, b in links):
            cuts.append(start + m.end())
    return cuts[:-1]  # the whole word is no cut


def _fit_field(
    value: str, fits: Callable[[str], bool], *, inside_words: bool = False
) -> str | None:
    """The longest form of `value` cut at a word break that fits, or None when none does;
    with `inside_words`, when no word break does, the longest cut inside its first word."""
    short = _fit_at(value, [c for c in _cut_points(value) if _shorten(value, c)], fits)
    if short is None and inside_words:
        short = _fit_at(value, [c for c in _inside_word_cuts(value) if _shorten(value, c)], fits)
    return short


def _fit_at(value: str, candidates: list[int], fits: Callable[[str], bool]) -> str | None:
    """The longest `_shorten(value, cut)` for a cut in `candidates` (ascending) that fits."""
    # Binary search on the cut (the length grows with the prefix), then step back in case a cut
    # changed what counts as a link.
    lo, hi, best = 0, len(candidates) - 1, -1
    while lo <= hi:
        mid = (lo + hi) // 2
        if fits(_shorten(value, candidates[mid])):
            best, lo = mid, mid + 1
        else:
            hi = mid - 1
    for i in range(max(best, 0), -1, -1):
        short = _shorten(value, candidates[i]) if candidates else ""
        if short and fits(short):
            return short
    return None


def length_counter(network: str, limits: TextLimits) -> Callable[[str], int]:
    """How `network` counts a text's length: `xensocial.text.measure` for the networks it
    knows; for a third-party one, characters with each link at the adapter's `url_length` when
    it sets one. The one counter: `render_post` fits with it, `preview` shows its count."""
    # Imported here: the counting rules load `regex`, which reading the configuration (that
    # validates templates with this module) does not need.
    from ..text import NETWORKS, find_urls, measure

    if network in NETWORKS:
        return lambda text: measure(network, text)
    # A third-party network: characters, with links at the adapter's fixed weight if it has one.
    if limits.url_length is None:
        return len
    url_length = limits.url_length

    def count(text: str) -> int:
        spans = find_urls(text, require_protocol=True)
        return len(text) - sum(end - start for start, end in spans) + url_length * len(spans)

    return count


# A text longer than this many times a network's limit (in code points, besides the post's link)
# is too long without being counted: no network counts a character as less than one, except
# within links (23 on X and Mastodon) and graphemes of several code points. Room for a post with
# a long link or two in its words; small enough that X's quadratic counter stays under a second.
OVER_LIMIT = 2


def countable(text: str, limit: int, *, link: int = 0, max_bytes: int | None = None) -> bool:
    """Whether `text` is short enough to be worth counting against `limit` (in a network's
    unit): at most `OVER_LIMIT` times the limit in code points, plus `link`, the length of the
    post's own link (which X and Mastodon count as 23 whatever its length). A longer text
    cannot fit; counting it could take minutes (see the module's docstring). Where the network
    also caps the size in bytes (`max_bytes`), that cap is the bound instead: a code point is
    at least one byte, so it is exact, and such networks count graphemes, which is cheap."""
    if max_bytes is not None:
        return len(text) <= max_bytes
    return len(text) <= OVER_LIMIT * limit + link


def check_sizes(item: Renderable, channel: ChannelConfig, *, own_text: str | None = None) -> None:
    """Raise TextTooLong naming the field when `item`'s words (or `own_text`) are larger than
    the queue allows (`content_queue.limits.size_problem`): only lengths are measured, so an
    item of any size is refused at once, before `render_post` reads a word of it. (Not the
    category: it is posted whole, never counted when too long, and the queue caps it anyway.)"""
    from content_queue.limits import MAX_TEXT, size_problem

    found = size_problem(
        url=item.url,
        title=item.title,
        text=item.text,
        tags=item.tags,
        alt_text=own_text,
    )
    if found is not None:
        field, problem = found
        if field == "alt_text":  # `own_text` is the channel's own text
            field, problem = (
                "the channel's text",
                f"{len(own_text or '')} characters, at most {MAX_TEXT}",
            )
        raise TextTooLong(
            channel.network, 0, 0, channel=channel.name, problem=f"{field}: {problem}"
        )


def render_post(
    item: Renderable,
    channel: ChannelConfig,
    limits: TextLimits,
    *,
    own_text: str | None = None,
    link: bool = True,
) -> str:
    """The text `channel` posts for `item`, shortened to fit `limits` when needed; without its
    link (`{url}` empty) when `link` is False: an item whose link goes in its thread's first
    reply (`ItemView.link_in_reply`, docs/threads.md).

    `own_text` (a delivery's `text_override`: staff's words for this channel only) stands for
    the item's text in {text} and {body}; it is never cut, only hashtags and the title may
    give way. Raises TextTooLong when even the shortest form does not fit, and ValueError
    when the channel's template is not valid."""
    check_sizes(item, channel, own_text=own_text)  # first: it reads no more than lengths
    template = channel.template if channel.template is not None else DEFAULT_TEMPLATE
    validate_template(template)
    count = length_counter(channel.network, limits)
    limit, max_bytes = limits.max_length, limits.max_bytes
    from ..text import utf8_size

    url = channel_url(item.url, channel) if link else ""

    def fits(text: str) -> bool:
        return (
            countable(text, limit, link=len(url), max_bytes=max_bytes)
            and count(text) <= limit
            and (max_bytes is None or utf8_size(text) <= max_bytes)
        )

    # A title is one line whatever was pasted into it; a text keeps its paragraphs.
    title, body_text = _fold_line(item.title), _fold(item.text if own_text is None else own_text)
    values = {
        "title": title,
        "text": body_text,
        "body": body_text or title,
        "url": url,
        "category": _fold_line(item.category),
        "hashtags": "",
    }
    tags = hashtags_for(item.tags, channel.hashtags)
    # Hashtags go first, from the end: every one kept is worth more than a word cut.
    for keep in range(len(tags), -1, -1):
        values["hashtags"] = " ".join(tags[:keep])
        text = _fill(template, values)
        if fits(text):
            return text
    used = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    shortenable = _SHORTENABLE if own_text is None else ("title",)
    names = [name for name in shortenable if name in used and values[name]]
    for i, name in enumerate(names):

        def fits_with(value: str, name: str = name) -> bool:
            return fits(_fill(template, {**values, name: value}))

        # The last field to give way is cut inside its first word rather than dropped.
        short = _fit_field(values[name], fits_with, inside_words=i == len(names) - 1)
        if short is not None:
            values[name] = short
            return _fill(template, values)
        values[name] = ""  # not even its first word fits: leave room for the next field
        if fits(_fill(template, values)):
            return _fill(template, values)  # the room it leaves is enough: cut nothing else
    minimal = _fill(template, values)
    if fits(minimal):
        return minimal
    if countable(minimal, limit, link=len(url)):  # worth counting (the bytes are checked after)
        counted, unit, cap = count(minimal), "", limit
        if counted <= limit and max_bytes is not None:  # it is the size in bytes that is too big
            counted, unit, cap = utf8_size(minimal), "bytes", max_bytes
    elif max_bytes is not None:  # far too long: its size in bytes says so exactly, and cheaply
        counted, unit, cap = utf8_size(minimal), "bytes", max_bytes
    else:  # far too long: counting it could take minutes (see `countable`)
        words = "its own text" if own_text is not None else "even shortened it"
        raise TextTooLong(
            channel.network,
            len(minimal),
            limit,
            channel=channel.name,
            problem=f"{words} has {len(minimal):,} characters, far over the limit of {limit:,}",
        )
    raise TextTooLong(
        channel.network,
        counted,
        cap,
        channel=channel.name,
        own_text=own_text is not None,
        unit=unit,
    )


def event_date(at: datetime, zone: str) -> str:
    """An event's date as people read it, in `zone`: '10 March 2027', with the time when the
    event does not start at midnight ('10 March 2027, 18:00')."""
    local = at.astimezone(ZoneInfo(zone))
    day = f"{local.day} {local:%B %Y}"
    return day if (local.hour, local.minute) == (0, 0) else f"{day}, {local:%H:%M}"


def reminder_text(template: str, title: str, at: datetime, zone: str) -> str:
    """The words of a reminder of the event `title` at `at` (`template` has {title} and {date},
    checked by the configuration), on one line."""
    return _fold_line(template.format(title=_fold_line(title), date=event_date(at, zone)))
