"""The database side of editorial selection (`content_queue.editorial_store`), on SQLite and
PostgreSQL: the indexed queries pick what the pure policy picks, an index serves each of them,
and the recycles and reminders it makes are made once whatever races."""

from __future__ import annotations

import itertools
import re
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.engine import Engine

from content_queue import ContentQueue, Ledger, NewItem
from content_queue.editorial_store import EditorialStore
from content_queue.events import ReminderDue
from content_queue.forecast import Forecast, Snapshot
from content_queue.metrics_store import DueSample, EngagementReading, MetricsStore
from content_queue.mix import Mix
from content_queue.recycling import RecycleRules
from content_queue.selection import Candidate, Rules, pick
from content_queue.views import ItemImage
from tests.choosing import claim, eligible_at
from tests.conftest import FakeClock
from tests.sqlspy import recorded_sql

HOUR, DAY = timedelta(hours=1), timedelta(days=1)
RULES = Rules(
    mix=Mix.of({"news": 0.5, "resource": 0.3, "event": 0.2}),
    recycle=RecycleRules(recycle_after=30 * DAY, max_repeats=2),
    reminders=(7 * DAY, DAY),
)


@pytest.fixture
def store(engine: Engine, clock: FakeClock) -> EditorialStore:
    return EditorialStore(engine, clock)


def add(queue: ContentQueue, url: str, channels: tuple[str, ...] = ("c",), **fields: Any) -> int:
    return queue.add(NewItem(url=f"https://example.org/{url}", channels=channels, **fields)).id


def published_by_category(
    store: EditorialStore, channel: str, now: datetime, since: datetime
) -> dict[str, int]:
    """The channel's posts since `since` by category, as a slot at `now` reads them (the
    mix's question, `ChannelSupply.published`)."""
    with store.supply(channel, now) as supply:
        return dict(supply.published(since))


def publish(ledger: Ledger, queue: ContentQueue, item_id: int, channel: str, at: datetime) -> int:
    item = queue.get(item_id)
    delivery = item.delivery(channel)
    now = eligible_at(item, at)  # a slot took it when it could: its post went out `at`
    assert delivery is not None and claim(
        ledger, delivery.id, "me", now + HOUR, channel=channel, now=now
    )
    assert ledger.mark_published(
        delivery.id, remote_id=f"r{delivery.id}", remote_url=None, published_at=at
    )
    return delivery.id


# -- the SQL supply picks what the pure policy picks -------------------------------------------

