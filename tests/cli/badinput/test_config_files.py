"""Bad configuration files, generated: `load_settings` raises one `ConfigError` naming the key,
and every CLI command stops on it with exit 2 and that one line.

Each example starts from `BASE`, a valid document that uses every table (top level,
[publishing], [intake], [metrics] and its budget, [report] and its keyword tables, [http], [health],
[[coverage_feeds]], [[feeds]], [[channels]] with utm, hashtags, secrets and options), and makes
one mistake in it: an unknown key in a table, a value of the wrong type anywhere, or a value of
the right type that is wrong for its key. The error must name that key (or, for an element of a
list of plain values, the list).
"""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.cli.conftest import CliHarness
from tests.conftest import FakeClock
from xensocial import config
from xensocial.config.channels import CHANNEL_KEYS
from xensocial.config.feeds import FEED_KEYS
from xensocial.config.health import HEALTH_KEYS
from xensocial.config.http import HTTP_KEYS
from xensocial.config.imports import IMPORTS_KEYS
from xensocial.config.intake import INTAKE_KEYS
from xensocial.config.metrics import METRICS_KEYS
from xensocial.config.report import COVERAGE_FEED_KEYS, REPORT_KEYS
from xensocial.errors import ConfigError
from xensocial.rendering import UTM_KEYS

from .conftest import PROPERTY
from .strategies import bad_categories, bad_urls, no_digits
from .tomlwrite import dumps

Path_ = tuple[str | int, ...]

BASE: dict[str, Any] = {
    "database_url": "sqlite:///queue.db",
    "data_dir": "state",
    "timezone": "Europe/Amsterdam",
    "catch_up_grace": "1h",
    "auto_migrate": True,
    "import_at_start": ["items.csv"],
    "log_level": "info",
    "log_format": "json",
    "identity": "replica-1",
    "publishing": {
        "max_attempts": 3,
        "backoff": "2s",
        "backoff_max": "30s",
        "lease": "5m",
        "settle": "5m",
        "timeout": "10s",
        "max_items_per_slot": 5,
    },
    "intake": {
        "connect_timeout": "10s",
        "read_timeout": "20s",
        "deadline": "60s",
        "max_bytes": 10_000_000,
        "max_redirects": 5,
        "allow_private_addresses": False,
        "user_agent": "xensocial-tests",
        "fetch_link_details": False,
    },
    "metrics": {
        "ages": ["1h", "24h"],
        "followers_every": "1d",
        "poll_every": "15m",
        "budget": {"x": 100},
    },
    "report": {
        "title": "Status",
        "project": "xen",
        "competitors": {"xen": ["Xen", "XenServer"], "kvm": ["KVM"]},
        "themes": {"cloud": ["cloud"]},
        "keyword_counts_channel": "news",
    },
    "http": {"listen": "127.0.0.1:9464", "enabled": True},
    "health": {"crashed_slots": 3, "stale_after": "90s"},
    "imports": {"max_file_size": "50 MB", "max_row_length": "64 KB"},
    "coverage_feeds": [
        {
            "name": "news-xen",
            "url": "https://news.example.org/rss",
            "interval": "6h",
            "topic": "xen",
            "outlet": "News",
        }
    ],
    "feeds": [
        {
            "url": "https://example.org/feed/",
            "name": "blog",
            "category": "news",
            "tags": ["xen"],
            "channels": ["news"],
            "auto_approve": False,
            "interval": "30m",
            "include": ["xen"],
            "exclude": ["sponsored"],
            "initial": 1,
            "priority": 0,
        }
    ],
    "channels": [
        {
            "name": "news",
            "network": "outbox",
            "slots": ["09:30", "15:00"],
            "days": ["mon", "tue"],
            "max_per_day": 2,
            "min_gap": "3h",
            "timezone": "UTC",
            "jitter": "5m",
            "catch_up_grace": "30m",
            "enabled": True,
            "template": "{body} {url}",
            "options": {"path": "outbox.jsonl"},
            "utm": {"source": "news"},
            "hashtags": {"xen": "XenProject"},
            "secrets": {"token": "env:XS_TEST_TOKEN"},
        },
        {
            "name": "fast",
            "network": "outbox",
            "cron": "*/10 * * * * *",
            "options": {"path": "fast.jsonl"},
        },
    ],
}

