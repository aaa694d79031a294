"""The staff API (`ContentQueue`): add with dedupe, item states, edit, listing, bulk add."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from content_queue import (
    ContentQueue,
    DeliveryView,
    DuplicateItem,
    ImportFailed,
    InvalidItem,
    InvalidTransition,
    ItemNotFound,
    ItemState,
    ItemView,
    Ledger,
)
from content_queue.schema import Delivery, Item
from tests.choosing import claim, next_candidate
from tests.conftest import FakeClock

from .conftest import CHANNELS, new_item


def _count(engine: Engine, model: type[Item] | type[Delivery]) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model)).scalar_one()


def _publish(ledger: Ledger, delivery: DeliveryView, clock: FakeClock) -> None:
    lease = clock() + timedelta(minutes=5)
    assert (
        claim(ledger, delivery.id, "me", lease, channel=delivery.channel, now=clock()) is not None
    )
    ledger.mark_published(delivery.id, remote_id="r1", remote_url=None, published_at=clock())


# -- add ---------------------------------------------------------------------------------------


def test_add_creates_one_pending_delivery_per_channel(
    queue: ContentQueue, clock: FakeClock
) -> None:
    item = queue.add(
        new_item(
            "https://example.org/a",
            channels=("mastodon", "bluesky", "mastodon"),
            title="  Xen 4.20 released ",
            category=" News ",
            tags=("#xen", " virtualization ", " "),
            priority=3,
            created_by="alice",
        )
    )
    assert item.state == ItemState.APPROVED
    assert item.title == "Xen 4.20 released"
    assert item.category == "news"
    assert item.tags == ("xen", "virtualization")
    assert item.created_at == clock() == item.updated_at
    assert item.created_by == "alice"
    assert [(d.channel, d.state, d.attempts) for d in item.deliveries] == [
        ("bluesky", "pending", 0),
        ("mastodon", "pending", 0),
    ]
    keys = {d.idempotency_key for d in item.deliveries}
    assert len(keys) == 2 and all(k.startswith("xs-") for k in keys)
    assert queue.get(item.id) == item


def test_add_draft(queue: ContentQueue) -> None:
    assert queue.add(new_item("https://example.org/a", draft=True)).state == ItemState.DRAFT


def test_times_are_stored_and_returned_as_aware_utc(queue: ContentQueue) -> None:
    amsterdam = timezone(timedelta(hours=1))
    item = queue.add(
        new_item(
            "https://example.org/a",
            not_before=datetime(2026, 3, 5, 10, 0, tzinfo=amsterdam),
            expires_at=datetime(2026, 3, 9, 12, 0),  # naive: taken as UTC
        )
    )
    again = queue.get(item.id)
    assert again.not_before == datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
    assert again.not_before is not None and again.not_before.tzinfo == UTC
    assert again.expires_at == datetime(2026, 3, 9, 12, 0, tzinfo=UTC)
    assert again.created_at.tzinfo == UTC


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"url": "not a url"}, "url"),
        ({"url": "ftp://example.org/x"}, "url"),
        ({"channels": ()}, "channels"),
        ({"title": "x" * 1001}, "title"),
        ({"text": "x" * 10_001}, "text"),
        ({"alt_text": "x" * 10_001}, "alt_text"),
        ({"url": "https://example.org/" + "x" * 8173}, "url"),  # 8,193 characters
        ({"tags": ["t"] * 101}, "tags"),
        ({"tags": ["t" * 201]}, "tags"),
        ({"category": "  "}, "category"),
        ({"source": "carrier-pigeon"}, "source"),
        (
            {
                "not_before": datetime(2026, 3, 5, tzinfo=UTC),
                "expires_at": datetime(2026, 3, 4, tzinfo=UTC),
            },
            "expires_at",
        ),
    ],
)
def test_add_refuses_bad_fields_and_stores_nothing(
    queue: ContentQueue, engine: Engine, fields: dict[str, object], field: str
) -> None:
    values: dict[str, object] = {"url": "https://example.org/a", "channels": CHANNELS} | fields
    with pytest.raises(InvalidItem) as info:
        queue.add(new_item(**values))  # type: ignore[arg-type]
    assert info.value.field == field
    assert str(info.value).startswith(f"{field}: ")
    assert _count(engine, Item) == 0 and _count(engine, Delivery) == 0


# -- dedupe ------------------------------------------------------------------------------------


def test_duplicate_is_refused_naming_the_existing_item(queue: ContentQueue, engine: Engine) -> None:
    first = queue.add(new_item("https://example.org/post?id=1"))
    with pytest.raises(DuplicateItem) as info:
        queue.add(new_item("HTTPS://Example.org:443/post/?utm_source=x&id=1#top"))
    err = info.value
    assert err.existing_id == first.id and err.existing_state == "approved"
    assert f"item {first.id} (approved)" in str(err)
    assert "--allow-duplicate" in str(err)
    assert _count(engine, Item) == 1


def test_draft_items_count_as_duplicates(queue: ContentQueue) -> None:
    first = queue.add(new_item("https://example.org/a", draft=True))
    with pytest.raises(DuplicateItem) as info:
        queue.add(new_item("https://example.org/a/"))
    assert info.value.existing_id == first.id and info.value.existing_state == "draft"


def test_allow_duplicate_adds_a_second_item(queue: ContentQueue) -> None:
    first = queue.add(new_item("https://example.org/a"))
    second = queue.add(new_item("https://example.org/a"), allow_duplicate=True)
    assert second.id != first.id
    assert second.canonical_url == first.canonical_url


def test_cancelled_items_do_not_count(queue: ContentQueue) -> None:
    first = queue.add(new_item("https://example.org/a"))
    queue.cancel(first.id)
    assert queue.find_duplicate("https://example.org/a") is None
    assert queue.add(new_item("https://example.org/a")).id != first.id


def test_published_items_count(queue: ContentQueue, ledger: Ledger, clock: FakeClock) -> None:
    first = queue.add(new_item("https://example.org/a"))
    for d in first.deliveries:
        _publish(ledger, d, clock)
    with pytest.raises(DuplicateItem):
        queue.add(new_item("https://example.org/a?utm_medium=social"))
    found = queue.find_duplicate("https://example.org/a")
    assert found is not None and found.id == first.id


def test_an_item_published_somewhere_and_then_cancelled_still_counts(
    queue: ContentQueue, ledger: Ledger, clock: FakeClock
) -> None:
    # Cancelling stops the channels still to come; the post already out must not go out again.
    first = queue.add(new_item("https://example.org/a"))
    _publish(ledger, first.deliveries[0], clock)
    queue.cancel(first.id)
    with pytest.raises(DuplicateItem) as info:
        queue.add(new_item("https://example.org/a"))
    assert info.value.existing_id == first.id
    assert queue.add(new_item("https://example.org/a"), allow_duplicate=True).id != first.id


def test_different_pages_are_not_duplicates(queue: ContentQueue) -> None:
    queue.add(new_item("https://example.org/p?id=1"))
    queue.add(new_item("https://example.org/p?id=2"))
    queue.add(new_item("https://example.org/P?id=1"))
    assert len(queue.list_items()) == 3


# -- states and transitions --------------------------------------------------------------------


def test_approve_a_draft(queue: ContentQueue, clock: FakeClock) -> None:
    item = queue.add(new_item("https://example.org/a", draft=True))
    clock.advance(minutes=5)
    [(approved, changed)] = queue.approve_many([item.id])
    assert changed and approved.state == ItemState.APPROVED
    assert approved.updated_at == clock() and approved.created_at == item.created_at
    [(again, changed)] = queue.approve_many([item.id])
    assert not changed and again.state == ItemState.APPROVED


def test_cancel_then_nothing_more(queue: ContentQueue) -> None:
    item = queue.add(new_item("https://example.org/a"))
    cancelled, changed = queue.cancel(item.id)
    assert changed and cancelled.state == ItemState.CANCELLED
    assert queue.cancel(item.id)[1] is False
    with pytest.raises(InvalidTransition) as info:
        queue.approve_many([item.id])
    assert "cancelled" in str(info.value) and str(item.id) in str(info.value)
    with pytest.raises(InvalidTransition):
        queue.edit_item(item.id, {"title": "new"})
    assert queue.get(item.id).state == ItemState.CANCELLED


def test_cancel_keeps_the_record_of_posts_already_out(
    queue: ContentQueue, ledger: Ledger, clock: FakeClock
) -> None:
    item = queue.add(new_item("https://example.org/a"))
    _publish(ledger, item.deliveries[0], clock)
    cancelled, _ = queue.cancel(item.id)
    assert [d.state for d in cancelled.deliveries] == ["published", "pending"]
    assert next_candidate(ledger, item.deliveries[1].channel, clock()) is None


@pytest.mark.parametrize("action", ["get", "approve", "cancel", "edit"])
def test_missing_item(queue: ContentQueue, action: str) -> None:
    with pytest.raises(ItemNotFound, match="no item with id 4242"):
        if action == "edit":
            queue.edit_item(4242, {"title": "x"})
        elif action == "approve":  # as `queue approve` does, for one id or many
            queue.approve_many([4242])
        else:
            getattr(queue, action)(4242)


def test_each_channel_has_its_own_outcome(
    queue: ContentQueue, ledger: Ledger, clock: FakeClock
) -> None:
    item = queue.add(new_item("https://example.org/a", channels=("a", "b", "c")))
    by_channel = {d.channel: d.id for d in item.deliveries}
    lease = clock() + timedelta(minutes=5)
    assert claim(ledger, by_channel["a"], "me", lease, channel="a", now=clock())
    ledger.mark_failed(by_channel["a"], "rejected: too long")
    assert claim(ledger, by_channel["b"], "me", lease, channel="b", now=clock())
    ledger.mark_published(by_channel["b"], remote_id="1", remote_url="u", published_at=clock())
    states = {d.channel: (d.state, d.last_error) for d in queue.get(item.id).deliveries}
    assert states == {
        "a": ("failed", "rejected: too long"),
        "b": ("published", None),
        "c": ("pending", None),
    }
    assert queue.get(item.id).state == ItemState.APPROVED
    chosen = next_candidate(ledger, "c", clock())
    assert chosen is not None and chosen.item_id == item.id
    assert next_candidate(ledger, "a", clock()) is None
    assert next_candidate(ledger, "b", clock()) is None


# -- edit --------------------------------------------------------------------------------------


def test_edit_fields(queue: ContentQueue, clock: FakeClock) -> None:
    item = queue.add(new_item("https://example.org/a", draft=True))
    clock.advance(hours=1)
    later = clock() + timedelta(days=1)
    edited = queue.edit_item(
        item.id,
        {
            "title": " New title ",
            "text": "Body",
            "category": " Event ",
            "tags": ["#xen", "arm "],
            "priority": 7,
            "not_before": later.astimezone(timezone(timedelta(hours=2))),
        },
    ).item
    assert edited.title == "New title"
    assert edited.category == "event"
    assert edited.tags == ("xen", "arm")
    assert edited.priority == 7
    assert edited.not_before == later and edited.not_before is not None
    assert edited.not_before.tzinfo == UTC
    assert edited.updated_at == clock() and edited.state == ItemState.DRAFT
    assert queue.get(item.id) == edited


def test_edit_unknown_field(queue: ContentQueue) -> None:
    item = queue.add(new_item("https://example.org/a"))
    with pytest.raises(InvalidItem) as info:
        queue.edit_item(item.id, {"state": "approved", "colour": "red"})
    assert info.value.field == "colour, state"


def test_a_refused_edit_changes_nothing(queue: ContentQueue) -> None:
    item = queue.add(new_item("https://example.org/a", expires_at=datetime(2026, 4, 1, tzinfo=UTC)))
    with pytest.raises(InvalidItem) as info:
        queue.edit_item(
            item.id, {"title": "changed", "not_before": datetime(2026, 5, 1, tzinfo=UTC)}
        )
    assert info.value.field == "expires_at"
    with pytest.raises(InvalidItem):
        queue.edit_item(item.id, {"title": "changed", "url": "gopher://x"})
    assert queue.get(item.id) == item


def test_edit_url_checks_for_duplicates(queue: ContentQueue) -> None:
    a = queue.add(new_item("https://example.org/a"))
    b = queue.add(new_item("https://example.org/b"))
    with pytest.raises(DuplicateItem) as info:
        queue.edit_item(b.id, {"url": "https://example.org/a/"})
    assert info.value.existing_id == a.id
    # The same page written another way is no duplicate of itself.
    assert (
        queue.edit_item(a.id, {"url": "https://EXAMPLE.org/a#x"}).item.url
        == "https://EXAMPLE.org/a#x"
    )
    moved = queue.edit_item(b.id, {"url": "https://example.org/a"}, allow_duplicate=True).item
    assert moved.canonical_url == a.canonical_url


def test_edit_priority_changes_the_order(
    queue: ContentQueue, ledger: Ledger, clock: FakeClock
) -> None:
    old = queue.add(new_item("https://example.org/old"))
    clock.advance(minutes=1)
    young = queue.add(new_item("https://example.org/young"))
    first = next_candidate(ledger, "mastodon", clock())
    assert first is not None and first.item_id == old.id
    queue.edit_item(young.id, {"priority": 5})
    first = next_candidate(ledger, "mastodon", clock())
    assert first is not None and first.item_id == young.id and first.priority == 5


# -- listing -----------------------------------------------------------------------------------


@pytest.fixture
def populated(queue: ContentQueue, ledger: Ledger, clock: FakeClock) -> dict[str, int]:
    """Five items in known states; returns their ids by name."""
    ids = {}
    ids["draft"] = queue.add(new_item("https://example.org/draft", draft=True)).id
    ids["cancelled"] = queue.add(new_item("https://example.org/cancelled")).id
    queue.cancel(ids["cancelled"])
    only_b = queue.add(new_item("https://example.org/only-b", channels=("bluesky",)))
    ids["only_b"] = only_b.id
    half = queue.add(new_item("https://example.org/half"))
    ids["half"] = half.id
    _publish(ledger, half.delivery("mastodon"), clock)  # type: ignore[arg-type]
    failed = queue.add(new_item("https://example.org/failed"))
    ids["failed"] = failed.id
    d = failed.delivery("bluesky")
    assert d is not None and claim(
        ledger, d.id, "me", clock() + timedelta(minutes=1), channel="bluesky", now=clock()
    )
    ledger.mark_failed(d.id, "no")
    return ids


def _ids(items: list[ItemView]) -> list[int]:
    return [i.id for i in items]


def test_list_newest_first_by_default(queue: ContentQueue, populated: dict[str, int]) -> None:
    everything = sorted(populated.values(), reverse=True)
    assert _ids(queue.list_items()) == everything
    assert _ids(queue.list_items(newest_first=False)) == sorted(everything)
    assert _ids(queue.list_items(limit=2)) == everything[:2]
    assert _ids(queue.list_items(limit=2, offset=2)) == everything[2:4]
    listed = queue.list_items(limit=1)[0]
    assert [d.channel for d in listed.deliveries] == ["bluesky", "mastodon"]


@pytest.mark.parametrize(
    ("state", "channel", "expected"),
    [
        ("draft", None, ["draft"]),
        ("cancelled", None, ["cancelled"]),
        ("approved", None, ["failed", "half", "only_b"]),
        ("approved", "mastodon", ["failed", "half"]),
        (None, "bluesky", ["failed", "half", "only_b", "cancelled", "draft"]),
        ("published", None, ["half"]),
        ("published", "bluesky", []),
        ("failed", None, ["failed"]),
        ("failed", "mastodon", []),
        ("pending", "mastodon", ["failed", "cancelled", "draft"]),
        ("pending", "bluesky", ["half", "only_b", "cancelled", "draft"]),
        ("publishing", None, []),
        (None, "nowhere", []),
    ],
)
def test_list_filters(
    queue: ContentQueue,
    populated: dict[str, int],
    state: str | None,
    channel: str | None,
    expected: list[str],
) -> None:
    found = queue.list_items(state=state, channel=channel)
    assert _ids(found) == [populated[name] for name in expected]


def test_list_unknown_state(queue: ContentQueue) -> None:
    with pytest.raises(InvalidItem) as info:
        queue.list_items(state="posted")
    assert info.value.field == "state" and "published" in str(info.value)


def test_count_by_state(queue: ContentQueue, populated: dict[str, int]) -> None:
    assert queue.count_by_state() == {"draft": 1, "cancelled": 1, "approved": 3}


# -- bulk add ----------------------------------------------------------------------------------


def test_add_many_adds_all_in_order(queue: ContentQueue) -> None:
    result = queue.add_many(
        [(2, new_item("https://example.org/a")), (3, new_item("https://example.org/b"))],
        path="items.csv",
    )
    assert [(line, v.url) for line, v in result.added] == [
        (2, "https://example.org/a"),
        (3, "https://example.org/b"),
    ]
    assert result.duplicates == [] and result.refused == []
    assert len(queue.list_items()) == 2


def test_add_many_one_bad_row_imports_nothing(queue: ContentQueue, engine: Engine) -> None:
    queue.add(new_item("https://example.org/existing"))
    rows = [
        (2, new_item("https://example.org/a")),
        (3, new_item("nonsense")),
        (4, new_item("https://example.org/b", category="")),
        (5, new_item("https://example.org/c")),
    ]
    with pytest.raises(ImportFailed) as info:
        queue.add_many(rows, path="items.csv")
    err = info.value
    assert [e.line for e in err.errors] == [3, 4]
    message = str(err)
    assert message.startswith("items.csv: 2 bad row(s); nothing was imported")
    assert "line 3: url:" in message and "line 4: category:" in message
    assert _count(engine, Item) == 1 and _count(engine, Delivery) == 2


def test_add_many_skip_bad_imports_the_good_rows(queue: ContentQueue) -> None:
    rows = [
        (2, new_item("https://example.org/a")),
        (3, new_item("nonsense")),
        (4, new_item("https://example.org/c")),
    ]
    result = queue.add_many(rows, skip_bad=True)
    assert [line for line, _ in result.added] == [2, 4]
    assert [(e.line, e.message.split(":")[0]) for e in result.refused] == [(3, "url")]
    assert len(queue.list_items()) == 2


def test_add_many_duplicates_are_skipped_and_reported(queue: ContentQueue) -> None:
    existing = queue.add(new_item("https://example.org/existing"))
    rows = [
        (2, new_item("https://example.org/a")),
        (3, new_item("https://example.org/a/?utm_source=csv")),  # same as line 2
        (4, new_item("https://example.org/existing#x")),  # already in the queue
        (5, new_item("https://example.org/b")),
    ]
    result = queue.add_many(rows)
    assert [line for line, _ in result.added] == [2, 5]
    first_id = result.added[0][1].id
    assert [(line, d.existing_id) for line, d in result.duplicates] == [
        (3, first_id),
        (4, existing.id),
    ]
    assert len(queue.list_items()) == 3
    # The skipped rows left nothing behind, not even deliveries.
    assert sum(len(i.deliveries) for i in queue.list_items()) == 6


def test_add_many_allow_duplicate(queue: ContentQueue) -> None:
    rows = [(2, new_item("https://example.org/a")), (3, new_item("https://example.org/a"))]
    result = queue.add_many(rows, allow_duplicate=True)
    assert len(result.added) == 2 and result.duplicates == []
