"""The record of events and notifications, on SQLite and PostgreSQL: owed once per start,
repeat and clearing; claimed before sending; a crash between claim and mark retried once."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.engine import Engine

from content_queue.notices import Found, NoticeStore
from tests.conftest import FakeClock

PAUSED = Found("channel_paused", "mastodon", "critical", "Channel mastodon was paused.")
DRY = Found("queue_dry", "x", "warning", "Channel x is running out of posts.")


@dataclass(frozen=True)
class Target:
    name: str
    repeat: timedelta = timedelta(days=1)
    kinds: frozenset[str] = field(
        default_factory=lambda: frozenset({"channel_paused", "queue_dry"})
    )

    def wants(self, kind: str, severity: str) -> bool:
        return kind in self.kinds


MAIL, HOOK = Target("mail"), Target("hook", kinds=frozenset({"queue_dry"}))


def phases(store: NoticeStore) -> list[tuple[str, str, str]]:
    return sorted((n.event_key, n.target, n.phase) for n in store.latest(100))


def test_an_event_is_owed_once_when_it_starts_and_once_when_it_clears(
    engine: Engine, clock: FakeClock
) -> None:
    store = NoticeStore(engine, clock)
    first = store.record([PAUSED, DRY], [MAIL, HOOK])
    assert sorted(first.started) == ["channel_paused:mastodon", "queue_dry:x"]
    assert phases(store) == [
        ("channel_paused:mastodon", "mail", "start"),
        ("queue_dry:x", "hook", "start"),
        ("queue_dry:x", "mail", "start"),
    ]
    for _ in range(5):  # still on, inside the quiet period: nothing more is owed
        clock.advance(hours=4)
        assert store.record([PAUSED, DRY], [MAIL, HOOK]).owed == 0
    clock.advance(hours=1)
    assert store.record([DRY], [MAIL, HOOK]).cleared == ("channel_paused:mastodon",)
    assert store.record([DRY], [MAIL, HOOK]).cleared == ()
    assert phases(store).count(("channel_paused:mastodon", "mail", "clear")) == 1
    # The hook never heard of the pause (it does not want it): it is told of no clearing.
    assert ("channel_paused:mastodon", "hook", "clear") not in phases(store)


def test_an_event_that_lasts_is_repeated_once_per_period_never_in_a_burst(
    engine: Engine, clock: FakeClock
) -> None:
    store = NoticeStore(engine, clock)
    store.record([PAUSED], [MAIL])
    clock.advance(hours=23, minutes=59)
    assert store.record([PAUSED], [MAIL]).owed == 0
    clock.advance(minutes=1)
    assert store.record([PAUSED], [MAIL]).owed == 1
    clock.advance(days=5)  # the daemon was down for days: one repeat, not five
    assert store.record([PAUSED], [MAIL]).owed == 1
    assert store.record([PAUSED], [MAIL]).owed == 0
    assert [p for _, _, p in phases(store)] == ["repeat", "repeat", "start"]


def test_an_event_starting_again_after_clearing_is_owed_again(
    engine: Engine, clock: FakeClock
) -> None:
    store = NoticeStore(engine, clock)
    store.record([PAUSED], [MAIL])
    clock.advance(minutes=5)
    store.record([], [MAIL])
    clock.advance(minutes=5)
    assert store.record([PAUSED], [MAIL]).started == ("channel_paused:mastodon",)
    assert [p for _, _, p in phases(store)] == ["clear", "start", "start"]


def test_two_processes_recording_the_same_change_owe_it_once(
    engine: Engine, clock: FakeClock
) -> None:
    one, two = NoticeStore(engine, clock), NoticeStore(engine, clock)
    assert one.record([PAUSED], [MAIL]).started
    assert not two.record([PAUSED], [MAIL]).started
    clock.advance(days=1)
    assert one.record([PAUSED], [MAIL]).owed + two.record([PAUSED], [MAIL]).owed == 1
    assert one.record([], [MAIL]).cleared and not two.record([], [MAIL]).cleared
    assert len(one.latest(100)) == 3


def test_a_claim_keeps_others_off_until_its_lease_ends(engine: Engine, clock: FakeClock) -> None:
    store = NoticeStore(engine, clock)
    store.record([PAUSED], [MAIL])
    (notice,) = store.due("a")
    assert store.claim(notice.id, "a", timedelta(minutes=2))
    assert not store.claim(notice.id, "b", timedelta(minutes=2))
    assert store.due("b") == []
    # "a" died between claiming and marking: once the lease ends, "b" sends it, once.
    clock.advance(minutes=2, seconds=1)
    assert [n.id for n in store.due("b")] == [notice.id]
    assert store.claim(notice.id, "b", timedelta(minutes=2))
    assert store.sent(notice.id, "b")
    assert not store.sent(notice.id, "a")  # the dead claim's late answer changes nothing
    assert store.due("a") == store.due("b") == []
    (row,) = store.latest()
    assert (row.state, row.attempts, row.sent_at) == ("sent", 2, clock())


def test_the_same_identity_after_a_restart_takes_its_own_claim_back_at_once(
    engine: Engine, clock: FakeClock
) -> None:
    NoticeStore(engine, clock).record([PAUSED], [MAIL])
    before = NoticeStore(engine, clock)  # the process that dies after claiming
    (notice,) = before.due("host")
    assert before.claim(notice.id, "host", timedelta(minutes=2))
    after = NoticeStore(engine, clock)  # a new process, holding the identity's lock
    assert after.due("host") == []
    assert [n.id for n in after.due("host", reclaim_own=True)] == [notice.id]
    assert after.claim(notice.id, "host", timedelta(minutes=2), reclaim_own=True)
    assert after.sent(notice.id, "host")
    assert after.due("host", reclaim_own=True) == []


def test_a_failure_waits_for_its_retry_time_and_can_give_up(
    engine: Engine, clock: FakeClock
) -> None:
    store = NoticeStore(engine, clock)
    store.record([PAUSED, DRY], [MAIL])
    first, second = store.due("a")
    assert store.claim(first.id, "a", timedelta(minutes=2))
    assert store.failed(first.id, "a", "SMTP down", clock() + timedelta(seconds=30))
    assert store.claim(second.id, "a", timedelta(minutes=2))
    assert store.failed(second.id, "a", "login refused", None)
    assert store.due("a") == []
    clock.advance(seconds=30)
    (again,) = store.due("a")
    assert (again.id, again.attempts, again.last_error) == (first.id, 1, "SMTP down")
    states = {n.id: n.state for n in store.latest()}
    assert states == {first.id: "pending", second.id: "failed"}


def test_the_notification_id_is_stable_and_distinct(engine: Engine, clock: FakeClock) -> None:
    store = NoticeStore(engine, clock)
    store.record([PAUSED, DRY], [MAIL, HOOK])
    ids = [n.uid for n in store.latest()]
    assert len(set(ids)) == len(ids) == 3
    assert [n.uid for n in NoticeStore(engine, clock).latest()] == ids