# Tables whose keys are a closed list, with the keys each accepts.
_UTM = {k for full in UTM_KEYS for k in (full, full.removeprefix("utm_"))}
CLOSED_TABLES: dict[Path_, set[str]] = {
    (): set(config._TOP_KEYS),
    ("publishing",): set(config._PUBLISHING_KEYS),
    ("intake",): set(INTAKE_KEYS),
    ("metrics",): set(METRICS_KEYS),
    ("report",): set(REPORT_KEYS),
    ("http",): set(HTTP_KEYS),
    ("health",): set(HEALTH_KEYS),
    ("imports",): set(IMPORTS_KEYS),
    ("coverage_feeds", 0): set(COVERAGE_FEED_KEYS),
    ("feeds", 0): set(FEED_KEYS),
    ("channels", 0): set(CHANNEL_KEYS),
    ("channels", 1): set(CHANNEL_KEYS),
    ("channels", 0, "utm"): _UTM,
}
FREE_FORM = {"options"}  # a channel's adapter options are checked by the adapter, at start


def leaves(value: Any, path: Path_ = ()) -> Iterator[Path_]:
    """Every path in `value` a mistake can be made at (tables and lists included)."""
    if path:
        yield path
    if isinstance(value, dict) and (not path or path[-1] not in FREE_FORM):
        for key, inner in value.items():
            yield from leaves(inner, (*path, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from leaves(inner, (*path, index))


LEAVES = list(leaves(BASE))


def get(document: Any, path: Path_) -> Any:
    for step in path:
        document = document[step]
    return document


def render(path: Path_) -> str:
    """A path as the configuration's errors name it: `channels[0].utm.source`."""
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else step)
    return out


def named(path: Path_) -> str:
    """The key an error about `path` names: an element of a list of plain values is reported
    as the list."""
    if path and isinstance(path[-1], int) and not isinstance(get(BASE, path), dict):
        return render(path[:-1])
    return render(path)


def kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, list):
        return "list[" + ",".join(sorted({kind(v) for v in value})) + "]"
    if isinstance(value, dict):
        return "table"
    return type(value).__name__


# Keys that accept more than the kind of their value in BASE.
ALSO_ACCEPTED = {
    ("imports", "max_file_size"): {"int"},  # a size in bytes, or text with a unit
    ("imports", "max_row_length"): {"int"},
    **{("report", "competitors", name): {"str"} for name in BASE["report"]["competitors"]},
    **{("report", "themes", name): {"str"} for name in BASE["report"]["themes"]},
}

_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=10)
ANY_VALUE = st.one_of(
    _TEXT,
    st.integers(-(2**63), 2**63 - 1),
    st.floats(),
    st.booleans(),
    st.datetimes(datetime(1900, 1, 1), datetime(2100, 1, 1)),
    st.lists(st.one_of(_TEXT, st.integers(-10, 10), st.booleans()), min_size=1, max_size=3),
    st.dictionaries(st.sampled_from(["a", "b"]), st.integers(0, 9), min_size=1),
)


# -- right type, wrong value: what each key must refuse --------------------------------------

