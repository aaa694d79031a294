"""The configuration: one TOML file -> one validated, frozen `Settings` (`load_settings`).

One module per part of the file, each named for what it parses:

    load.py        which file, its TOML, the top-level keys; `load_settings`, `demo_config_path`
    settings.py    `Settings`, the whole result
    fields.py      `FieldReader` and `Fields`: the generic checks every table is read with
    paths.py       the data folder and the database URL, relative to the file
    channels.py    [[channels]]          publishing.py  [publishing]
    feeds.py       [[feeds]]             intake.py      [intake]
    blackouts.py   [[blackouts]]         editorial.py   [editorial] and a channel's mix
    metrics.py     [metrics]             report.py      [report] and [[coverage_feeds]]
    http.py        [http]                health.py      [health]
    imports.py     [imports]             notify.py      [[notify]] and [alerts]
    web.py         [web]

They import downwards only: `fields` imports none of the others, each table module imports
`fields` (and `channels` imports `editorial` for the mix), `settings` imports the tables'
types, `load` imports them all. Of the rest of the service, only its leaf modules
(`errors`, `durations`, `redaction`) are imported at the top; `timeinput`, `rendering` and
`intake.fetch` only inside the functions that need them, so a file without blackouts,
templates or fetches never pays for them. So any part of the service may import the
configuration (tests/test_import_cycles.py keeps it so). What the rest of the code needs is
re-exported here: `from xensocial.config import Settings, load_settings`.
"""

from .channels import CHANNEL_KEYS, ChannelConfig
from .load import DEMO_NOTICE, TOP_KEYS, demo_config_path, load_settings
from .paths import DEFAULT_DATA_DIR, DEMO_DATA_DIR
from .publishing import PUBLISHING_KEYS, PublishingConfig
from .settings import Settings

__all__ = [
    "DEFAULT_DATA_DIR",
    "DEMO_DATA_DIR",
    "DEMO_NOTICE",
    "ChannelConfig",
    "PublishingConfig",
    "Settings",
    "demo_config_path",
    "load_settings",
]

# The keys the top level, [publishing] and [[channels]] accept, by the names the tests check the
# README and the example file against.
_TOP_KEYS, _PUBLISHING_KEYS, _CHANNEL_KEYS = TOP_KEYS, PUBLISHING_KEYS, CHANNEL_KEYS
