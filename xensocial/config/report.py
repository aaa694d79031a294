"""The `[report]` table and the `[[coverage_feeds]]` tables -> `ReportConfig`.

    [report]
    title = "Xen Project social media status"
    project = "xen"                       # which competitor is us (default: the first listed)
    keyword_counts_channel = "x-main"     # read X's recent post counts through this channel

    [report.competitors]                  # share of voice: who is mentioned, by which words
    xen = ["Xen", "XenServer", "Xen Project"]
    kvm = ["KVM"]
    docker = ["Docker"]

    [report.themes]                       # key messages: which landed in posts and clips
    mobile = ["mobile", "automotive", "embedded"]
    cloud = ["cloud"]

    [[report.deliveries]]                 # mailed on a schedule: see deliveries.py
    target = "comms-mail"

    [[coverage_feeds]]                    # RSS of news searches: each entry becomes a clip
    name = "news-xen"
    url = "https://news.example.org/rss?q=xen"
    interval = "6h"
    topic = "xen"

Keywords are matched as whole words, ignoring case (`xensocial.reporting.keywords`). A module of
its own so what the report counts reads as one idea.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from .deliveries import ReportDelivery, parse_deliveries
from .feeds import check_feed_name, check_feed_url, interval_too_long
from .fields import FieldReader
from .notify import NotifyTarget

__all__ = [
    "COVERAGE_FEED_KEYS",
    "REPORT_KEYS",
    "CoverageFeedConfig",
    "ReportConfig",
    "parse_coverage_feeds",
    "parse_report",
]

REPORT_KEYS = {
    "title", "project", "competitors", "themes", "keyword_counts_channel", "deliveries"
}  # fmt: skip
COVERAGE_FEED_KEYS = {"name", "url", "interval", "topic", "outlet"}
DEFAULT_COVERAGE_INTERVAL = timedelta(hours=6)


@dataclass(frozen=True)
class CoverageFeedConfig:
    """A feed of news coverage (a news search's RSS): its entries become press clips."""

    name: str
    url: str
    interval: timedelta = DEFAULT_COVERAGE_INTERVAL
    topic: str = ""
    outlet: str = ""  # empty: the entry's own source, else the feed's title


@dataclass(frozen=True)
class ReportConfig:
    """Validated `[report]` settings (all optional: an empty table gives a plain report)."""

    title: str = "Social media status"
    project: str | None = None  # one of the competitors' names, or None when none are set
    competitors: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    themes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    keyword_counts_channel: str | None = None
    deliveries: tuple[ReportDelivery, ...] = ()  # [[report.deliveries]]: deliveries.py


def _keyword_table(reader: FieldReader, table: Any, key: str) -> dict[str, tuple[str, ...]]:
    if not isinstance(table, Mapping):
        raise reader.fail(key, 'expected a table of name = ["keyword", ...]')
    out: dict[str, tuple[str, ...]] = {}
    for name, words in table.items():
        if isinstance(words, str):
            words = [words]
        if (
            not isinstance(words, list)
            or not words
            or not all(isinstance(w, str) and w.strip() for w in words)
        ):
            raise reader.fail(
                f"{key}.{name}", f"expected a non-empty list of keywords, got {words!r}"
            )
        out[str(name)] = tuple(w.strip() for w in words)
    return out


def parse_report(
    reader: FieldReader,
    table: Any,
    channel_names: Sequence[str],
    targets: Sequence[NotifyTarget] = (),
) -> ReportConfig:
    """Check the `[report]` table (absent: `{}`); errors name the key."""
    if not isinstance(table, Mapping):
        raise reader.fail("report", "expected a [report] table")
    reader.check_keys(table, REPORT_KEYS, "report.")
    defaults = ReportConfig()
    title = table.get("title", defaults.title)
    if not isinstance(title, str) or not title.strip():
        raise reader.fail("report.title", f"expected a non-empty title, got {title!r}")
    competitors = _keyword_table(reader, table.get("competitors", {}), "report.competitors")
    themes = _keyword_table(reader, table.get("themes", {}), "report.themes")
    project = table.get("project")
    if project is None:
        project = next(iter(competitors), None)
    elif not isinstance(project, str) or project not in competitors:
        raise reader.fail(
            "report.project",
            f"expected one of the competitors ({', '.join(competitors) or 'none set'}), "
            f"got {project!r}",
        )
    counts_channel = table.get("keyword_counts_channel")
    if counts_channel is not None and counts_channel not in channel_names:
        raise reader.fail(
            "report.keyword_counts_channel",
            f"expected the name of a channel ({', '.join(channel_names) or 'none'}), "
            f"got {counts_channel!r}",
        )
    return ReportConfig(
        title=title.strip(),
        project=project,
        competitors=competitors,
        themes=themes,
        keyword_counts_channel=counts_channel,
        deliveries=parse_deliveries(reader, table.get("deliveries"), targets),
    )


def parse_coverage_feeds(
    reader: FieldReader, raw: Any, config_dir: Path
) -> tuple[CoverageFeedConfig, ...]:
    """Check the `[[coverage_feeds]]` tables (absent: none)."""
    feeds: list[CoverageFeedConfig] = []
    seen: set[str] = set()
    for prefix, table in reader.tables(raw, "coverage_feeds"):
        reader.check_keys(table, COVERAGE_FEED_KEYS, prefix)
        for required in ("name", "url"):
            if required not in table:
                raise reader.fail(prefix + required, "missing; every coverage feed needs one")
        name = reader.typed(table, "name", str, "a short name such as 'news-xen'", prefix)
        url = reader.typed(table, "url", str, "an http(s) or file: URL", prefix)
        try:
            name = check_feed_name(name)
        except ValueError as exc:
            raise reader.fail(prefix + "name", str(exc)) from None
        try:
            url = check_feed_url(url, config_dir)
        except ValueError as exc:
            raise reader.fail(prefix + "url", str(exc)) from None
        if name in seen:
            raise reader.fail(prefix + "name", f"duplicate coverage feed name {name!r}")
        seen.add(name)
        interval = reader.duration(table, "interval", DEFAULT_COVERAGE_INTERVAL, prefix)
        if interval < timedelta(minutes=1):
            raise reader.fail(prefix + "interval", "expected at least '1m'")
        too_long = interval_too_long(interval, str(table.get("interval")))
        if too_long is not None:
            raise reader.fail(prefix + "interval", too_long)
        topic = table.get("topic", "")
        outlet = table.get("outlet", "")
        for key, value in (("topic", topic), ("outlet", outlet)):
            if not isinstance(value, str):
                raise reader.fail(prefix + key, f"expected text, got {value!r}")
        feeds.append(CoverageFeedConfig(name, url, interval, topic.strip(), outlet.strip()))
    return tuple(feeds)
