"""`fastwrite` (plain sqlite3 or psycopg) adds an item exactly as `ContentQueue.add` (the ORM) does.

`xensocial queue add` writes through `fastwrite` and the rest of the code through the ORM, so
both must accept and refuse the same input with the same words, and leave the same rows. The
property test adds the same random items (good and bad: duplicates by canonical URL, bad URLs,
oversized or empty fields, NUL characters, times in the past, events and pinned times,
evergreen defaults, drafts, repeated channels) both ways, into two databases of the same
backend with the same clock, and compares what each call returned or raised, then a full dump
of every table. Idempotency keys are random by design: they are checked for their form and
uniqueness, then left out of the comparison.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.engine import Engine

from content_queue import ContentQueue, NewItem, QueueError
from content_queue.dbapi import plain_database
from content_queue.fastwrite import FastWriter, writer_for
from content_queue.schema import Base
from content_queue.views import ItemImage
from content_queue.vocabulary import SOURCES
from tests.conftest import BACKENDS, FakeClock, _postgres_engine, _sqlite_engine
from xensocial.migrate import head_revision, upgrade

CHANNELS = ("mastodon", "bluesky", "x", "Ünï-chan")
EVERGREEN = ("resource",)
_KEY = re.compile(r"xs-[0-9a-f]{32}")


@pytest.fixture(params=BACKENDS)
def pair(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Engine, Engine]]:
    """Two migrated databases of one backend: one for the ORM, one for the plain driver."""
    with ExitStack() as stack:
        engines = []
        for name in ("orm", "plain"):
            folder = tmp_path / name
            folder.mkdir()
            engine = stack.enter_context(
                _sqlite_engine(folder) if request.param == "sqlite" else _postgres_engine()
            )
            upgrade(engine)
            engines.append(engine)
        yield engines[0], engines[1]


def _text(size: int) -> st.SearchStrategy[str]:
    # NUL is allowed (the checks refuse it); lone surrogates no driver can encode.
    return st.text(st.characters(blacklist_categories=("Cs",)), max_size=size)


def _moment(clock: FakeClock) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.none(),
        st.integers(-3 * 86_400, 90 * 86_400).map(lambda s: clock() + timedelta(seconds=s)),
    )


_URLS = st.sampled_from(
    [
        "https://example.org/a",
        "https://EXAMPLE.org:443/a/?utm_source=x#top",  # the same page as the first
        "http://example.org/b?z=1&a=2",
        "http://example.org/b?a=2&z=1&fbclid=9",  # the same page as the previous one
        "https://example.org/ünï/%7Efolder",
        "https://example.org/c d",  # a blank: refused
        "ftp://example.org/f",  # not http(s): refused
        "https://example.org:99999/x",  # a bad port: refused
    ]
)


def _new_items(clock: FakeClock) -> st.SearchStrategy[NewItem]:
    return st.builds(
        NewItem,
        url=_URLS,
        channels=st.lists(st.sampled_from(CHANNELS), max_size=5),
        title=st.one_of(_text(30), st.just("t" * 1001)),
        text=_text(40),
        category=st.sampled_from(["news", " Resource ", "event", "", "  ", "c" * 41, "Ünï"]),
        tags=st.lists(st.one_of(_text(8), st.sampled_from(["#xen", " #hyp ", " "])), max_size=3),
        source=st.sampled_from([*SOURCES, "bogus"]),
        priority=st.one_of(st.integers(-3, 3), st.just(2**31)),
        not_before=_moment(clock),
        expires_at=_moment(clock),
        draft=st.booleans(),
        created_by=st.one_of(st.just(""), st.text(st.characters(min_codepoint=32), max_size=100)),
        evergreen=st.one_of(st.none(), st.booleans()),
        alt_text=st.one_of(st.none(), _text(20)),
        publish_at=_moment(clock),
        event_at=_moment(clock),
        images=st.lists(_IMAGES, max_size=5),  # five: one more than an item may have
    )


# Images as the service hands them to the queue, good and bad: no alt text (refused unless
# decorative), a bad address, no type, no pixels, alt text to make inert.
_IMAGES = st.builds(
    ItemImage,
    sha256=st.sampled_from(["a" * 64, "0123456789abcdef" * 4, "not-a-sha"]),
    mime=st.sampled_from(["image/png", "image/jpeg", ""]),
    width=st.integers(0, 3),
    height=st.integers(1, 3),
    bytes=st.integers(1, 10),
    alt=st.one_of(_text(12), st.just(" A banner\u202e ")),
    decorative=st.booleans(),
)


def _outcome(adder: ContentQueue | FastWriter, new: NewItem, allow: bool) -> tuple[str, Any]:
    """What adding `new` gave: the item (without its random keys), or the error and its words."""
    try:
        view = adder.add(new, allow_duplicate=allow)
    except QueueError as exc:
        return type(exc).__name__, str(exc)
    for d in view.deliveries:
        assert _KEY.fullmatch(d.idempotency_key), d.idempotency_key
    return "added", _without_keys(view.as_dict())


def _without_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_keys(v) for k, v in value.items() if k != "idempotency_key"}
    if isinstance(value, list):
        return [_without_keys(v) for v in value]
    return value


def _dump(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in primary-key order, idempotency keys checked and left out."""
    out = {}
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            rows = conn.execute(select(table).order_by(*table.primary_key.columns)).all()
            if "idempotency_key" in table.c:
                at = list(table.c.keys()).index("idempotency_key")
                keys = [row[at] for row in rows]
                assert len(set(keys)) == len(keys) and all(_KEY.fullmatch(k) for k in keys)
                rows = [(*row[:at], *row[at + 1 :]) for row in rows]
            out[table.name] = [tuple(row) for row in rows]
    return out


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_fastwrite_adds_exactly_what_the_queue_adds(
    pair: tuple[Engine, Engine], clock: FakeClock, data: st.DataObject
) -> None:
    orm_engine, plain_engine = pair
    queue = ContentQueue(orm_engine, clock=clock, evergreen_categories=EVERGREEN)
    fast = writer_for(
        plain_engine.url.render_as_string(hide_password=False),
        head_revision(),
        clock=clock,
        evergreen_categories=EVERGREEN,
    )
    assert isinstance(fast, FastWriter)
    try:
        for _ in range(data.draw(st.integers(1, 6), label="items")):
            new = data.draw(_new_items(clock), label="item")
            allow = data.draw(st.booleans(), label="allow_duplicate")
            clock.advance(microseconds=data.draw(st.integers(1, 10**7)))
            expected = _outcome(queue, new, allow)
            assert _outcome(fast, new, allow) == expected, new
            for url in (new.url, "https://example.org/a"):
                try:
                    slow_dup = queue.find_duplicate(url)
                except QueueError as exc:
                    with pytest.raises(type(exc), match=re.escape(str(exc))):
                        fast.find_duplicate(url)
                    continue
                fast_dup = fast.find_duplicate(url)
                assert (fast_dup is None) == (slow_dup is None)
                if fast_dup is not None and slow_dup is not None:
                    assert _without_keys(fast_dup.as_dict()) == _without_keys(slow_dup.as_dict())
    finally:
        fast.close()
    assert _dump(plain_engine) == _dump(orm_engine)


