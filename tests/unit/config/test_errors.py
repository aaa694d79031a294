"""Every configuration mistake is one ConfigError that names the file, the key and what was
expected; an inline secret is refused without being repeated."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from xensocial.config import load_settings
from xensocial.errors import ConfigError

from .conftest import CHANNEL, WriteConfig


def error_of(path: Path) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_settings(path, env={})
    err = info.value
    assert err.path == str(path)
    assert str(err).startswith(f"{path}: ")
    assert "\n" not in str(err)  # one line, for the CLI
    return err


def channel_with(body: str) -> str:
    """A channel table with `body` as its keys (name and network included)."""
    return f'[[channels]]\nname = "demo"\nnetwork = "outbox"\n{body}\n'


@pytest.mark.parametrize(
    ("text", "key", "words"),
    [
        # unknown keys, with a suggestion when one is close
        ('timezon = "UTC"', "timezon", ["unknown key", "did you mean 'timezone'?"]),
        ("colour = 1", "colour", ["unknown key", "expected one of", "database_url"]),
        (CHANNEL + "slot_times = []", "channels[0].slot_times", ["unknown key"]),
        (
            channel_with('slots = ["09:00"]\nmax_per_days = 1'),
            "channels[0].max_per_days",
            ["did you mean 'max_per_day'?"],
        ),
        ("[publishing]\nretries = 3", "publishing.retries", ["unknown key"]),
        # times
        (channel_with('slots = ["25:00"]'), "channels[0].slots", ["'25:00'", "00:00 to 23:59"]),
        (channel_with('slots = ["09:60"]'), "channels[0].slots", ["'09:60'"]),
        (channel_with('slots = ["noon"]'), "channels[0].slots", ["'noon'", "HH:MM"]),
        (channel_with('slots = ["9.30"]'), "channels[0].slots", ["'9.30'"]),
        (channel_with("slots = [930]"), "channels[0].slots", ["930"]),
        (channel_with("slots = []"), "channels[0].slots", ["a list of local times"]),
        (channel_with('slots = "09:30"'), "channels[0].slots", ["a list of local times"]),
        (channel_with('slots = ["09:30", "9:30"]'), "channels[0].slots", ["twice"]),
        # zones
        ('timezone = "Mars/Olympus"', "timezone", ["'Mars/Olympus'", "not a known time zone"]),
        ('timezone = "Europe"', "timezone", ["'Europe'", "not a known time zone"]),
        ('timezone = "../etc/passwd"', "timezone", ["not a known time zone"]),
        ('timezone = ""', "timezone", ["not a known time zone"]),
        ("timezone = 1", "timezone", ["IANA time zone"]),
        (
            channel_with('slots = ["09:30"]\ntimezone = "CET+1"'),
            "channels[0].timezone",
            ["'CET+1'"],
        ),
        # adapters and names
        (
            channel_with('slots = ["09:30"]').replace('"outbox"', '"twitter"'),
            "channels[0].network",
            ["no adapter named 'twitter'", "outbox"],
        ),
        (CHANNEL + CHANNEL, "channels[1].name", ["duplicate channel name 'demo'"]),
        (
            channel_with('slots = ["09:30"]').replace('"demo"', '"my channel"'),
            "channels[0].name",
            ["'my channel'"],
        ),
        ('[[channels]]\nnetwork = "outbox"\nslots = ["09:30"]', "channels[0].name", ["missing"]),
        ('[[channels]]\nname = "x"\nslots = ["09:30"]', "channels[0].network", ["missing"]),
        ("channels = [1]", "channels[0]", ["[[channels]] table"]),
        ("channels = 1", "channels", ["[[channels]] tables"]),
        # every other [[key]]: one check (`Fields.tables`), the same words
        ("blackouts = 1", "blackouts", ["[[blackouts]] tables"]),
        ("blackouts = [1]", "blackouts[0]", ["expected a table"]),
        ('coverage_feeds = "x"', "coverage_feeds", ["[[coverage_feeds]] tables"]),
        ("coverage_feeds = [[]]", "coverage_feeds[0]", ["expected a table"]),
        ("[report]\ndeliveries = 1", "report.deliveries", ["[[report.deliveries]] tables"]),
        ("[report]\ndeliveries = [1]", "report.deliveries[0]", ["expected a table"]),
        # counts: one check (`Fields.whole`), the same words
        ("[health]\ncrashed_slots = 0", "health.crashed_slots", ["whole number, 1 or more"]),
        ("[web]\nlogin_attempts = true", "web.login_attempts", ["whole number, 1 or more"]),
        ("[editorial]\nmax_repeats = -1", "editorial.max_repeats", ["whole number, 0 or more"]),
        ('[metrics.budget]\nx = "9"', "metrics.budget.x", ["whole number, 0 or more, got '9'"]),
        # slots or cron, not both or neither
        (channel_with(""), "channels[0].slots", ["either slots", "not both or neither"]),
        (
            channel_with('slots = ["09:30"]\ncron = "*/2 * * * * *"'),
            "channels[0].slots",
            ["not both or neither"],
        ),
        # cron
        (channel_with('cron = "*/2 * * * *"'), "channels[0].cron", ["6 cron fields"]),
        (channel_with('cron = "every minute"'), "channels[0].cron", ["6 cron fields"]),
        (channel_with("cron = 5"), "channels[0].cron", ["6 cron fields"]),
        (channel_with('cron = "99 * * * * *"'), "channels[0].cron", ["second 99 is out of range"]),
        (channel_with('cron = "0 0 25 * * *"'), "channels[0].cron", ["hour 25 is out of range"]),
        (channel_with('cron = "0 0 9 * * 7"'), "channels[0].cron", ["day_of_week 7"]),
        (channel_with('cron = "*/0 * * * * *"'), "channels[0].cron", ["step '0'"]),
        # days
        (
            channel_with('slots = ["09:30"]\ndays = ["mon", "funday"]'),
            "channels[0].days",
            ["'funday'"],
        ),
        (channel_with('slots = ["09:30"]\ndays = ["mo"]'), "channels[0].days", ["'mo'"]),
        (channel_with('slots = ["09:30"]\ndays = ["tues"]'), "channels[0].days", ["'tues'"]),
        (channel_with('slots = ["09:30"]\ndays = []'), "channels[0].days", ["list of days"]),
        (channel_with('slots = ["09:30"]\ndays = "mon"'), "channels[0].days", ["list of days"]),
        (channel_with('slots = ["09:30"]\ndays = [1]'), "channels[0].days", ["1 is not a day"]),
        # durations
        (
            channel_with('slots = ["09:30"]\nmin_gap = "5 minutes"'),
            "channels[0].min_gap",
            ["'5 minutes'"],
        ),
        (
            channel_with('slots = ["09:30"]\nmin_gap = "-5m"'),
            "channels[0].min_gap",
            ["not a duration"],
        ),
        (channel_with('slots = ["09:30"]\njitter = 300'), "channels[0].jitter", ["a duration"]),
        ('catch_up_grace = "soon"', "catch_up_grace", ["'soon'"]),
        ('[publishing]\nlease = "5"', "publishing.lease", ["'5'"]),
        # numbers, flags and the rest
        (channel_with('slots = ["09:30"]\nmax_per_day = -1'), "channels[0].max_per_day", ["-1"]),
        (
            channel_with('slots = ["09:30"]\nmax_per_day = true'),
            "channels[0].max_per_day",
            ["True"],
        ),
        (channel_with('slots = ["09:30"]\nmax_per_day = "2"'), "channels[0].max_per_day", ["'2'"]),
        (
            channel_with('slots = ["09:30"]\nenabled = "yes"'),
            "channels[0].enabled",
            ["true or false"],
        ),
        (channel_with('slots = ["09:30"]\noptions = 1'), "channels[0].options", ["table"]),
        ("[publishing]\nmax_attempts = 0", "publishing.max_attempts", ["at least 1"]),
        ("publishing = 3", "publishing", ["[publishing] table"]),
        ('log_level = "loud"', "log_level", ["'loud'"]),
        ('log_format = "xml"', "log_format", ["'xml'"]),
        ('auto_migrate = "yes"', "auto_migrate", ["true or false"]),
        ('import_at_start = "a.csv"', "import_at_start", ["list of CSV"]),
        ('database_url = "mysql://db/xs"', "database_url", ["'mysql' is not supported"]),
        ('database_url = "not a url"', "database_url", ["not a database URL"]),
        ("database_url = 5", "database_url", ["expected a URL"]),
        ("data_dir = 5", "data_dir", ["folder path"]),
    ],
)
def test_error_names_the_key(
    write_config: WriteConfig, text: str, key: str, words: list[str]
) -> None:
    err = error_of(write_config(text))
    assert err.key == key
    assert f": {key}: " in str(err)
    for w in words:
        assert w in err.expected


@pytest.mark.parametrize(
    "secret_line",
    [
        'token = "hunter2-s3cr3t-t0k3n"',
        'token = "env-hunter2-s3cr3t-t0k3n"',
        'token = "env:"',
        "token = 1234567890123",
    ],
)
def test_an_inline_secret_is_refused_without_repeating_it(
    write_config: WriteConfig, secret_line: str
) -> None:
    path = write_config(channel_with('slots = ["09:30"]\n[channels.secrets]\n' + secret_line))
    err = error_of(path)
    assert err.key == "channels[0].secrets.token"
    assert "never written inline" in str(err) and "env:NAME" in str(err)
    value = secret_line.split("=", 1)[1].strip().strip('"')
    if value != "env:":
        assert value not in str(err) and value not in repr(err.args)


def test_secrets_must_be_a_table(write_config: WriteConfig) -> None:
    err = error_of(write_config(channel_with('slots = ["09:30"]\nsecrets = "env:X"')))
    assert err.key == "channels[0].secrets"


def test_bad_toml(write_config: WriteConfig) -> None:
    err = error_of(write_config('timezone = "UTC\n'))
    assert err.key == "" and err.expected.startswith("not valid TOML")
    assert "line 1" in err.expected


def test_toml_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes('timezone = "Europe/Zürich"\n'.encode("latin-1"))
    err = error_of(path)
    assert err.expected.startswith("not valid TOML")


def test_missing_file(tmp_path: Path) -> None:
    err = error_of(tmp_path / "nope.toml")
    assert err.key == "" and err.expected == "no such file"


def test_missing_file_named_by_xensocial_config(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="nope.toml: no such file"):
        load_settings(env={"XENSOCIAL_CONFIG": str(tmp_path / "nope.toml")})


def test_a_folder_is_not_a_file(tmp_path: Path) -> None:
    assert "is a directory" in error_of(tmp_path).expected


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file(write_config: WriteConfig) -> None:
    path = write_config(CHANNEL)
    path.chmod(0)
    assert "permission denied" in error_of(path).expected


def test_the_first_error_is_reported(write_config: WriteConfig) -> None:
    # Channels are checked in order: the message points at the first bad one.
    text = (
        channel_with('slots = ["09:30"]')
        + channel_with('slots = ["25:00"]').replace('"demo"', '"second"')
        + channel_with('slots = ["26:00"]').replace('"demo"', '"third"')
    )
    err = error_of(write_config(text))
    assert err.key == "channels[1].slots" and "'25:00'" in err.expected