_BAD_DURATION = st.one_of(
    no_digits(), st.sampled_from(["5x", "1h30", "soon", "-5m", "99999999999w"])
)
_NOT_POSITIVE = st.one_of(_BAD_DURATION, st.sampled_from(["0s", "0m"]))
_BAD_NAME = st.sampled_from(["", "has space", "-dash-first", "a" * 101, "ünïcode", "a/b"])
_BLANK = st.sampled_from(["", " ", "\t"])
_BAD_WHOLE = {
    ("publishing", "max_attempts"): st.integers(max_value=0),
    ("publishing", "max_items_per_slot"): st.integers(max_value=0),
    ("intake", "max_bytes"): st.integers(max_value=1023),
    ("intake", "max_redirects"): st.integers(max_value=-1),
    ("metrics", "budget", "x"): st.integers(max_value=-1),
    ("health", "crashed_slots"): st.integers(max_value=0),
    ("channels", 0, "max_per_day"): st.integers(max_value=-1),
    ("feeds", 0, "initial"): st.integers(max_value=-1),
    ("feeds", 0, "priority"): st.one_of(
        st.integers(min_value=2**31, max_value=2**63 - 1),
        st.integers(min_value=-(2**63), max_value=-(2**31) - 1),
    ),
}
BAD_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "timezone": st.sampled_from(["Mars/Olympus", "Europe", "../etc/passwd", "", "UTC+1"]),
    "channels[].timezone": st.sampled_from(["Europe/Amsterdm", "CET+1", " "]),
    "catch_up_grace": _BAD_DURATION,
    "channels[].catch_up_grace": _BAD_DURATION,
    "channels[].min_gap": _BAD_DURATION,
    "channels[].jitter": _BAD_DURATION,
    "publishing.backoff": _BAD_DURATION,
    "publishing.backoff_max": _BAD_DURATION,
    "publishing.lease": _NOT_POSITIVE,
    "publishing.settle": _NOT_POSITIVE,
    "publishing.timeout": _NOT_POSITIVE,
    "intake.connect_timeout": _NOT_POSITIVE,
    "intake.read_timeout": _NOT_POSITIVE,
    "intake.deadline": _NOT_POSITIVE,
    "metrics.followers_every": _NOT_POSITIVE,
    "metrics.poll_every": _NOT_POSITIVE,
    "metrics.ages[]": _NOT_POSITIVE,
    "health.stale_after": st.one_of(_NOT_POSITIVE, st.just("2s")),
    "feeds[].interval": st.one_of(_NOT_POSITIVE, st.just("500ms")),
    "coverage_feeds[].interval": st.one_of(_NOT_POSITIVE, st.just("30s")),
    "log_level": st.sampled_from(["verbose", "", "INFO!", "trace"]),
    "log_format": st.sampled_from(["xml", "", "text"]),
    "database_url": st.sampled_from(["", "mysql://u@h/db", "oracle://h/db", "not a url"]),
    "data_dir": st.just(""),
    "identity": _BLANK,
    "channels[].name": _BAD_NAME,
    "channels[].network": st.sampled_from(["twitter", "", "OUTBOX", "google+"]),
    "channels[].slots[]": st.sampled_from(["25:00", "09:60", "noon", "9.30", "", "9:5"]),
    "channels[].cron": st.sampled_from(
        ["* * * * *", "61 * * * * *", "* * 25 * * *", "*/0 * * * * *", "every second", ""]
    ),
    "channels[].days[]": st.sampled_from(["funday", "", "mo", "mondays"]),
    "channels[].template": st.sampled_from(["{nope}", "{", "}", "{body!r}", "{url:>9}"]),
    "channels[].utm.source": _BLANK,
    "channels[].secrets.token": st.sampled_from(["inline-token", "env:", "file:", "ENV:X"]),
    "feeds[].url": bad_urls().filter(lambda u: "://" in u and not u.startswith("file")),
    "feeds[].name": _BAD_NAME,
    "feeds[].category": bad_categories(),
    "feeds[].channels[]": st.sampled_from(["nochannel", "", "News"]),
    "feeds[].tags[]": _BLANK,
    "feeds[].include[]": _BLANK,
    "feeds[].exclude[]": _BLANK,
    "coverage_feeds[].url": bad_urls().filter(lambda u: "://" in u and not u.startswith("file")),
    "coverage_feeds[].name": _BAD_NAME,
    "report.title": _BLANK,
    "report.project": st.sampled_from(["docker", "", "Xen"]),
    "report.keyword_counts_channel": st.sampled_from(["nochannel", "", "News"]),
    "report.competitors.xen[]": _BLANK,
    "report.competitors.kvm[]": _BLANK,
    "report.themes.cloud[]": _BLANK,
    "http.listen": st.sampled_from(
        [":9464", "localhost", "127.0.0.1:0", "127.0.0.1:70000", "::1:9464", "[nope]:1"]
    ),
    "intake.user_agent": st.sampled_from(["", " ", "two\nlines"]),
    "imports.max_file_size": st.sampled_from(["", "lots", "50 TB", "-5 MB", "1 KB", "5 MB!"]),
    "imports.max_row_length": st.sampled_from(["", "10", "64 kilobytes", "0 KB", "1.5"]),
}


def shape(path: Path_) -> str:
    """A path with its list indices left out: `channels[].slots[]`."""
    out = ""
    for step in path:
        out += "[]" if isinstance(step, int) else (f".{step}" if out else step)
    return out


def bad_value_paths() -> list[Path_]:
    return [p for p in LEAVES if shape(p) in BAD_VALUES or p in _BAD_WHOLE]


def bad_value(path: Path_) -> st.SearchStrategy[Any]:
    return _BAD_WHOLE[path] if path in _BAD_WHOLE else BAD_VALUES[shape(path)]


# -- the mistakes ----------------------------------------------------------------------------