_CATEGORIES = st.sampled_from(["news", "resource", "event", "announcement", "website"])
_OFFSET = st.integers(min_value=-4, max_value=4).map(lambda n: n * 6 * HOUR)
_ITEM = st.fixed_dictionaries(
    {
        "category": _CATEGORIES,
        "priority": st.integers(min_value=-1, max_value=2),
        "age": st.sampled_from([0, 1, 2, 30]).map(lambda n: n * timedelta(minutes=1)),
        "not_before": st.none() | _OFFSET,
        "expires_at": st.none() | _OFFSET,
        "publish_at": st.none() | st.none() | _OFFSET,
        "draft": st.booleans(),
        "published": st.none() | st.integers(min_value=1, max_value=40).map(lambda n: n * DAY),
        "evergreen": st.booleans(),
    }
)
_serial = itertools.count()


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(items=st.lists(_ITEM, max_size=10), probe=_OFFSET, with_mix=st.booleans())
def test_the_sql_supply_agrees_with_the_policy_in_memory(
    engine: Engine,
    clock: FakeClock,
    items: list[dict[str, Any]],
    probe: timedelta,
    with_mix: bool,
) -> None:
    channel = f"prop{next(_serial)}"  # examples share the database: a channel each
    queue, ledger = ContentQueue(engine, clock), Ledger(engine, clock)
    store = EditorialStore(engine, clock)
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    now = start + 60 * DAY
    for n, spec in enumerate(items):
        clock.set(now - spec["age"] - 50 * DAY if spec["published"] else now - spec["age"])
        nb, ex, pin = spec["not_before"], spec["expires_at"], spec["publish_at"]
        if pin is not None and (nb is not None or ex is not None):
            nb = ex = None  # pinned times must agree with the embargo and expiry: keep it simple
        if nb is not None and ex is not None and ex <= nb:
            ex = None
        item_id = add(
            queue,
            f"{channel}/{n}",
            (channel,),
            category=spec["category"],
            priority=spec["priority"],
            not_before=now + nb if nb is not None else None,
            expires_at=now + ex if ex is not None else None,
            publish_at=now + pin + 30 * DAY if pin is not None else None,
            draft=spec["draft"] and not spec["published"],
            evergreen=spec["evergreen"],
        )
        if pin is not None:  # pinned ahead of the clock above; now move it where it was drawn
            clock.set(now + pin - 2 * HOUR if pin > timedelta(0) else start)
            queue.edit_item(item_id, {"publish_at": now + pin})
        if spec["published"] and pin is None:
            publish(ledger, queue, item_id, channel, now - spec["published"])
    clock.set(now)
    at = now + probe
    rules = RULES if with_mix else Rules(recycle=RULES.recycle, reminders=RULES.reminders)
    from_sql = store.choose(channel, at, rules)
    views = queue.list_items(channel=channel, limit=1000)
    candidates = tuple(
        Candidate(
            delivery_id=d.id,
            item_id=v.id,
            channel=channel,
            priority=v.priority,
            created_at=v.created_at,
            item_state=v.state,
            delivery_state=d.state,
            not_before=v.not_before,
            expires_at=v.expires_at,
            title=v.title,
            url=v.url,
            category=v.category,
            publish_at=v.publish_at,
            reminder_of=v.reminder_of,
        )
        for v in views
        for d in v.deliveries
    )
    posts = tuple(
        (d.published_at, v.category)
        for v in views
        for d in v.deliveries
        if d.published_at is not None and d.state == "published"
    )
    memory = Snapshot(channel, candidates, tuple(store.evergreens(channel, at)), (), posts)
    from_memory = pick(Forecast(memory).supply(at), rules, at)
    assert from_sql == from_memory


# -- an index serves every question --------------------------------------------------------------


def plan_of(engine: Engine, statement: str, params: Any) -> str:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params).all()
            return "\n".join(str(r[-1]) for r in rows)
        # With a handful of rows PostgreSQL rightly prefers a sequential scan; forbidding it
        # shows which index the query can walk, and whether it still needs a sort.
        conn.exec_driver_sql("SET enable_seqscan = off")
        rows = conn.exec_driver_sql("EXPLAIN " + statement, params).all()
        return "\n".join(str(r[0]) for r in rows)


def test_a_categorys_best_item_is_one_walk_of_ix_deliveries_category(
    engine: Engine, queue: ContentQueue, store: EditorialStore, clock: FakeClock
) -> None:
    for n in range(30):
        add(queue, f"i{n}", category=("news", "resource", "event")[n % 3], priority=n % 4)
    with store.supply("c", clock()) as supply, recorded_sql(engine) as seen:
        found = supply.best_in("event")
    assert found is not None and found.category == "event" and found.priority == 3
    [(sql, params)] = seen
    plan = plan_of(engine, sql, params)
    assert "ix_deliveries_category" in plan, plan
    assert "TEMP B-TREE" not in plan and "Sort" not in plan, plan  # rows come in rank order


def test_pinned_items_are_found_among_the_channels_pending_deliveries(
    engine: Engine, queue: ContentQueue, store: EditorialStore, clock: FakeClock
) -> None:
    pinned = add(queue, "pinned", publish_at=clock() + HOUR)
    for n in range(20):
        add(queue, f"i{n}")
    with store.supply("c", clock() + 2 * HOUR) as supply, recorded_sql(engine) as seen:
        found = supply.pinned()
    assert found is not None and found.item_id == pinned
    if engine.dialect.name == "sqlite":
        # Pinned items keep their time once out: walking `ix_items_publish_at` up to now would
        # read every one ever posted, on every channel.
        plan = plan_of(engine, *seen[0])
        assert "ix_items_publish_at" not in plan and "SEARCH deliveries USING" in plan, plan


