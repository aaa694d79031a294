"""The heartbeat record the daemon keeps (`xensocial.heartbeat`), against a real SQLite file:
what renews it, what it counts, and how often it reaches its file."""

from __future__ import annotations

import json
from pathlib import Path

from content_queue import make_engine
from tests.conftest import FakeClock
from xensocial.heartbeat import Heartbeat, heartbeat_path, read_beat
from xensocial.migrate import upgrade


def beating(tmp_path: Path, clock: FakeClock, url: str | None = None) -> Heartbeat:
    engine = make_engine(f"sqlite:///{tmp_path / 'queue.db'}")
    upgrade(engine)
    if url is not None:
        engine.dispose()
        engine = make_engine(url)
    return Heartbeat(heartbeat_path(tmp_path), engine, clock=clock, identity="here")


def saved(tmp_path: Path) -> dict[str, object]:
    record: dict[str, object] = json.loads(heartbeat_path(tmp_path).read_text())
    return record


def test_a_tick_beats_only_when_its_write_is_committed(tmp_path: Path, clock: FakeClock) -> None:
    good = beating(tmp_path, clock)
    good.tick()
    assert saved(tmp_path)["at"] == clock().isoformat()
    refusing = Heartbeat(
        heartbeat_path(tmp_path),
        make_engine(f"sqlite:///file:{tmp_path / 'queue.db'}?mode=ro&uri=true"),
        clock=clock,
        identity="here",
    )
    clock.advance(seconds=5)
    refusing.tick()
    record = refusing.current()
    assert record.at is None  # never beat: its only work was refused
    assert record.write_refused == "OperationalError: attempt to write a readonly database"
    assert read_beat(heartbeat_path(tmp_path)) == record  # what the file says is the record
    good.engine.dispose()
    refusing.engine.dispose()


def test_slots_count_their_crashes_and_a_completed_slot_clears_them(
    tmp_path: Path, clock: FakeClock
) -> None:
    beat = beating(tmp_path, clock)
    for n in range(3):
        beat.slot_crashed(RuntimeError(f"crash {n}"))
    assert (beat.current().crashed_in_a_row, beat.current().last_crash) == (
        3,
        "RuntimeError: crash 2",
    )
    assert beat.current().at is None  # a crash is no beat
    beat.slot_completed()
    assert (beat.current().crashed_in_a_row, beat.current().at) == (0, clock())
    assert saved(tmp_path)["crashed_in_a_row"] == 0
    beat.engine.dispose()


def test_a_storm_of_slots_writes_the_file_once_a_second(tmp_path: Path, clock: FakeClock) -> None:
    beat = beating(tmp_path, clock)
    beat.tick()
    first = saved(tmp_path)["at"]
    for _ in range(200):  # 200 slots completing in the same second
        clock.advance(seconds=0.004)
        beat.slot_completed()
    assert saved(tmp_path)["at"] == first  # the file was not rewritten 200 times ...
    assert beat.current().at == clock()  # ... while the record in memory is current
    clock.advance(seconds=0.3)
    beat.slot_completed()
    assert saved(tmp_path)["at"] == clock().isoformat()  # a second on: written
    beat.slot_crashed(RuntimeError("x"))  # any other change is written at once
    assert saved(tmp_path)["crashed_in_a_row"] == 1
    beat.engine.dispose()


def test_a_record_that_cannot_be_saved_says_so(tmp_path: Path, clock: FakeClock) -> None:
    beat = beating(tmp_path, clock)
    beat.engine.dispose()
    beat.path = tmp_path / "gone" / "heartbeat"  # a data directory that was moved away
    beat.tick()
    record = beat.current()
    assert record.at == clock()
    assert (
        record.unsaved == f"the heartbeat {beat.path} cannot be written: No such file or directory"
    )
    assert not beat.path.parent.exists()  # nothing is created to save it
    beat.engine.dispose()
