"""`content_queue.slot_query`: the one statement that answers a slot's questions gives, for each
question, what the question asked alone gives, on SQLite and PostgreSQL; and it is one
statement."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from content_queue import ContentQueue, Ledger
from content_queue.editorial_store import ChannelSupply, EditorialStore
from content_queue.events import ReminderDue
from content_queue.mix import Mix
from content_queue.recycling import RecycleRules
from content_queue.selection import ANNOUNCEMENT, Rules
from tests.choosing import claim
from tests.conftest import FakeClock
from tests.sqlspy import recorded_sql
from tests.storage.editorial.test_store import add, publish

HOUR, DAY = timedelta(hours=1), timedelta(days=1)
MIX = Mix.of({"news": 0.5, "resource": 0.3, "event": 0.2})
OFFSETS = (7 * DAY, DAY)

_ITEM = st.fixed_dictionaries(
    {
        "category": st.sampled_from(["news", "resource", "event", ANNOUNCEMENT, "website"]),
        "priority": st.integers(min_value=0, max_value=2),
        # Events around the reminder offsets, the window's edge included (the probe is 0 to 9
        # hours after `now`).
        "event_in": st.none()
        | st.sampled_from([-DAY, DAY, 3 * DAY, 6 * DAY, 7 * DAY, 7 * DAY + 9 * HOUR, 12 * DAY]),
        "pinned_in": st.none() | st.integers(min_value=-3, max_value=3).map(lambda n: n * HOUR),
        "not_before_in": st.none() | st.integers(min_value=-3, max_value=3).map(lambda n: n * HOUR),
        "published_ago": st.none() | st.sampled_from([DAY, 10 * DAY, 20 * DAY]),
        "remind": st.sampled_from([None, "made", "posted"]),
        "other_channel": st.booleans(),
    }
)
_serial = itertools.count()


def _answers(supply: ChannelSupply, rules: Rules, now: datetime) -> dict[str, Any]:
    assert rules.mix is not None
    categories = (*rules.mix.categories, ANNOUNCEMENT)
    return {
        "pinned": supply.pinned(),
        **{c: supply.best_in(c) for c in (ANNOUNCEMENT, *rules.mix.categories)},
        "outside": supply.best_outside(categories),
        "reminder": supply.reminder(rules.reminders),
        "published": dict(supply.published(now - rules.mix.window)),
    }


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(items=st.lists(_ITEM, max_size=8), probe=st.sampled_from([0, 0, 1, 5, 9]))
def test_each_answer_is_what_the_question_alone_gives(
    engine: Engine, clock: FakeClock, items: list[dict[str, Any]], probe: int
) -> None:
    channel = f"sq{next(_serial)}"  # examples share the database: a channel each
    queue, ledger = ContentQueue(engine, clock), Ledger(engine, clock)
    store = EditorialStore(engine, clock)
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    now = start + 40 * DAY
    for n, spec in enumerate(items):
        clock.set(start)
        channels = (channel, f"{channel}-other") if spec["other_channel"] else (channel,)
        event_at = now + spec["event_in"] if spec["event_in"] is not None else None
        pinned = now + spec["pinned_in"] if spec["pinned_in"] is not None else None
        not_before = now + spec["not_before_in"] if spec["not_before_in"] is not None else None
        if pinned is not None and (not_before is not None or (event_at and pinned >= event_at)):
            pinned = None  # a pinned time agrees with the embargo and comes before the event
        if not_before is not None and event_at is not None and not_before >= event_at:
            not_before = None
        item_id = add(
            queue,
            f"{channel}/{n}",
            channels,
            category=spec["category"],
            priority=spec["priority"],
            event_at=event_at,
            publish_at=pinned,
            not_before=not_before,
        )
        if spec["published_ago"] is not None and pinned is None and not_before is None:
            publish(ledger, queue, item_id, channel, now - spec["published_ago"])
        if spec["remind"] and event_at is not None:
            clock.set(now)
            for seen in store.events(channel, now, OFFSETS, until=now + 20 * DAY):
                if seen.item_id != item_id:
                    continue
                made = store.make_reminder(ReminderDue(seen, OFFSETS[0]), "soon", by="test")
                if made is not None and spec["remind"] == "posted":  # out: only its key says so
                    due = max(now, event_at - OFFSETS[0])  # a reminder waits for its time
                    assert claim(ledger, made, "test", due + HOUR, channel=channel, now=due)
                    assert ledger.mark_published(
                        made, remote_id="r", remote_url=None, published_at=now
                    )
    clock.set(now)
    at = now + probe * HOUR
    rules = Rules(mix=MIX, recycle=RecycleRules(), reminders=OFFSETS)
    with store.supply(channel, at) as alone:
        one_by_one = _answers(alone, rules, at)
    with store.supply(channel, at) as together:
        together.ask_all(rules)
        at_once = _answers(together, rules, at)
    assert at_once == one_by_one
    assert store.choose(channel, at, rules) == _choice_one_by_one(store, channel, at, rules)


def _choice_one_by_one(store: EditorialStore, channel: str, at: datetime, rules: Rules) -> Any:
    from content_queue.selection import pick

    with store.supply(channel, at) as supply:
        return pick(supply, rules, at)


def test_a_slots_choice_is_one_statement_or_two_with_events_to_come(
    engine: Engine, queue: ContentQueue, ledger: Ledger, clock: FakeClock
) -> None:
    store = EditorialStore(engine, clock)
    now = clock()
    for n, category in enumerate(["news", "resource", "event", "website"] * 3):
        add(queue, f"one/{n}", ("c",), category=category)
    rules = Rules(mix=MIX, recycle=RecycleRules(), reminders=OFFSETS)

    def statements() -> list[str]:
        with recorded_sql(engine, None) as seen:
            assert store.choose("c", now, rules) is not None
        return [statement for statement, _ in seen if "SELECT" in statement.upper()]

    [union] = statements()
    assert "UNION ALL" in union
    party = add(queue, "party", ("c",), category="event", event_at=now + 3 * DAY)
    publish(ledger, queue, party, "c", now - HOUR)
    # An event to come: which of its reminders were made is read by their keys (derived in
    # Python), once the slot gets that far.
    union, keys = statements()
    assert "UNION ALL" in union and "idempotency_key IN" in keys
