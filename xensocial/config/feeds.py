"""The `[[feeds]]` tables of the configuration -> validated, frozen `FeedConfig` values.

Checked once, at start, like the rest of the configuration: an unknown key, a bad URL or
interval, an unknown target channel or a duplicate name raises `ConfigError` naming the file,
the key (`feeds[2].interval`) and what was expected.

A `file:` URL names a feed on this machine (relative paths are resolved next to the
configuration file): the demo polls a feed shipped in `config/` that way. The same rules serve
`xensocial feeds add`, through `check_feed_url`, `check_feed_name` and `default_feed_name`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from content_queue.errors import InvalidItem
from content_queue.limits import MAX_CATEGORY, priority_problem
from content_queue.urls import validate_url

from ..durations import parse_duration
from ..errors import ConfigError

__all__ = [
    "DEFAULT_INTERVAL",
    "FEED_KEYS",
    "MAX_INTERVAL",
    "MIN_INTERVAL",
    "FeedConfig",
    "check_feed_category",
    "check_file_feed",
    "check_feed_name",
    "check_feed_url",
    "default_feed_name",
    "interval_too_long",
    "parse_feeds",
]

FEED_KEYS = frozenset(
    {
        "url",
        "name",
        "category",
        "tags",
        "channels",
        "auto_approve",
        "interval",
        "include",
        "exclude",
        "initial",
        "priority",
        "evergreen",
    }
)
DEFAULT_INTERVAL = timedelta(minutes=30)
MIN_INTERVAL = timedelta(seconds=1)
# A feed read less than once a year is not followed; and "every 99999999d" made the next poll's
# date overflow (an OverflowError traceback from every `feeds poll`).
MAX_INTERVAL = timedelta(days=366)
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}")


@dataclass(frozen=True)
class FeedConfig:
    """One feed declared in the configuration."""

    name: str
    url: str
    category: str = "news"
    tags: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()  # empty: every channel
    auto_approve: bool = False
    interval: timedelta = DEFAULT_INTERVAL
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    initial: int = 1
    priority: int = 0  # of the items it queues (higher goes first)
    evergreen: bool = False  # its items are evergreen: posted again (docs/editorial.md)


def interval_too_long(interval: timedelta, raw: str) -> str | None:
    """Why a feed's (or a coverage feed's) polling `interval` is too long, or None."""
    return f"{raw!r} is too long; at most 366d" if interval > MAX_INTERVAL else None


def check_feed_url(url: str, base: Path) -> str:
    """The URL to store: http(s) as given, a `file:` path made absolute against `base`.
    Raises ValueError saying what is expected."""
    cleaned = url.strip()
    try:
        parts = urlsplit(cleaned)
    except ValueError as exc:  # "Invalid IPv6 URL", ...: as `content_queue.urls` says it
        raise ValueError(f"{url!r} is not an address ({exc})") from None
    if parts.scheme in ("http", "https"):
        if not parts.hostname:
            raise ValueError(f"{url!r} has no host")
        try:  # a bad port, blanks or control characters: every poll would fail
            return validate_url(cleaned)
        except InvalidItem as exc:
            raise ValueError(exc.problem) from None
    if parts.scheme == "file":
        raw = cleaned[len("file:") :]
        path = Path(parts.path) if raw.startswith("//") else Path(raw)
        return (base / path).resolve().as_uri()
    raise ValueError(
        f"{url!r} is not a feed address; expected an http:// or https:// URL, or file:PATH"
    )


def check_file_feed(stored_url: str, allowed: Path | None) -> None:
    """ValueError unless `stored_url` (from `check_feed_url`) is an http(s) URL or a file below
    `allowed` (`[intake] file_feeds_dir`); with no such directory, every `file:` feed is
    refused. For `feeds add`: staff name a feed, they do not get to read the machine's disk.

    The path is compared once resolved (`..` and symlinks followed), and the refusal is the same
    whether the file exists or not, so it tells nothing about the disk either."""
    if not stored_url.startswith("file:"):
        return
    if allowed is None:
        raise ValueError(
            "file: feeds are not accepted from the command line; to allow them, set "
            "[intake] file_feeds_dir in the configuration to the directory that holds them"
        )
    path = Path(unquote(urlsplit(stored_url).path))  # check_feed_url made it absolute, resolved
    if not path.is_relative_to(allowed):
        raise ValueError(
            f"a file: feed must be below [intake] file_feeds_dir ({allowed}); {path} is not"
        )


def check_feed_category(category: str) -> str:
    """The category its items get, cleaned; ValueError when blank or too long to store."""
    cleaned = category.strip().lower()
    if not cleaned:
        raise ValueError("expected a non-empty category")
    if len(cleaned) > MAX_CATEGORY:
        raise ValueError(f"{category!r} is {len(cleaned)} characters, at most {MAX_CATEGORY}")
    return cleaned


def check_feed_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise ValueError(f"{name!r}: expected letters, digits, '-', '_' or '.' (at most 100)")
    return name


def default_feed_name(url: str) -> str:
    """A name for a feed given only its URL: its host (or file name), e.g. `blog.xenproject.org`."""
    parts = urlsplit(url)
    base = parts.hostname or Path(parts.path).stem or "feed"
    name = re.sub(r"[^A-Za-z0-9_.\-]", "-", base).strip("-.") or "feed"
    return name[:100]


class _FeedParser:
    def __init__(self, source: str, config_dir: Path, channel_names: Sequence[str]) -> None:
        self.source, self.config_dir, self.channel_names = source, config_dir, channel_names

    def fail(self, key: str, expected: str) -> ConfigError:
        return ConfigError(self.source, key, expected)

    def words(self, table: dict[str, Any], key: str, p: str) -> tuple[str, ...]:
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise self.fail(
                p + key, f'expected a list of non-empty texts such as ["xen"], got {value!r}'
            )
        return tuple(v.strip() for v in value)

    def feed(self, table: Any, index: int) -> FeedConfig:
        p = f"feeds[{index}]."
        if not isinstance(table, dict):
            raise self.fail(f"feeds[{index}]", "expected a [[feeds]] table")
        for key in table:
            if key not in FEED_KEYS:
                close = difflib.get_close_matches(key, FEED_KEYS, n=1)
                hint = f"did you mean {close[0]!r}? " if close else ""
                raise self.fail(
                    p + key, f"unknown key; {hint}expected one of {', '.join(sorted(FEED_KEYS))}"
                )
        if not isinstance(table.get("url"), str):
            raise self.fail(p + "url", "missing; every feed needs a url (http(s):// or file:PATH)")
        try:
            url = check_feed_url(table["url"], self.config_dir)
        except ValueError as exc:
            raise self.fail(p + "url", str(exc)) from None
        name = table.get("name", default_feed_name(url))
        if not isinstance(name, str):
            raise self.fail(p + "name", f"expected a feed name, got {name!r}")
        try:
            check_feed_name(name)
        except ValueError as exc:
            raise self.fail(p + "name", str(exc)) from None
        category = table.get("category", "news")
        if not isinstance(category, str):
            raise self.fail(p + "category", f"expected a non-empty category, got {category!r}")
        try:
            category = check_feed_category(category)
        except ValueError as exc:
            raise self.fail(p + "category", str(exc)) from None
        channels = self.words(table, "channels", p)
        unknown = [c for c in channels if c not in self.channel_names]
        if unknown:
            raise self.fail(
                p + "channels",
                f"unknown channel {', '.join(map(repr, unknown))}; "
                f"the channels are: {', '.join(self.channel_names) or 'none'}",
            )
        auto_approve = table.get("auto_approve", False)
        if not isinstance(auto_approve, bool):
            raise self.fail(p + "auto_approve", f"expected true or false, got {auto_approve!r}")
        interval = DEFAULT_INTERVAL
        if "interval" in table:
            raw = table["interval"]
            try:
                if not isinstance(raw, str):
                    raise ValueError(f"expected a duration such as '30m' or '1h', got {raw!r}")
                interval = parse_duration(raw)
            except ValueError as exc:
                raise self.fail(p + "interval", str(exc)) from None
            if interval < MIN_INTERVAL:
                raise self.fail(p + "interval", f"{raw!r} is too short; at least 1s")
            too_long = interval_too_long(interval, raw)
            if too_long is not None:
                raise self.fail(p + "interval", too_long)
        initial = table.get("initial", 1)
        if isinstance(initial, bool) or not isinstance(initial, int) or initial < 0:
            raise self.fail(p + "initial", f"expected a whole number (0 or more), got {initial!r}")
        evergreen = table.get("evergreen", False)
        if not isinstance(evergreen, bool):
            raise self.fail(p + "evergreen", f"expected true or false, got {evergreen!r}")
        priority = table.get("priority", 0)
        if isinstance(priority, bool) or not isinstance(priority, int):
            raise self.fail(p + "priority", f"expected a whole number, got {priority!r}")
        if priority_problem(priority) is not None:
            raise self.fail(p + "priority", str(priority_problem(priority)))
        return FeedConfig(
            name=name,
            url=url,
            category=category,
            tags=tuple(t.lstrip("#") for t in self.words(table, "tags", p)),
            channels=tuple(dict.fromkeys(channels)),
            auto_approve=auto_approve,
            interval=interval,
            include=self.words(table, "include", p),
            exclude=self.words(table, "exclude", p),
            initial=initial,
            priority=priority,
            evergreen=evergreen,
        )


def parse_feeds(
    value: Any, *, source: str, config_dir: Path, channel_names: Sequence[str]
) -> tuple[FeedConfig, ...]:
    """The `feeds` key of the configuration (a list of tables), checked."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ConfigError(source, "feeds", "expected [[feeds]] tables")
    parser = _FeedParser(source, config_dir, channel_names)
    feeds: list[FeedConfig] = []
    names: set[str] = set()
    for index, table in enumerate(value):
        feed = parser.feed(table, index)
        if feed.name in names:
            raise ConfigError(
                source,
                f"feeds[{index}].name",
                f"duplicate feed name {feed.name!r}; names must be unique (set name = ...)",
            )
        names.add(feed.name)
        feeds.append(feed)
    return tuple(feeds)
