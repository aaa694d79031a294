"""Blackouts: stored ones (both backends), configured ones (`[[blackouts]]`), and what covers what."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from content_queue import Ledger
from content_queue.blackouts import BlackoutNotFound, InvalidBlackout, blackout_note, covering
from tests.cli.conftest import CONFIG, write_config
from tests.conftest import FakeClock
from xensocial.config import load_settings
from xensocial.config.blackouts import BlackoutConfig
from xensocial.errors import ConfigError

T0 = datetime(2026, 12, 24, 8, 0, tzinfo=UTC)


def test_stored_blackouts_cover_their_channels_from_start_to_end(
    ledger: Ledger, clock: FakeClock
) -> None:
    everywhere, demo = (
        *ledger.add_blackout(T0, T0 + timedelta(hours=2), reason="Holiday", by="alice"),
        *ledger.add_blackout(T0, T0 + timedelta(days=1), reason="Demo", channels=["demo"]),
    )
    assert (everywhere.channel, everywhere.created_by, everywhere.created_at) == (
        None,
        "alice",
        clock(),
    )
    periods = ledger.blackouts()
    assert covering(periods, "fast", T0 - timedelta(seconds=1)) is None
    assert covering(periods, "fast", T0) == everywhere  # the start is inside
    assert covering(periods, "fast", T0 + timedelta(hours=2)) is None  # the end is not
    assert covering(periods, "demo", T0 + timedelta(hours=3)) == demo
    assert blackout_note(demo) == "blackout: Demo"
    assert ledger.blackouts(ending_after=T0 + timedelta(hours=2)) == [demo]


def test_one_row_per_channel_and_removal(ledger: Ledger) -> None:
    rows = ledger.add_blackout(
        T0, T0 + timedelta(hours=1), reason=" Launch ", channels=["demo", "fast", "demo"]
    )
    assert [(b.channel, b.reason) for b in rows] == [("demo", "Launch"), ("fast", "Launch")]
    removed = ledger.remove_blackout(rows[0].id)
    assert removed == rows[0]
    assert ledger.blackouts() == [rows[1]]
    with pytest.raises(BlackoutNotFound, match=f"no blackout with id {rows[0].id}"):
        ledger.remove_blackout(rows[0].id)


@pytest.mark.parametrize(
    ("end", "reason", "problem"),
    [
        (T0, "x", "the end must be later than the start"),
        (T0 - timedelta(hours=1), "x", "the end must be later than the start"),
        (T0 + timedelta(hours=1), "a\x00b", "NUL"),
        (T0 + timedelta(hours=1), "x" * 1001, "at most 1000"),
    ],
)
def test_a_bad_period_is_refused_and_nothing_stored(
    ledger: Ledger, end: datetime, reason: str, problem: str
) -> None:
    with pytest.raises(InvalidBlackout, match=problem):
        ledger.add_blackout(T0, end, reason=reason)
    assert ledger.blackouts() == []


def _load(tmp_path: Path, blackouts: str, top: str = "") -> tuple[BlackoutConfig, ...]:
    """The blackouts of the CLI tests' configuration (Europe/Amsterdam; `demo`, `fast`)."""
    path = write_config(tmp_path, text=top + CONFIG + blackouts)
    return load_settings(path, env={}).blackouts


def test_configured_blackouts_in_every_accepted_form(tmp_path: Path) -> None:
    christmas, launch, offset, text = _load(
        tmp_path,
        """
[[blackouts]]
from = 2026-12-24
to = 2026-12-26
reason = "Christmas"
[[blackouts]]
from = 2026-07-01T18:00:00
to = 2026-07-01T20:30:00
channels = ["fast"]
timezone = "UTC"
[[blackouts]]
from = 2026-03-01T10:00:00+02:00
to = 2026-03-01T11:00:00Z
[[blackouts]]
from = "2026-05-01 09:00"
to = "2026-05-01"
""",
    )
    # A date alone as `to` runs to the end of that day, in the configuration's zone (CET).
    assert (christmas.starts_at, christmas.ends_at) == (
        datetime(2026, 12, 23, 23, 0, tzinfo=UTC),
        datetime(2026, 12, 26, 23, 0, tzinfo=UTC),
    )
    assert (christmas.reason, christmas.channels) == ("Christmas", ())
    assert (launch.starts_at, launch.channels) == (datetime(2026, 7, 1, 18, tzinfo=UTC), ("fast",))
    assert launch.covers("fast", launch.starts_at) and not launch.covers("demo", launch.starts_at)
    assert (offset.starts_at, offset.ends_at) == (
        datetime(2026, 3, 1, 8, tzinfo=UTC),
        datetime(2026, 3, 1, 11, tzinfo=UTC),
    )
    assert (text.starts_at, text.ends_at) == (  # CEST in May
        datetime(2026, 5, 1, 7, tzinfo=UTC),
        datetime(2026, 5, 1, 22, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    ("table", "key", "expected"),
    [
        ('to = 2026-12-26\nreason = "x"', "blackouts[0].from", "missing"),
        ("from = 2026-12-26\nto = 2026-12-24", "blackouts[0].to", "later than `from`"),
        ('from = "+2h"\nto = 2026-12-24', "blackouts[0].from", "expected a date"),
        ('from = "soon"\nto = 2026-12-24', "blackouts[0].from", "expected a date"),
        ("from = 09:30:00\nto = 2026-12-24", "blackouts[0].from", "expected a date"),
        ('from = 2026-12-24\nto = 2026-12-25\nchannels = ["nope"]', "channels", "'nope'"),
        ("from = 2026-12-24\nto = 2026-12-25\nreason = 3", "blackouts[0].reason", "text"),
        ('from = 2026-12-24\nto = 2026-12-25\ntimezone = "Mars/Base"', "timezone", "zone"),
        ("from = 2026-12-24\nto = 2026-12-25\nchanels = []", "chanels", "did you mean"),
    ],
)
def test_a_bad_blackout_table_names_its_key(
    tmp_path: Path, table: str, key: str, expected: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, "\n[[blackouts]]\n" + table + "\n")
    assert key in caught.value.key and expected in caught.value.expected


def test_blackouts_must_be_tables(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="expected \\[\\[blackouts\\]\\] tables"):
        _load(tmp_path, "", top='blackouts = "none"\n')
