"""`fastread` (plain sqlite3 or psycopg) answers exactly as `ContentQueue` (the ORM) does.

The CLI's `queue list` and `queue show` read through `fastread` and everything else through
`ContentQueue`, so the two must never disagree: the property test fills a real, migrated
database (a SQLite file, and a PostgreSQL schema on the server) with random items and
deliveries (any mix of item and delivery states, channels, priorities, dates, tags, text, a
channel's own text) and compares both on random queries, views field by field. A filter, an
order, a column or a conversion that drifts in either one, on either driver, fails it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert
from sqlalchemy.engine import Engine

from content_queue import ContentQueue, InvalidItem, ItemNotFound
from content_queue.db import make_engine
from content_queue.dbapi import PostgresDatabase, plain_database
from content_queue.fastread import FastReader, reader_for, sqlite_file
from content_queue.schema import Delivery, DeliveryState, Item, ItemState
from content_queue.vocabulary import DELIVERY_STATES, ITEM_STATES
from tests.storage.queue.conftest import new_item
from xensocial.migrate import head_revision, upgrade

CHANNELS = ("mastodon", "bluesky", "x", "Ünï-chan")
BASE = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def both(engine: Engine) -> Iterator[tuple[Engine, FastReader]]:
    """The `engine` fixture's database (SQLite, then PostgreSQL), and a FastReader on it."""
    db = plain_database(engine.url.render_as_string(hide_password=False))
    assert db is not None and db.backend == engine.dialect.name
    reader = FastReader(db)
    yield engine, reader
    reader.close()


def _text(size: int, *, min_size: int = 0) -> st.SearchStrategy[str]:
    # Any text PostgreSQL stores too (no NUL, no lone surrogate: both are refused before writing).
    alphabet = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
    return st.text(alphabet, min_size=min_size, max_size=size)


_when = st.one_of(
    st.none(),
    st.integers(min_value=-(10**8), max_value=10**8).map(
        lambda us: BASE + timedelta(seconds=us / 7)
    ),
)
_deliveries = st.dictionaries(
    st.sampled_from(CHANNELS),
    st.tuples(
        st.sampled_from(sorted(DeliveryState)),
        st.integers(0, 5),
        _when,
        st.one_of(st.none(), _text(20)),
        st.one_of(st.none(), _text(30)),
    ),
    max_size=len(CHANNELS),
)
_items = st.lists(
    st.tuples(
        st.sampled_from(sorted(ItemState)),
        st.integers(-3, 3),
        _when,
        _when,
        st.lists(_text(8, min_size=1), max_size=3),
        _text(30),
        _deliveries,
    ),
    max_size=14,
)
_queries = st.lists(
    st.tuples(
        st.one_of(st.none(), st.sampled_from(sorted(ITEM_STATES | DELIVERY_STATES))),
        st.one_of(st.none(), st.sampled_from((*CHANNELS, "nowhere"))),
        st.integers(0, 20),
        st.integers(0, 6),
        st.booleans(),
    ),
    min_size=1,
    max_size=6,
)


def _fill(engine: Engine, items: list[Any]) -> None:
    """Replace the queue's contents with `items`, written as raw rows (any state mix)."""
    with engine.begin() as conn:
        conn.execute(delete(Delivery))
        conn.execute(delete(Item))
        for n, (state, priority, not_before, expires, tags, title, deliveries) in enumerate(
            items, start=1
        ):
            created = BASE + timedelta(minutes=n, microseconds=n * 37)
            conn.execute(
                insert(Item),
                {
                    "id": n * 3,  # gaps, so ids and row numbers differ
                    "url": f"https://example.org/{n}",
                    "canonical_url": f"https://example.org/{n}",
                    "title": title,
                    "text": title[::-1],
                    "category": "news",
                    "tags": tags,
                    "source": "manual",
                    "priority": priority,
                    "not_before": not_before,
                    "expires_at": expires,
                    "state": state,
                    "created_at": created,
                    "created_by": "test",
                    "updated_at": created + timedelta(seconds=1),
                },
            )
            for channel, (d_state, attempts, published, error, own) in deliveries.items():
                conn.execute(
                    insert(Delivery),
                    {
                        "item_id": n * 3,
                        "channel": channel,
                        "state": d_state,
                        "idempotency_key": f"xs-{n}-{channel}",
                        "attempts": attempts,
                        "last_error": error,
                        "remote_id": None if published is None else f"r{n}",
                        "remote_url": None if published is None else f"https://n.example/{n}",
                        "published_at": published,
                        "owner": "host-a" if d_state == "publishing" else None,
                        "sort_priority": priority,
                        "sort_created_at": created,
                        "updated_at": created,
                        "text_override": own,
                    },
                )


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(items=_items, queries=_queries)
def test_fastread_lists_and_gets_exactly_what_the_queue_does(
    both: tuple[Engine, FastReader], items: list[Any], queries: list[Any]
) -> None:
    engine, fast = both
    _fill(engine, items)
    queue = ContentQueue(engine)
    for state, channel, limit, offset, newest_first in queries:
        kwargs = {
            "state": state,
            "channel": channel,
            "limit": limit,
            "offset": offset,
            "newest_first": newest_first,
        }
        assert fast.list_items(**kwargs) == queue.list_items(**kwargs), kwargs
    for n in range(1, len(items) + 2):  # every item, and one id past the end
        try:
            expected = queue.get(n * 3)
        except ItemNotFound:
            with pytest.raises(ItemNotFound, match=f"no item with id {n * 3}"):
                fast.get(n * 3)
        else:
            assert fast.get(n * 3) == expected