@pytest.mark.parametrize(
    ("question", "index"),
    [
        (lambda st, now: st.choose("c", now, RULES), "ix_deliveries_category"),  # a whole slot
        (lambda st, now: st.choose("c", now, Rules(reminders=(DAY,))), "ix_items_event_at"),
        (lambda st, now: st.events("c", now, [DAY]), "ix_items_event_at"),
        (lambda st, now: st.evergreens("c", now), "ix_items_evergreen"),
        (lambda st, now: st.pinned_times("c", now, now + DAY), "ix_items_publish_at"),
        (
            lambda st, now: published_by_category(st, "c", now, now),
            "ix_deliveries_channel_state_published",
        ),
    ],
)
def test_every_other_question_reads_a_few_rows_through_an_index(
    engine: Engine,
    queue: ContentQueue,
    store: EditorialStore,
    clock: FakeClock,
    question: Any,
    index: str,
) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL chooses by its statistics; SQLite has none, so the schema must")
    for n in range(20):
        add(queue, f"i{n}")
    with recorded_sql(engine) as seen:
        question(store, clock())
    plans = [plan_of(engine, *statement) for statement in seen]
    assert any(index in plan for plan in plans), plans
    # No table is read through (a SCAN of a subquery's rows, anon_N, reads what it made).
    assert not [plan for plan in plans if re.search(r"SCAN (?!anon_)", plan)], plans


# -- what the store reads ------------------------------------------------------------------------


def test_posts_in_the_window_by_category_and_pinned_times(
    queue: ContentQueue, ledger: Ledger, store: EditorialStore, clock: FakeClock
) -> None:
    now = clock()
    for n, (category, age) in enumerate([("news", 1), ("news", 2), ("resource", 3), ("news", 20)]):
        item = add(queue, f"p{n}", ("c", "d"), category=category)
        publish(ledger, queue, item, "c", now - age * DAY)
    assert published_by_category(store, "c", now, now - 14 * DAY) == {"news": 2, "resource": 1}
    assert published_by_category(store, "d", now, now - 14 * DAY) == {}
    at = now + 3 * HOUR
    add(queue, "pin-a", ("c", "d"), publish_at=at)
    add(queue, "pin-b", ("c",), publish_at=at)  # the same time twice: one entry
    add(queue, "pin-c", ("c",), publish_at=at + DAY)
    add(queue, "pin-draft", ("d",), publish_at=at + HOUR, draft=True)
    assert store.pinned_times("c", now, now + 2 * DAY) == [at, at + DAY]
    assert store.pinned_times("d", now, now + 2 * DAY) == [at]
    assert store.pinned_times("c", at, at) == [at]


def test_evergreen_history_and_engagement_on_every_channel(
    engine: Engine, queue: ContentQueue, ledger: Ledger, store: EditorialStore, clock: FakeClock
) -> None:
    start = clock()
    star = add(queue, "star", ("c", "d"), category="resource", evergreen=True)
    plain = add(queue, "plain", ("c",), category="resource", evergreen=True)
    add(queue, "not-evergreen", ("c",), category="resource")
    unposted = add(queue, "unposted", ("c",), evergreen=True)
    posts = {
        (star, "c"): publish(ledger, queue, star, "c", start),
        (star, "d"): publish(ledger, queue, star, "d", start),
        (plain, "c"): publish(ledger, queue, plain, "c", start + HOUR),
    }
    metrics = MetricsStore(engine, clock)
    readings = [
        (posts[(star, "c")], 30, 10),  # likes, reposts at 24 h
        (posts[(star, "d")], 10, 0),
        (posts[(plain, "c")], 1, 1),
    ]
    metrics.record_engagement(
        [
            EngagementReading(
                DueSample(d, "c", "r", start, timedelta(hours=24)), start, likes=likes, reposts=rp
            )
            for d, likes, rp in readings
        ]
    )
    clock.set(start + 40 * DAY)
    found = {e.item_id: e for e in store.evergreens("c", clock())}
    assert set(found) == {star, plain} and unposted not in found
    assert found[star].score == pytest.approx(25.0) and found[plain].score == pytest.approx(2.0)
    assert found[star].last_seen == start and found[star].repeats == 0

    made = store.make_recycle(found[star], by="daemon@a")
    assert made is not None
    assert store.make_recycle(found[star], by="daemon@b") is None  # the same repeat: once
    again = {e.item_id: e for e in store.evergreens("c", clock())}[star]
    assert again.repeats == 1 and again.last_seen == clock()  # made now, not yet posted
    recycle = next(i for i in queue.list_items() if i.recycled_from == star)
    assert [d.channel for d in recycle.deliveries] == ["c"] and recycle.deliveries[0].id == made
    assert recycle.url == queue.get(star).url and not recycle.evergreen  # the link, again
    assert {e.item_id: e for e in store.evergreens("d", clock())}[star].repeats == 0


