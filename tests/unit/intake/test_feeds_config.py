"""`[[feeds]]` in the configuration: defaults, file: URLs, and errors that name file and key."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from tests.paths import ROOT
from xensocial.config import load_settings
from xensocial.config.feeds import default_feed_name
from xensocial.errors import ConfigError

BASE = """\
database_url = "sqlite:///q.db"

[[channels]]
name = "demo"
network = "outbox"
slots = ["09:30"]

[[channels]]
name = "fast"
network = "outbox"
slots = ["10:30"]
"""


def load(tmp_path: Path, feeds: str):
    path = tmp_path / "xensocial.toml"
    path.write_text(BASE + feeds, encoding="utf-8")
    return load_settings(path, env={"XENSOCIAL_DATA_DIR": str(tmp_path)})


def test_defaults_and_every_key(tmp_path):
    settings = load(
        tmp_path,
        """
[[feeds]]
url = "https://blog.xenproject.org/feed/"

[[feeds]]
url = "file:feeds/local.xml"
name = "local"
category = "Events"
tags = ["#xen", "summit"]
channels = ["fast"]
auto_approve = true
interval = "1h30m"
include = ["release"]
exclude = ["draft"]
initial = 0
""",
    )
    plain, local = settings.feeds
    assert plain.name == "blog.xenproject.org"
    assert (plain.category, plain.channels, plain.auto_approve) == ("news", (), False)
    assert (plain.interval, plain.initial) == (timedelta(minutes=30), 1)
    assert local.url == (tmp_path / "feeds" / "local.xml").resolve().as_uri()
    assert (local.category, local.tags, local.channels) == ("events", ("xen", "summit"), ("fast",))
    assert (local.auto_approve, local.interval, local.initial) == (True, timedelta(hours=1.5), 0)
    assert (local.include, local.exclude) == (("release",), ("draft",))


def test_no_feeds_is_fine(tmp_path):
    assert load(tmp_path, "").feeds == ()


@pytest.mark.parametrize(
    ("table", "key", "words"),
    [
        ('name = "x"', "feeds[0].url", "missing"),
        ('url = "ftp://example.org/feed"', "feeds[0].url", "not a feed address"),
        ('url = "https://e.org/f"\ncolour = "red"', "feeds[0].colour", "unknown key"),
        (
            'url = "https://e.org/f"\nintervall = "1h"',
            "feeds[0].intervall",
            "did you mean 'interval'",
        ),
        ('url = "https://e.org/f"\nname = "bad name"', "feeds[0].name", "expected letters"),
        (
            'url = "https://e.org/f"\nchannels = ["nope"]',
            "feeds[0].channels",
            "unknown channel 'nope'",
        ),
        ('url = "https://e.org/f"\ninterval = "soon"', "feeds[0].interval", "not a duration"),
        ('url = "https://e.org/f"\ninterval = "0s"', "feeds[0].interval", "too short"),
        ('url = "https://e.org/f"\ninterval = 30', "feeds[0].interval", "expected a duration"),
        ('url = "https://e.org/f"\ninitial = -1', "feeds[0].initial", "0 or more"),
        ('url = "https://e.org/f"\nauto_approve = "yes"', "feeds[0].auto_approve", "true or false"),
        ('url = "https://e.org/f"\ntags = "xen"', "feeds[0].tags", "list of non-empty texts"),
        ('url = "https://e.org/f"\ncategory = ""', "feeds[0].category", "non-empty category"),
    ],
)
def test_errors_name_the_file_the_key_and_what_was_expected(tmp_path, table, key, words):
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, f"\n[[feeds]]\n{table}\n")
    assert caught.value.key == key
    assert words in str(caught.value)
    assert str(caught.value).startswith(str(tmp_path / "xensocial.toml"))


def test_duplicate_names_are_refused(tmp_path):
    with pytest.raises(ConfigError, match="duplicate feed name 'e.org'") as caught:
        load(tmp_path, '[[feeds]]\nurl = "https://e.org/a"\n[[feeds]]\nurl = "https://e.org/b"\n')
    assert caught.value.key == "feeds[1].name"


def test_feeds_must_be_tables(tmp_path):
    path = tmp_path / "xensocial.toml"
    path.write_text('feeds = "https://e.org/a"\n' + BASE, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env={"XENSOCIAL_DATA_DIR": str(tmp_path)})
    assert caught.value.key == "feeds"


def test_default_names():
    assert default_feed_name("https://Blog.Example.org:8443/feed?x=1") == "blog.example.org"
    assert default_feed_name("file:///srv/feeds/news.xml") == "news"


def test_the_demo_configuration_polls_the_feed_shipped_next_to_it():
    demo = load_settings(None, env={})
    [feed] = demo.feeds
    path = Path(feed.url.removeprefix("file://"))
    assert path.is_file() and path.name == "demo-feed.xml"
    assert feed.auto_approve


def test_the_example_configuration_feed_block_loads_when_uncommented(tmp_path):
    example = (ROOT / "config" / "xensocial.example.toml").read_text()
    start = example.index("# [[feeds]]")
    block = example[start : example.index("\n\n", start)]
    uncommented = "\n".join(line.removeprefix("# ") for line in block.splitlines())
    path = tmp_path / "example.toml"
    path.write_text(example + "\n" + uncommented + "\n", encoding="utf-8")
    [feed] = load_settings(path, env={"XENSOCIAL_DATA_DIR": str(tmp_path)}).feeds
    assert (feed.name, feed.channels, feed.include) == ("xen-blog", ("xen-news",), ("release",))