def test_a_view_read_both_ways_is_the_same_down_to_the_microsecond(
    both: tuple[Engine, FastReader],
) -> None:
    engine, fast = both
    queue = ContentQueue(engine, clock=lambda: BASE + timedelta(microseconds=123_456))
    added = queue.add(
        new_item(
            "https://example.org/a?utm_source=x",
            channels=("mastodon", "bluesky"),
            title="Ünïcode — title",
            tags=["#xen", "hyp"],
            priority=2,
            not_before=BASE + timedelta(days=1, microseconds=1),
        )
    )
    queue.set_text(added.id, "bluesky", "Own words — ünï")
    got = fast.get(added.id)
    assert got == queue.get(added.id)
    assert got.created_at.tzinfo is UTC and got.created_at.microsecond == 123_456
    assert got.created_at == added.created_at
    assert [d.channel for d in got.deliveries] == ["bluesky", "mastodon"]
    assert got.deliveries[0].text_override == "Own words — ünï"
    assert got.tags == ("xen", "hyp")


def test_an_unknown_state_is_refused_with_the_queues_words(
    both: tuple[Engine, FastReader],
) -> None:
    engine, fast = both
    with pytest.raises(InvalidItem) as slow:
        ContentQueue(engine).list_items(state="posted")
    with pytest.raises(InvalidItem) as quick:
        fast.list_items(state="posted")
    assert str(quick.value) == str(slow.value)
    assert "'posted' is not one of approved, cancelled, draft, failed" in str(quick.value)


def test_the_connection_is_read_only(both: tuple[Engine, FastReader]) -> None:
    engine, fast = both
    refused: Any = sqlite3.OperationalError
    if engine.dialect.name == "postgresql":
        import psycopg

        refused = psycopg.errors.ReadOnlySqlTransaction
    with pytest.raises(refused, match="read-?only"), fast.db.reading() as tx:
        tx.run("DELETE FROM items")
    assert fast.list_items() == []  # and the reader goes on after the refusal


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:////srv/xs/queue.db", Path("/srv/xs/queue.db")),
        ("sqlite+pysqlite:////srv/xs/queue.db", Path("/srv/xs/queue.db")),
        ("sqlite:////srv/x%20s/q.db", Path("/srv/x s/q.db")),
        ("sqlite://", None),
        ("sqlite:///:memory:", None),
        ("sqlite:///%3Amemory%3A", None),
        ("sqlite:///file:q.db?mode=ro&uri=true", None),
        ("sqlite:////srv/q.db?timeout=5", None),
        ("postgresql+psycopg://u@h/db", None),
    ],
)
def test_sqlite_file_is_only_for_plain_sqlite_urls(url: str, expected: Path | None) -> None:
    assert sqlite_file(url) == expected


def test_reader_for_only_answers_for_a_file_at_the_head_revision(tmp_path: Path) -> None:
    head = head_revision()
    path = tmp_path / "q.db"
    url = f"sqlite:///{path}"
    assert reader_for(url, head) is None  # no file yet: the ORM path creates and migrates it
    sqlite3.connect(path).close()
    assert reader_for(url, head) is None  # empty, never migrated
    path.write_bytes(b"not a database, but a file of text that is long enough" * 100)
    assert reader_for(url, head) is None  # SQLite cannot read it: the ORM path reports it
    path.unlink()
    engine = make_engine(url)
    upgrade(engine, "0001")
    assert reader_for(url, head) is None  # an older schema: the ORM path upgrades it
    upgrade(engine)
    engine.dispose()
    fast = reader_for(url, head)
    assert isinstance(fast, FastReader) and fast.path == path
    assert reader_for(url, "9999") is None  # a newer (or other) code base than the file
    assert reader_for("postgresql://u@h/db", head) is None  # not psycopg: SQLAlchemy's default


def test_reader_for_postgresql_at_the_head_revision_only(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("the PostgreSQL side of reader_for")
    url = engine.url.render_as_string(hide_password=False)
    head = head_revision()
    fast = reader_for(url, head)
    assert fast is not None and isinstance(fast.db, PostgresDatabase) and fast.path is None
    fast.close()
    assert reader_for(url, "9999") is None
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE alembic_version")
    assert reader_for(url, head) is None  # never migrated, as far as it can tell
    nobody = "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=3"
    assert reader_for(nobody, head) is None  # no server: the ORM way says so in its words
