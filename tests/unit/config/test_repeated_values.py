"""Values repeated channel after channel are checked once per file, and still right per channel.

A configuration of 1,000 channels repeats the same slots, days, template, UTM and mix on most
of them, so the channel parser keeps what each distinct value gave (bench/config_load.py).
These tests pin what that must not change: an equal-looking value of another type (`1` and
`true`, `"14d"` and `14`) is checked on its own, an error still names its own channel's key,
and no two channels share a mutable mapping.
"""

from __future__ import annotations

import pytest

from xensocial.config import load_settings
from xensocial.errors import ConfigError

from .conftest import WriteConfig

_SHARED = """
slots = ["09:30", "15:00"]
days = ["mon", "fri"]
timezone = "Asia/Tokyo"
min_gap = "3h"
template = "{body} {url}"
mix = { news = 0.6, resource = 0.4 }
mix_window = "7d"
[channels.utm]
source = "social"
"""


def _channels(*bodies: str) -> str:
    return "".join(
        f'[[channels]]\nname = "ch-{n}"\nnetwork = "outbox"\n{body}\n'
        for n, body in enumerate(bodies)
    )


def test_channels_with_the_same_values_get_the_same_settings(write_config: WriteConfig) -> None:
    settings = load_settings(write_config(_channels(*[_SHARED] * 50)), env={})
    first, *others = settings.channels
    for other in others:
        assert other.slots == first.slots and other.days == first.days
        assert (other.timezone, other.min_gap, other.template) == (
            first.timezone,
            first.min_gap,
            first.template,
        )
        assert other.mix == first.mix and other.utm == first.utm == {"utm_source": "social"}
        assert other.utm is not first.utm  # each channel's own mapping
    assert settings.channel("ch-49").name == "ch-49"


@pytest.mark.parametrize(
    ("valid", "invalid", "key"),
    [
        ("mix = { news = 1 }", "mix = { news = true }", "channels[1].mix.news"),
        ('mix = { news = 1 }\nmix_window = "14d"', "mix = { news = 1 }\nmix_window = 14", "channels[1].mix_window"),
        ('slots = ["09:30"]', 'slots = ["09:30", "09:30"]', "channels[1].slots"),
        ('days = ["mon"]', 'days = ["mon", 1]', "channels[1].days"),
        ('template = "{url}"', 'template = "{url"', "channels[1].template"),
        ('cron = "0 */10 * * * *"', 'cron = "0 */10 * * * 9"', "channels[1].cron"),
        ('min_gap = "1h"', "min_gap = 1", "channels[1].min_gap"),
        ('[channels.utm]\nsource = "x"', '[channels.utm]\nsource = ""', "channels[1].utm.source"),
    ],
)  # fmt: skip
def test_a_value_passed_on_one_channel_is_checked_again_when_it_differs(
    write_config: WriteConfig, valid: str, invalid: str, key: str
) -> None:
    schedule = "" if "slots" in valid or "cron" in valid else 'slots = ["10:00"]\n'
    text = _channels(schedule + valid, schedule + invalid)
    with pytest.raises(ConfigError) as info:
        load_settings(write_config(text), env={})
    assert info.value.key == key
