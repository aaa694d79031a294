"""The record of reports mailed, on SQLite and PostgreSQL: a scheduled report owed once by two
processes, a report sent by hand beside it (never in its place), a claim's lease, a failure's
retry time and giving up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine

from content_queue.report_sends import ReportSendStore
from tests.conftest import FakeClock

DUE = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
BOARD = ("board@example.org", "chair@example.org")


def test_a_scheduled_report_is_owed_once_and_one_by_hand_beside_it(
    engine: Engine, clock: FakeClock
) -> None:
    one, two = ReportSendStore(engine, clock), ReportSendStore(engine, clock)
    assert one.owe("2026-11", "mail", BOARD, DUE) is not None
    assert two.owe("2026-11", "mail", BOARD, DUE) is None  # another replica, a restart
    assert one.owe("2026-11", "mail", ("board@example.org",), DUE) is not None  # other list
    assert one.owe("2026-11", "mail", BOARD, clock(), by_hand=True) is not None
    rows = [(r.recipients, r.by_hand, r.state) for r in reversed(one.latest())]
    assert rows == [
        (BOARD, False, "pending"),
        (("board@example.org",), False, "pending"),
        (BOARD, True, "pending"),
    ]
    first = one.latest()[-1]
    assert first.uid != one.latest()[0].uid and len(first.uid) == 32


def test_a_claim_keeps_others_off_until_its_lease_ends(engine: Engine, clock: FakeClock) -> None:
    store = ReportSendStore(engine, clock)
    store.owe("2026-11", "mail", BOARD, DUE)
    (row,) = store.due("a")
    assert store.claim(row.id, "a", timedelta(minutes=5))
    assert not store.claim(row.id, "b", timedelta(minutes=5))
    assert store.due("b") == [] and [r.id for r in store.due("a", reclaim_own=True)] == [row.id]
    clock.advance(minutes=5, seconds=1)  # "a" died: "b" takes it once the lease ended
    assert store.claim(row.id, "b", timedelta(minutes=5))
    assert not store.sent(row.id, "a")  # the dead claim's mark is refused
    assert store.sent(row.id, "b")
    assert store.due("c") == []
    done = store.get(row.id)
    assert done is not None and (done.state, done.attempts, done.sent_at) == ("sent", 2, clock())


def test_a_failure_waits_for_its_retry_time_and_giving_up_is_final(
    engine: Engine, clock: FakeClock
) -> None:
    store = ReportSendStore(engine, clock)
    row_id = store.owe("2026-11", "mail", BOARD, DUE)
    assert row_id is not None and store.claim(row_id, "a", timedelta(minutes=5))
    assert store.failed(row_id, "a", "connection refused", clock() + timedelta(seconds=30))
    assert store.due("a") == []
    clock.advance(seconds=30)
    assert [r.last_error for r in store.due("a")] == ["connection refused"]
    assert store.claim(row_id, "a", timedelta(minutes=5))
    assert store.failed(row_id, "a", "login refused", None)
    clock.advance(days=3)
    assert store.due("a") == []
    gone = store.get(row_id)
    assert gone is not None and (gone.state, gone.last_error) == ("failed", "login refused")