def test_an_evergreens_score_is_the_mean_of_each_posts_latest_reading(
    engine: Engine, queue: ContentQueue, ledger: Ledger, store: EditorialStore, clock: FakeClock
) -> None:
    start = clock()
    item = add(queue, "scored", ("c", "d", "e"), category="resource", evergreen=True)
    unread = add(queue, "unread", ("c",), category="resource", evergreen=True)
    post = {ch: publish(ledger, queue, item, ch, start) for ch in ("c", "d", "e")}
    publish(ledger, queue, unread, "c", start)

    def reading(channel: str, hours: int, likes: int | None) -> EngagementReading:
        due = DueSample(post[channel], channel, "r", start, timedelta(hours=hours))
        return EngagementReading(due, start + timedelta(hours=hours), likes=likes)

    MetricsStore(engine, clock).record_engagement(
        [
            reading("c", 1, 5),
            reading("c", 24, 20),  # post on c at 24 h: 20
            reading("d", 1, 4),  # post on d read once: 4
            reading("e", 24, None),  # the network gave no figure: 0
        ]
    )
    clock.set(start + 40 * DAY)
    found = {e.item_id: e for e in store.evergreens("c", clock())}
    assert found[item].score == pytest.approx(8.0)
    assert found[unread].score == 0.0


def test_a_recycle_uses_the_alternate_text(
    queue: ContentQueue, ledger: Ledger, store: EditorialStore, clock: FakeClock
) -> None:
    item = add(queue, "alt", text="First words", alt_text="Other words", evergreen=True)
    publish(ledger, queue, item, "c", clock())
    clock.advance(days=40)
    [green] = store.evergreens("c", clock())
    store.make_recycle(green, by="me")
    recycle = next(i for i in queue.list_items() if i.recycled_from == item)
    assert recycle.text == "Other words"
    queue.edit_item(item, {"evergreen": False})  # no longer evergreen: nothing more is made
    assert store.evergreens("c", clock()) == []
    assert store.make_recycle(green, by="me") is None


def test_a_recycle_and_a_reminder_carry_the_originals_images(
    queue: ContentQueue, ledger: Ledger, store: EditorialStore, clock: FakeClock
) -> None:
    """The release banner of an evergreen item, the poster of an event: the repost and the
    reminder (items of their own) go out with the original's images and alt texts."""
    banner = ItemImage("a" * 64, "image/png", 120, 60, 900, "The banner")
    poster = ItemImage("b" * 64, "image/jpeg", 50, 70, 800, "", decorative=True)
    green = add(queue, "green", evergreen=True, title="G", images=[banner, poster])
    publish(ledger, queue, green, "c", clock())
    event_at = clock() + 45 * DAY  # five days ahead once the recycle is due
    party = add(queue, "poster", category="event", event_at=event_at, title="P", images=[poster])
    publish(ledger, queue, party, "c", clock())
    clock.advance(days=40)
    [due] = store.evergreens("c", clock())
    store.make_recycle(due, by="me")
    recycle = next(i for i in queue.list_items() if i.recycled_from == green)
    assert recycle.images == (banner, poster)
    [seen] = store.events("c", clock(), (7 * DAY,))
    assert store.make_reminder(ReminderDue(seen, 7 * DAY), "Soon: P", by="me") is not None
    reminder = next(i for i in queue.list_items() if i.reminder_of == party)
    assert reminder.images == (poster,)


