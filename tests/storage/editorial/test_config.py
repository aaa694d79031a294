"""Editorial control in the configuration: `[editorial]`, a channel's `mix` and `mix_window`, a
feed's `evergreen`; every mistake names the key, and the example file documents every key."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from content_queue.mix import Mix
from tests.packaging.test_example_config import EXAMPLE, documented_keys
from xensocial.config import load_settings
from xensocial.config.editorial import EDITORIAL_KEYS, EditorialConfig, rules_for
from xensocial.errors import ConfigError

CHANNEL = """
[[channels]]
name = "demo"
network = "outbox"
slots = ["09:30"]
"""


def load(tmp_path: Path, text: str) -> object:
    path = tmp_path / "xensocial.toml"
    path.write_text(text, encoding="utf-8")
    return load_settings(path, env={"XENSOCIAL_DATA_DIR": str(tmp_path)})


def refused(tmp_path: Path, text: str) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text)
    return caught.value


def test_defaults_without_an_editorial_table(tmp_path: Path) -> None:
    settings = load(tmp_path, CHANNEL)
    assert settings.editorial == EditorialConfig()  # type: ignore[attr-defined]
    ed = settings.editorial  # type: ignore[attr-defined]
    assert (ed.recycle_after, ed.max_repeats, ed.fill_with_evergreen) == (
        timedelta(days=60),
        3,
        True,
    )
    assert ed.event_reminders == (timedelta(days=7), timedelta(days=1))
    assert settings.channels[0].mix is None  # type: ignore[attr-defined]


def test_a_full_editorial_table_and_a_mix(tmp_path: Path) -> None:
    settings = load(
        tmp_path,
        """
[editorial]
evergreen_categories = ["Resource", "article"]
recycle_after = "30d"
max_repeats = 2
fill_with_evergreen = false
event_reminders = ["1d", "3d", "2h"]
reminder_text = "Don't miss {title} on {date}"
"""
        + CHANNEL
        + 'mix = { news = 2, resource = 1, event = 1 }\nmix_window = "7d"\n',
    )
    ed = settings.editorial  # type: ignore[attr-defined]
    assert ed.evergreen_categories == frozenset({"resource", "article"})
    assert ed.event_reminders == (timedelta(days=3), timedelta(days=1), timedelta(hours=2))
    mix = settings.channels[0].mix  # type: ignore[attr-defined]
    assert mix == Mix.of({"news": 2, "resource": 1, "event": 1}, timedelta(days=7))
    rules = rules_for(ed, mix)
    assert rules.recycle is None and rules.mix is mix  # fill_with_evergreen = false


@pytest.mark.parametrize(
    ("text", "key", "expected"),
    [
        (
            '[editorial]\nrecycle_afer = "1d"',
            "editorial.recycle_afer",
            "did you mean 'recycle_after'",
        ),
        ('[editorial]\nrecycle_after = "0s"', "editorial.recycle_after", "above zero"),
        ('[editorial]\nrecycle_after = "soon"', "editorial.recycle_after", "not a duration"),
        ("[editorial]\nmax_repeats = -1", "editorial.max_repeats", "0 or more"),
        (
            '[editorial]\nfill_with_evergreen = "yes"',
            "editorial.fill_with_evergreen",
            "true or false",
        ),
        ('[editorial]\nevent_reminders = "7d"', "editorial.event_reminders", "list of durations"),
        ('[editorial]\nevent_reminders = ["0s"]', "editorial.event_reminders", "above zero"),
        ('[editorial]\nreminder_text = "{when}"', "editorial.reminder_text", "{when}"),
        ('[editorial]\nreminder_text = "{title"', "editorial.reminder_text", "malformed"),
        ('[editorial]\nevergreen_categories = "x"', "editorial.evergreen_categories", "a list"),
        ("editorial = 3", "editorial", "an [editorial] table"),
        (
            CHANNEL + "mix = { news = 1, announcement = 1 }",
            "channels[0].mix.announcement",
            "ahead of the mix",
        ),
        (CHANNEL + "mix = { news = 0 }", "channels[0].mix.news", "above zero"),
        (CHANNEL + 'mix = { news = "half" }', "channels[0].mix.news", "above zero"),
        (CHANNEL + "mix = {}", "channels[0].mix", "category = share"),
        (CHANNEL + 'mix = "news"', "channels[0].mix", "category = share"),
        (CHANNEL + "mix = { News = 1, news = 1 }", "channels[0].mix", "given twice"),
        (
            CHANNEL + 'mix = { news = 1 }\nmix_window = "0s"',
            "channels[0].mix_window",
            "longer than zero",
        ),
        (CHANNEL + 'mix_window = "a fortnight"', "channels[0].mix_window", "not a duration"),
    ],
)
def test_mistakes_name_the_key(tmp_path: Path, text: str, key: str, expected: str) -> None:
    error = refused(tmp_path, text + "\n")
    assert error.key == key and expected in error.expected, str(error)


def test_a_feed_may_be_evergreen(tmp_path: Path) -> None:
    feed = '[[feeds]]\nurl = "https://example.org/feed"\nevergreen = true\n'
    settings = load(tmp_path, CHANNEL + feed)
    assert settings.feeds[0].evergreen  # type: ignore[attr-defined]
    error = refused(tmp_path, CHANNEL + feed.replace("true", '"yes"'))
    assert error.key == "feeds[0].evergreen"


def test_the_example_documents_every_editorial_key_and_a_mix() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    keys = documented_keys(text)
    assert keys["editorial"] == EDITORIAL_KEYS
    assert {"mix", "mix_window"} <= keys["channels"]
    assert "evergreen" in keys["feeds"]
    settings = load_settings(EXAMPLE, env={"XENSOCIAL_DATA_DIR": "/tmp"})
    assert settings.channels[0].mix is not None
