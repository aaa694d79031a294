"""The API version table: defaults that cannot rot unnoticed, and the warnings it gives."""

from __future__ import annotations

import os
import stat
from datetime import date, timedelta
from multiprocessing import Process
from pathlib import Path

import pytest

from xensocial.adapters._state import state_file
from xensocial.adapters.versions import DEFAULTS, WARN_DAYS, end_of, version_warning


@pytest.mark.parametrize("network", sorted(DEFAULTS))
def test_no_default_is_within_90_days_of_its_end(network: str) -> None:
    """The test that would have caught LinkedIn's 202510: it fails 90 days before a default
    ends, so the default is moved on before any channel pauses."""
    key, default = DEFAULTS[network]
    end = end_of(network, default)
    assert end is not None, f"{network} default {default} has no known end"
    left = (end.ends - date.today()).days
    assert left > 90, (
        f"the default {network} {key} {default} ends on {end.ends} ({left} days from today): "
        "move DEFAULTS in xensocial/adapters/versions.py to a newer version"
    )


def test_published_dates_are_used_and_unknown_ones_estimated() -> None:
    retired = end_of("linkedin", "202510")
    assert retired is not None and retired.ends == date(2026, 10, 15) and not retired.estimated
    guessed = end_of("linkedin", "202607")
    assert guessed is not None and guessed.ends == date(2027, 7, 15) and guessed.estimated
    graph = end_of("facebook", "v21.0")
    assert graph is not None and graph.ends == date(2027, 1, 21)
    assert end_of("facebook", "v2.8") is not None  # long gone: still warned about
    assert end_of("linkedin", "latest") is None
    assert end_of("mastodon", "v1") is None


def test_warning_names_the_key_and_the_date_within_the_window() -> None:
    end = date(2027, 1, 21)
    today = end - timedelta(days=WARN_DAYS)
    text = version_warning("facebook", "v21.0", today, channel="fb")
    assert text is not None
    assert "'fb'" in text and "graph_version" in text and "2027-01-21" in text
    assert 'graph_version = "v25.0"' in text
    assert version_warning("facebook", "v21.0", today - timedelta(days=1), channel="fb") is None
    past = version_warning("linkedin", "202510", date(2026, 12, 6), channel="li")
    assert past is not None and "ended by 2026-10-15" in past and "api_version" in past


def test_state_file_is_private_and_atomic(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        store = state_file(tmp_path / "data", "bluesky", "bsky-main")
        assert store.load() is None
        with store.locked():
            store.save({"accessJwt": "a" * 40})
        assert store.load() == {"accessJwt": "a" * 40}
        assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
        assert stat.S_IMODE(store.path.parent.stat().st_mode) == 0o700
        store.path.write_text("{not json")
        assert store.load() is None  # unreadable reads as nothing stored: sign in afresh
        store.clear()
        assert not store.path.exists()
    finally:
        os.umask(old)
    with pytest.raises(ValueError):
        state_file(tmp_path, "bluesky", "../etc")


def _hold_and_write(path: str) -> None:
    store = state_file(Path(path), "x", "ch")
    with store.locked():
        current = store.load() or {"n": 0}
        store.save({"n": current["n"] + 1})


def test_state_lock_serialises_processes(tmp_path: Path) -> None:
    procs = [Process(target=_hold_and_write, args=(str(tmp_path),)) for _ in range(8)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(30)
    assert state_file(tmp_path, "x", "ch").load() == {"n": 8}