def test_two_processes_making_the_same_recycle_make_one(
    engine: Engine, queue: ContentQueue, ledger: Ledger, clock: FakeClock, database_url: str
) -> None:
    from content_queue import make_engine

    item = add(queue, "race", evergreen=True)
    publish(ledger, queue, item, "c", clock())
    clock.advance(days=40)
    [green] = EditorialStore(engine, clock).evergreens("c", clock())
    other = make_engine(database_url)
    results: list[int | None] = []
    try:
        stores = [EditorialStore(engine, clock), EditorialStore(other, clock)]
        barrier = threading.Barrier(2)

        def make(s: EditorialStore) -> None:
            barrier.wait()
            results.append(s.make_recycle(green, by="racer"))

        threads = [threading.Thread(target=make, args=(s,)) for s in stores]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    finally:
        other.dispose()
    assert sorted(results, key=lambda r: r is None)[1] is None and any(results)
    assert sum(1 for i in queue.list_items() if i.recycled_from == item) == 1


def test_events_and_the_reminders_made(
    queue: ContentQueue, ledger: Ledger, store: EditorialStore, clock: FakeClock
) -> None:
    start = clock()
    event_at = start + 10 * DAY
    party = add(queue, "party", ("c", "d"), category="event", event_at=event_at, title="Party")
    assert queue.get(party).expires_at == event_at  # nothing about it after it
    publish(ledger, queue, party, "c", start + HOUR)
    clock.set(event_at - 5 * DAY)
    offsets = (7 * DAY, DAY)
    [seen] = store.events("c", clock(), offsets)
    assert (seen.item_id, seen.published_at, seen.made) == (party, start + HOUR, frozenset())
    [on_d] = store.events("d", clock(), offsets)
    assert on_d.published_at is None  # not out there yet: no reminder there
    due = ReminderDue(seen, 7 * DAY)
    delivery = store.make_reminder(due, "Reminder: Party — 12 March 2026", by="me")
    assert delivery is not None
    assert store.make_reminder(due, "again", by="me") is None
    [seen] = store.events("c", clock(), offsets)
    assert seen.made == frozenset({7 * DAY})
    reminder = next(i for i in queue.list_items() if i.reminder_of == party)
    assert (reminder.text, reminder.not_before, reminder.expires_at) == (
        "Reminder: Party — 12 March 2026",
        event_at - 7 * DAY,
        event_at,
    )
    # The reminder made is what the next slot takes, as a reminder.
    choice = store.choose("c", clock(), RULES)
    assert choice is not None and (choice.reason, choice.item_id) == ("reminder", reminder.id)
    clock.set(event_at)
    assert store.events("c", clock(), offsets) == []


def test_the_migration_copies_each_items_category_to_its_deliveries(engine: Engine) -> None:
    from alembic import command

    from xensocial.migrate import _config, head_revision, upgrade

    command.downgrade(_config(engine), "0004")  # type: ignore[arg-type]
    now = datetime(2026, 3, 2, tzinfo=UTC).replace(tzinfo=None)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO items (id, url, canonical_url, title, text, category, tags, source,"
                " priority, state, created_at, created_by, updated_at) VALUES (1, 'https://e.org/',"
                " 'https://e.org/', '', '', 'resource', '[]', 'manual', 0, 'approved', :t, '', :t)"
            ),
            {"t": now},
        )
        conn.execute(
            text(
                "INSERT INTO deliveries (item_id, channel, state, idempotency_key, attempts,"
                " sort_priority, sort_created_at, updated_at) VALUES (1, 'c', 'pending', 'k', 0, 0,"
                " :t, :t)"
            ),
            {"t": now},
        )
    assert upgrade(engine) == ("0004", head_revision())
    with engine.connect() as conn:
        assert conn.execute(text("SELECT sort_category FROM deliveries")).scalar() == "resource"
