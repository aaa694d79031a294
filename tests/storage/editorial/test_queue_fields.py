"""The editorial fields of an item through the queue API, on both backends: evergreen by default
for some categories and feeds, pinned times and event dates that never break the embargo nor
outlive the event, and the category copy the mix selects by."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from content_queue import ContentQueue, InvalidItem, NewItem
from content_queue.fastread import reader_for
from content_queue.schema import Delivery
from content_queue.sources import EntryData, FeedSpec, FeedStore
from tests.conftest import FakeClock
from xensocial.migrate import head_revision

HOUR, DAY = timedelta(hours=1), timedelta(days=1)


def item(url: str, **fields: object) -> NewItem:
    return NewItem(url=f"https://example.org/{url}", channels=("c", "d"), **fields)  # type: ignore[arg-type]


def test_evergreen_categories_make_items_evergreen_unless_told_otherwise(
    engine: Engine, clock: FakeClock
) -> None:
    queue = ContentQueue(engine, clock, evergreen_categories=["Resource"])
    assert queue.add(item("a", category="resource")).evergreen
    assert not queue.add(item("b", category="news")).evergreen
    assert not queue.add(item("c", category="resource", evergreen=False)).evergreen
    assert queue.add(item("d", category="news", evergreen=True)).evergreen
    assert not ContentQueue(engine, clock).add(item("e", category="resource")).evergreen


def test_a_feed_marked_evergreen_queues_evergreen_items(engine: Engine, clock: FakeClock) -> None:
    store = FeedStore(engine, clock, evergreen_categories=["resource"])
    green = store.add(FeedSpec(name="green", url="https://example.org/g.xml", evergreen=True))
    plain = store.add(FeedSpec(name="plain", url="https://example.org/p.xml", category="resource"))
    other = store.add(FeedSpec(name="other", url="https://example.org/o.xml"))

    def entry(key: str) -> EntryData:
        return EntryData(
            key=key, url=f"https://example.org/{key}", title=key, text="", content_hash=key
        )

    queued = {}
    for feed in (green, plain, other):
        result = store.record_poll(
            feed.id, [entry(f"{feed.name}-1")], channels=["c"], etag=None, last_modified=None
        )
        [queued[feed.name]] = result.added
    queue = ContentQueue(engine, clock)
    assert {name: queue.get(i).evergreen for name, i in queued.items()} == {
        "green": True,
        "plain": True,  # its category is evergreen
        "other": False,
    }


def test_an_event_date_is_the_latest_expiry(queue: ContentQueue, clock: FakeClock) -> None:
    event_at = clock() + 10 * DAY
    party = queue.add(item("party", event_at=event_at))
    assert party.expires_at == event_at
    early = queue.add(item("early", event_at=event_at, expires_at=event_at - DAY))
    assert early.expires_at == event_at - DAY
    with pytest.raises(InvalidItem, match="must not be after the event"):
        queue.add(item("late", event_at=event_at, expires_at=event_at + DAY))
    # Moving the event moves an expiry that was the event; an earlier one stays.
    assert queue.edit_item(party.id, {"event_at": event_at + DAY}).item.expires_at == event_at + DAY
    assert (
        queue.edit_item(early.id, {"event_at": event_at - 2 * DAY}).item.expires_at
        == event_at - 2 * DAY
    )
    cleared = queue.edit_item(party.id, {"event_at": None}).item
    assert cleared.event_at is None and cleared.expires_at is None
    with pytest.raises(InvalidItem, match="in the past"):
        queue.add(item("past", event_at=clock() - HOUR))


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"publish_at": 2 * HOUR, "not_before": 3 * HOUR}, "an embargo is never broken"),
        ({"publish_at": 2 * HOUR, "expires_at": HOUR}, "before the item expires"),
        ({"publish_at": 2 * DAY, "event_at": DAY}, "before the event"),
        ({"publish_at": -HOUR}, "in the past"),
        ({"not_before": 2 * DAY, "event_at": DAY}, "before the event"),
    ],
)
def test_a_pinned_time_or_event_that_contradicts_the_items_times_is_refused(
    queue: ContentQueue, clock: FakeClock, fields: dict[str, timedelta], problem: str
) -> None:
    values = {name: clock() + offset for name, offset in fields.items()}
    with pytest.raises(InvalidItem, match=problem):
        queue.add(item("x", **values))
    assert queue.list_items() == []


def test_edits_of_pinned_times_keep_the_embargo(queue: ContentQueue, clock: FakeClock) -> None:
    added = queue.add(item("x", not_before=clock() + DAY))
    pinned = queue.edit_item(added.id, {"publish_at": clock() + 2 * DAY}).item
    assert pinned.publish_at == clock() + 2 * DAY
    with pytest.raises(InvalidItem, match="embargo"):
        queue.edit_item(added.id, {"publish_at": clock() + HOUR})
    assert queue.get(added.id).publish_at == clock() + 2 * DAY  # refused: nothing changed
    assert queue.edit_item(added.id, {"publish_at": None}).item.publish_at is None


def test_evergreen_and_alt_text_are_edited_and_audited(engine: Engine, queue: ContentQueue) -> None:
    from content_queue.audit import AuditLog

    added = queue.add(item("x"))
    changed = queue.edit_item(
        added.id, {"evergreen": True, "alt_text": "  Again, in other words "}
    ).item
    assert changed.evergreen and changed.alt_text == "Again, in other words"
    assert queue.edit_item(added.id, {"alt_text": ""}).item.alt_text is None
    with pytest.raises(InvalidItem, match="alt_text"):
        queue.edit_item(added.id, {"alt_text": "x" * 10_001})
    [cleared, edited, _add] = AuditLog(engine).entries(item_id=added.id)
    assert "evergreen -> True" in edited.detail and "alt_text -> Again" in edited.detail
    assert "alt_text -> None" in cleared.detail


def test_each_delivery_carries_its_items_category(engine: Engine, queue: ContentQueue) -> None:
    added = queue.add(item("x", category=" Resource "))

    def copies() -> set[str]:
        with engine.connect() as conn:
            rows = conn.execute(select(Delivery.sort_category).where(Delivery.item_id == added.id))
            return {r[0] for r in rows}

    assert copies() == {"resource"}
    queue.edit_item(added.id, {"category": "Event"})
    assert copies() == {"event"}


def test_the_plain_read_path_shows_the_editorial_fields(
    engine: Engine, queue: ContentQueue, clock: FakeClock
) -> None:
    # `queue list` without SQLAlchemy: sqlite3 on SQLite, psycopg on PostgreSQL.
    fast = reader_for(engine.url.render_as_string(hide_password=False), head_revision())
    assert fast is not None, "the database is at head: the plain read path must take it"
    queue.add(
        item(
            "x",
            evergreen=True,
            alt_text="Other words",
            publish_at=clock() + DAY,
            event_at=clock() + 3 * DAY,
        )
    )
    assert fast.list_items() == queue.list_items()
    [shown] = fast.list_items()
    assert shown.as_dict()["publish_at"] == (clock() + DAY).isoformat()
    assert (shown.evergreen, shown.alt_text, shown.event_at) == (
        True,
        "Other words",
        clock() + 3 * DAY,
    )
