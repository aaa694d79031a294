"""`load_settings`: which file, environment overrides, paths, and a valid file read in full."""

from __future__ import annotations

from datetime import time, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from xensocial.config import demo_config_path, load_settings
from xensocial.errors import ConfigError, UsageError

from .conftest import CHANNEL, WriteConfig


def test_the_demo_configuration_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings(env={})
    assert Path(settings.source) == demo_config_path()
    assert settings.demo
    # Its own folder in the working directory: never a real installation's ./xensocial-data.
    assert settings.data_dir == tmp_path / "xensocial-demo"
    assert settings.database_url == f"sqlite:///{tmp_path / 'xensocial-demo' / 'xensocial.db'}"
    assert settings.is_sqlite()
    assert settings.timezone == "UTC"
    assert settings.channel_names == ["demo"]
    demo = settings.channel("demo")
    assert (demo.network, demo.cron, demo.slots, demo.max_per_day) == (
        "outbox",
        "*/10 * * * * *",
        (),
        100,
    )
    assert demo.options == {"path": "outbox.jsonl"}
    assert [p.name for p in settings.import_at_start] == ["demo-items.csv"]
    assert all(p.is_file() for p in settings.import_at_start)


def test_a_full_file(write_config: WriteConfig, tmp_path: Path) -> None:
    path = write_config(
        f"""
database_url = "sqlite:///state/queue.db"
timezone = "Europe/Amsterdam"
data_dir = "{tmp_path / "data"}"
identity = "replica-1"
catch_up_grace = "30m"
auto_migrate = false
import_at_start = ["items.csv"]
log_level = "WARNING"
log_format = "json"

[publishing]
max_attempts = 5
backoff = "500ms"
backoff_max = "1m"
lease = "10m"
settle = "90s"
timeout = "15s"
max_items_per_slot = 2

[[channels]]
name = "mastodon"
network = "outbox"
slots = ["15:00", "09:30:15"]
days = ["Mon", "tuesday", "fri"]
max_per_day = 1
min_gap = "4h"
jitter = "5m"
timezone = "America/New_York"
enabled = false

[channels.options]
path = "/tmp/out.jsonl"

[channels.secrets]
token = "env:MASTODON_TOKEN"
key = "file:/run/secrets/key"

[[channels]]
name = "fast"
network = "outbox"
cron = "*/2  *  * * * *"
catch_up_grace = "0s"
"""
    )
    s = load_settings(path, env={})
    assert s.source == str(path)
    assert s.config_dir == tmp_path
    assert s.data_dir == tmp_path / "data"
    assert s.database_url == f"sqlite:///{tmp_path / 'data' / 'state' / 'queue.db'}"
    assert (s.timezone, s.identity, s.auto_migrate, s.log_level, s.log_format) == (
        "Europe/Amsterdam",
        "replica-1",
        False,
        "warning",
        "json",
    )
    assert s.catch_up_grace == timedelta(minutes=30)
    assert s.import_at_start == (tmp_path / "items.csv",)
    p = s.publishing
    assert (p.max_attempts, p.backoff, p.backoff_max, p.lease, p.timeout, p.max_items_per_slot) == (
        5,
        timedelta(milliseconds=500),
        timedelta(minutes=1),
        timedelta(minutes=10),
        timedelta(seconds=15),
        2,
    )
    assert p.settle == timedelta(seconds=90)
    m, fast = s.channels
    assert m.slots == (time(9, 30, 15), time(15, 0))
    assert m.days == frozenset({0, 1, 4})
    assert (m.max_per_day, m.min_gap, m.jitter, m.timezone, m.enabled) == (
        1,
        timedelta(hours=4),
        timedelta(minutes=5),
        "America/New_York",
        False,
    )
    assert m.catch_up_grace == timedelta(minutes=30)  # inherited from the top level
    assert m.secrets == {"token": "env:MASTODON_TOKEN", "key": "file:/run/secrets/key"}
    assert m.zone.key == "America/New_York"
    assert m.describe_schedule() == "09:30, 15:00 (America/New_York; mon, tue, fri; max 1/day)"
    assert fast.cron == "*/2 * * * * *"
    assert fast.timezone == "Europe/Amsterdam"  # the default zone
    assert fast.days is None and fast.catch_up_grace == timedelta(0)
    assert fast.describe_schedule() == "cron */2 * * * * * (Europe/Amsterdam; every day; max 2/day)"