@st.composite
def unknown_key(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    table = draw(st.sampled_from(sorted(CLOSED_TABLES, key=repr)))
    key = draw(
        st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=20).filter(
            lambda k: k not in CLOSED_TABLES[table]
        )
    )
    document = copy.deepcopy(BASE)
    get(document, table)[key] = draw(ANY_VALUE)
    return document, render((*table, key))


@st.composite
def wrong_type(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    path = draw(st.sampled_from(LEAVES))
    accepted = {kind(get(BASE, path))} | ALSO_ACCEPTED.get(path, set())
    value = draw(ANY_VALUE.filter(lambda v: kind(v) not in accepted))
    document = copy.deepcopy(BASE)
    get(document, path[:-1])[path[-1]] = value
    return document, named(path)


@st.composite
def wrong_value(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    path = draw(st.sampled_from(bad_value_paths()))
    document = copy.deepcopy(BASE)
    get(document, path[:-1])[path[-1]] = draw(bad_value(path))
    return document, named(path)


# -- the properties --------------------------------------------------------------------------


@pytest.fixture
def harness(tmp_path: Path, clock: FakeClock) -> CliHarness:
    return CliHarness(tmp_path / "xensocial.toml", tmp_path / "state" / "queue.db", clock)


def check_refused(harness: CliHarness, document: dict[str, Any], key: str) -> None:
    harness.config.write_text(dumps(document), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        config.load_settings(harness.config, env={})
    error = info.value
    assert error.key == key or error.key.startswith((f"{key}.", f"{key}[")), (key, str(error))
    assert "\n" not in str(error)
    result = harness.run("queue", "list")
    assert (result.exit_code, result.stdout) == (2, ""), result.output
    assert result.stderr == f"error: {error}\n"


def test_the_base_document_is_valid_and_round_trips(harness: CliHarness) -> None:
    harness.config.write_text(dumps(BASE), encoding="utf-8")
    assert tomllib.loads(harness.config.read_text(encoding="utf-8")) == BASE
    settings = config.load_settings(harness.config, env={})
    assert [c.name for c in settings.channels] == ["news", "fast"]
    assert set(map(shape, LEAVES)) >= set(BAD_VALUES)  # every bad value is tried


@pytest.mark.parametrize(
    "mistakes",
    [
        pytest.param(unknown_key(), id="an unknown key in any table"),
        pytest.param(wrong_type(), id="a value of the wrong type anywhere"),
        pytest.param(wrong_value(), id="a wrong value for its key"),
    ],
)
@PROPERTY
@given(data=st.data())
def test_a_mistake_is_refused_naming_its_key(
    harness: CliHarness,
    mistakes: st.SearchStrategy[tuple[dict[str, Any], str]],
    data: st.DataObject,
) -> None:
    check_refused(harness, *data.draw(mistakes))


# -- the bugs the properties found, one regular test each ------------------------------------


def with_change(path: Path_, value: Any) -> dict[str, Any]:
    document = copy.deepcopy(BASE)
    get(document, path[:-1])[path[-1]] = value
    return document


@pytest.mark.parametrize("key", ["database_url", "data_dir", "identity"])
@pytest.mark.parametrize("value", ["", "  ", 0, False])
def test_a_blank_or_falsy_top_level_text_is_refused(
    harness: CliHarness, key: str, value: Any
) -> None:
    # Was silently replaced by the default (a bare `or`): the daemon used another database.
    check_refused(harness, with_change((key,), value), key)


@pytest.mark.parametrize("key", ["lease", "settle", "timeout"])
def test_a_zero_lease_or_timeout_is_refused(harness: CliHarness, key: str) -> None:
    # Was accepted: every request timed out at once, or every delivery lost its owner (a zero
    # settle would believe X's "not found" the moment after the attempt).
    check_refused(harness, with_change(("publishing", key), "0s"), f"publishing.{key}")


def test_a_hashtag_that_is_not_text_names_its_tag(harness: CliHarness) -> None:
    # Was reported as the whole [channels.hashtags] table.
    check_refused(
        harness, with_change(("channels", 0, "hashtags", "xen"), 5), "channels[0].hashtags.xen"
    )


def test_an_unknown_key_with_a_newline_is_shown_on_one_line(harness: CliHarness) -> None:
    # Was printed as two lines (the key verbatim).
    check_refused(harness, with_change(("publishing", "a\nb"), 1), "publishing.a\nb")
    assert "publishing.a\\nb: unknown key" in harness.run("queue", "list").stderr