def test_an_add_is_one_transaction(pair: tuple[Engine, Engine], clock: FakeClock) -> None:
    """Nothing of an add that fails half-way stays: here the second delivery's insert fails
    (a channel name longer than its column on PostgreSQL; a trigger on SQLite)."""
    _, engine = pair
    if engine.dialect.name == "sqlite":
        with engine.begin() as conn:
            conn.exec_driver_sql(
                "CREATE TRIGGER refuse BEFORE INSERT ON deliveries WHEN NEW.channel = 'boom' "
                "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
            )
        channels = ["mastodon", "boom"]
    else:
        channels = ["mastodon", "c" * 101]
    db = plain_database(engine.url.render_as_string(hide_password=False), writable=True)
    assert db is not None
    fast = FastWriter(db, clock=clock)
    before = _dump(engine)
    with pytest.raises(Exception, match="refused by the test|too long"):
        fast.add(NewItem(url="https://example.org/x", channels=channels, title="T"))
    fast.close()
    assert _dump(engine) == before


def test_writer_for_only_answers_at_the_head_revision(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'queue.db'}"  # the file _sqlite_engine makes
    head = head_revision()
    assert writer_for(url, head) is None  # no file: the ORM way creates and migrates it
    with _sqlite_engine(tmp_path) as engine:
        upgrade(engine, "0001")
        assert writer_for(url, head) is None  # an older schema: the ORM way upgrades it
        upgrade(engine)
    found = writer_for(url, head)
    assert isinstance(found, FastWriter)
    found.close()
    assert writer_for(url, "9999") is None
    assert writer_for(url, None) is None