def test_xensocial_config_chooses_the_file(
    write_config: WriteConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_config('timezone = "Asia/Tokyo"\n' + CHANNEL)
    assert load_settings(env={"XENSOCIAL_CONFIG": str(path)}).timezone == "Asia/Tokyo"
    monkeypatch.setenv("XENSOCIAL_CONFIG", str(path))  # the real environment is the default
    assert load_settings().source == str(path)


def test_an_explicit_path_wins_over_xensocial_config(
    write_config: WriteConfig, tmp_path: Path
) -> None:
    path = write_config('timezone = "Asia/Tokyo"\n' + CHANNEL)
    other = tmp_path / "other.toml"
    other.write_text('timezone = "Africa/Lagos"\n' + CHANNEL)
    settings = load_settings(other, env={"XENSOCIAL_CONFIG": str(path)})
    assert settings.timezone == "Africa/Lagos"


def test_environment_overrides_database_and_data_dir(
    write_config: WriteConfig, tmp_path: Path
) -> None:
    path = write_config(f'database_url = "sqlite:///a.db"\ndata_dir = "{tmp_path / "cfg"}"\n')
    env_dir = tmp_path / "from-env"
    s = load_settings(path, env={"XENSOCIAL_DATA_DIR": str(env_dir)})
    assert s.data_dir == env_dir
    assert s.database_url == f"sqlite:///{env_dir / 'a.db'}"
    pg = "postgresql+psycopg://user:pw@db.example:5432/xs"
    s = load_settings(path, env={"XENSOCIAL_DATABASE_URL": pg})
    assert s.database_url == pg  # the password is kept: the engine needs it
    assert not s.is_sqlite()
    s = load_settings(path, env={"XENSOCIAL_DATABASE_URL": "sqlite:///rel/b.db"})
    assert s.database_url == f"sqlite:///{tmp_path / 'cfg' / 'rel' / 'b.db'}"


def test_sqlite_paths(write_config: WriteConfig, tmp_path: Path) -> None:
    data = tmp_path / "data"
    absolute = tmp_path / "elsewhere" / "q.db"
    for url, expected in [
        (f"sqlite:///{absolute}", str(absolute)),
        ("sqlite:///q.db", str(data / "q.db")),
        ("sqlite:///my%20dir/q@1.db", str(data / "my dir" / "q@1.db")),
        ("sqlite:///:memory:", ":memory:"),
    ]:
        path = write_config(f'database_url = "{url}"\ndata_dir = "{data}"\n')
        assert make_url(load_settings(path, env={}).database_url).database == expected


def test_relative_data_dir_is_the_configuration_files(
    write_config: WriteConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_config('data_dir = "state"\n')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # not the file's folder: the file's folder still counts
    s = load_settings(path, env={})
    assert s.data_dir == tmp_path / "state" and s.data_dir.is_absolute()
    assert s.database_url == f"sqlite:///{tmp_path / 'state' / 'xensocial.db'}"
    assert not s.demo
    # No data_dir at all: xensocial-data, next to the file too.
    s = load_settings(write_config(""), env={})
    assert s.data_dir == tmp_path / "xensocial-data"
    # The environment's folder is a shell path: relative to the working directory.
    s = load_settings(path, env={"XENSOCIAL_DATA_DIR": "from-env"})
    assert s.data_dir == elsewhere / "from-env"


def test_an_empty_config_path_is_refused_not_taken_for_the_demo() -> None:
    with pytest.raises(UsageError, match="--config names no file"):
        load_settings("", env={})
    with pytest.raises(UsageError, match="--config names no file"):
        load_settings("  ", env={"XENSOCIAL_CONFIG": "/etc/xensocial/xensocial.toml"})


def test_categories_are_a_list_of_names(write_config: WriteConfig) -> None:
    s = load_settings(write_config('categories = ["Release", "security", "release"]\n'), env={})
    assert s.categories == ("release", "security")
    assert load_settings(write_config(""), env={}).categories == ()
    with pytest.raises(ConfigError, match=r"categories: expected a list of names"):
        load_settings(write_config('categories = "release"\n'), env={})


def test_identity_defaults(write_config: WriteConfig) -> None:
    path = write_config("")
    assert load_settings(path, env={"XENSOCIAL_IDENTITY": "pod-7"}).identity == "pod-7"
    assert load_settings(path, env={}).identity  # the host name


def test_an_empty_file_means_defaults_and_no_channels(write_config: WriteConfig) -> None:
    s = load_settings(write_config(""), env={})
    assert s.channels == () and s.timezone == "UTC" and s.auto_migrate is True
    assert s.publishing.max_attempts == 3


def test_unknown_channel_name(write_config: WriteConfig) -> None:
    s = load_settings(write_config(CHANNEL), env={})
    with pytest.raises(
        UsageError, match=r"no channel named 'x' in .*xensocial.toml \(channels: demo\)"
    ):
        s.channel("x")


def test_settings_are_frozen(write_config: WriteConfig) -> None:
    s = load_settings(write_config(CHANNEL), env={})
    with pytest.raises(AttributeError):
        s.timezone = "Asia/Tokyo"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        s.channels[0].name = "other"  # type: ignore[misc]
