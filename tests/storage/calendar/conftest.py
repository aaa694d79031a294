"""The week the calendar and channel status tests read: two channels through Monday to
Thursday noon, run slot by slot by the real publisher over fake networks, on each backend."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine

from tests.conftest import FakeClock
from tests.daemon.conftest import make_channel
from tests.storage.editorial.rig import EditorialRig, ScoringNetwork
from xensocial.adapters.base import AuthError, ChannelContext, TransientError

__all__ = ["MONDAY", "UTC_ZONE", "at"]

UTC_ZONE = ZoneInfo("UTC")
MONDAY = date(2026, 3, 2)  # the shared clock's first day


def at(day: int, hour: int) -> datetime:
    """Day `day` of the week (0 = Monday 2 March 2026) at `hour`:00 UTC."""
    return datetime(2026, 3, 2 + day, hour, tzinfo=UTC)


class LinkingNetwork(ScoringNetwork):
    """A fake network that answers each post with the address of its page, as real ones do."""

    def publish(self, post: Any) -> Any:
        result = super().publish(post)
        return replace(result, remote_url=f"https://social.example/post/{result.remote_id}")


@pytest.fixture
def week(engine: Engine, clock: FakeClock, tmp_path: Path) -> EditorialRig:
    """Channel `a` (09:00 and 15:00 UTC, one post a day) and `b` (10:00 and 12:00, four hours
    apart at least), Monday to Thursday noon: a and b post on Monday, then a meets its daily
    cap, b its minimum gap; alice pauses a over Tuesday 09:00; b's network refuses its token
    on Tuesday (the daemon pauses b); a posts Tuesday 15:00, is held by a blackout on
    Wednesday morning and fails on Wednesday 15:00 (503 three times); the daemon is down on
    Thursday 09:00. Six items wait, five news for both and a resource for a."""
    a = make_channel("a", slots=(time(9), time(15)), max_per_day=1)
    b = make_channel("b", slots=(time(10), time(12)), min_gap=timedelta(hours=4), max_per_day=5)
    rig = EditorialRig(engine, clock, tmp_path, [a, b])
    rig.nets["a"] = LinkingNetwork(ChannelContext("a", data_dir=tmp_path, clock=clock), {})
    rig.publisher = rig.publisher_as("daemon@a")
    clock.set(at(0, 8))
    for n in range(1, 6):
        rig.add(f"news {n}", ["a", "b"], category="news")
    rig.add("guide", ["a"], category="resource", priority=-1)
    assert rig.run("a", at(0, 9)).outcome == "published"
    assert rig.run("b", at(0, 10)).outcome == "published"
    assert rig.run("b", at(0, 12)).outcome == "skipped"  # min_gap
    assert rig.run("a", at(0, 15)).outcome == "skipped"  # daily cap
    rig.ledger.pause("a", "launch review", by="alice")
    assert rig.run("a", at(1, 9)).outcome == "skipped"
    rig.ledger.resume("a", by="alice")
    rig.nets["b"].script = [AuthError("token revoked")]
    assert rig.run("b", at(1, 10)).outcome == "skipped"  # the daemon pauses b
    assert rig.run("a", at(1, 15)).outcome == "published"
    rig.ledger.add_blackout(at(2, 8), at(2, 12), reason="election day", by="alice")
    assert rig.run("a", at(2, 9)).outcome == "skipped"
    rig.nets["a"].script = [TransientError("503 from the network")] * 3
    assert rig.run("a", at(2, 15)).outcome == "failed"
    clock.set(at(3, 12))  # the daemon was down at Thursday 09:00
    return rig
