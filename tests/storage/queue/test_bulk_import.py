"""Imports in one pass (issue 15, "Why" 7): duplicates found a batch at a time, rows read as a
stream, on both backends (`bulk.add_rows` through `ContentQueue.add_many` / `import_rows`).

Re-importing 50,000 duplicate rows took 298 s (1,000: 1.3 s; 5,000: 7.4 s): every row had its
own savepoint, rolled back for each duplicate, and each rollback walked every object the session
held. The statement counts here pin the shape that makes it linear: one SELECT per batch of
rows for the duplicates, and no savepoint at all. bench/imports.py measures the time. Batches
are made small here (`SMALL` rows instead of `bulk.BATCH`) so that three of them stay cheap.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from content_queue import ContentQueue, ImportFailed, ImportResult, RowError
from content_queue.views import ItemView
from tests.sqlspy import recorded_sql

from .conftest import new_item

SMALL = 20
BATCH = SMALL
ROWS = 2 * SMALL + 7  # three batches, the last one short


def rows(n: int, prefix: str = "https://example.org/bulk/") -> list[tuple[int, object]]:
    return [(line + 2, new_item(f"{prefix}{line}", title=f"Row {line}")) for line in range(n)]


def add_many(queue: ContentQueue, data: Any, **options: Any) -> ImportResult:
    """`ContentQueue.add_many` in batches of SMALL rows."""
    result = ImportResult()
    queue.import_rows(data, result, batch=SMALL, **options)
    return result


def test_a_reimport_of_duplicates_is_one_select_per_batch(
    queue: ContentQueue, engine: Engine
) -> None:
    first = add_many(queue, rows(ROWS))
    assert len(first.added) == ROWS
    ids = {line: view.id for line, view in first.added}
    with recorded_sql(engine, kinds=None) as seen:
        again = add_many(queue, rows(ROWS))
    assert again.added == [] and again.refused == []
    assert [(line, dup.existing_id) for line, dup in again.duplicates] == sorted(ids.items())
    statements = [sql.lstrip().split()[0].upper() for sql, _ in seen]
    assert statements.count("SELECT") == 3  # one per batch, however many rows
    assert not [s for s in statements if s in ("SAVEPOINT", "INSERT", "UPDATE", "DELETE")]


def test_repeats_inside_the_file_across_batches_are_duplicates_of_the_first(
    queue: ContentQueue,
) -> None:
    data = rows(ROWS)
    # The same page again, spelled otherwise, in the same batch and two batches later.
    data.insert(5, (9001, new_item("https://EXAMPLE.org/bulk/3/?utm_source=x")))
    data.append((9002, new_item("https://example.org/bulk/3#again")))
    result = add_many(queue, data)
    first = dict(result.added)[5]  # line 5 is https://example.org/bulk/3
    assert [(line, dup.existing_id) for line, dup in result.duplicates] == [
        (9001, first.id),
        (9002, first.id),
    ]
    assert len(result.added) == ROWS


def test_the_duplicate_rule_is_the_single_adds(queue: ContentQueue) -> None:
    # A cancelled item is no duplicate, unless it went out somewhere: the rule `add` applies.
    live = queue.add(new_item("https://example.org/live"))
    gone = queue.add(new_item("https://example.org/gone"))
    queue.cancel(gone.id)
    result = add_many(
        queue,
        [(2, new_item("https://example.org/live/")), (3, new_item("https://example.org/gone"))],
    )
    assert [(line, dup.existing_id) for line, dup in result.duplicates] == [(2, live.id)]
    assert [line for line, _ in result.added] == [3]
    assert queue.find_duplicate("https://example.org/gone") is not None  # the new one


def test_allow_duplicate_adds_every_row(queue: ContentQueue) -> None:
    add_many(queue, rows(10))
    result = add_many(queue, rows(10), allow_duplicate=True)
    assert len(result.added) == 10 and result.duplicates == []


def test_a_bad_row_anywhere_keeps_nothing_and_every_bad_row_is_named(
    queue: ContentQueue, engine: Engine
) -> None:
    data: list[tuple[int, object] | RowError] = list(rows(ROWS))
    data[3] = RowError(5, "not valid CSV")  # refused by the reader
    data[BATCH + 10] = (BATCH + 12, new_item("ftp://not/http"))  # refused by the check
    data[-1] = (ROWS + 1, new_item("https://example.org/bulk/too-long", title="t" * 1001))
    before = queue.count_by_state()
    with pytest.raises(ImportFailed) as refused:
        add_many(queue, data, path="f.csv")
    assert [e.line for e in refused.value.errors] == [5, BATCH + 12, ROWS + 1]
    assert queue.count_by_state() == before
    result = add_many(queue, data, skip_bad=True)
    assert len(result.added) == ROWS - 3 and len(result.refused) == 3


def test_admit_is_asked_of_new_rows_only(queue: ContentQueue) -> None:
    add_many(queue, rows(5))
    asked: list[str] = []

    def admit(item: object) -> str | None:
        asked.append(item.url)
        return "too long for demo" if item.url.endswith("/7") else None

    with pytest.raises(ImportFailed) as refused:
        add_many(queue, rows(10), admit=admit)
    assert [str(e) for e in refused.value.errors] == ["line 9: too long for demo"]
    assert asked == [f"https://example.org/bulk/{n}" for n in range(5, 10)]  # no duplicate
    result = add_many(queue, rows(10), admit=admit, skip_bad=True)
    assert [line for line, _ in result.added] == [7, 8, 10, 11]


def test_rows_are_read_a_batch_at_a_time(queue: ContentQueue) -> None:
    # A stream is consumed as it is added: never more than a batch ahead of the database.
    read = 0
    stored_when_read: list[int] = []

    def stream() -> Iterator[tuple[int, object]]:
        nonlocal read
        for line, new in rows(ROWS):
            read += 1
            if read % BATCH == 1:
                stored_when_read.append(sum(queue.count_by_state().values()))
            yield line, new

    class Count:
        added = 0

        def on_added(self, line: int, view: ItemView) -> None:
            self.added += 1

        def on_duplicate(self, line: int, duplicate: object) -> None: ...

        def on_refused(self, error: RowError) -> None: ...

    count = Count()
    assert queue.import_rows(stream(), count, skip_bad=True, commit_each_batch=True, batch=SMALL)
    assert count.added == ROWS
    assert stored_when_read == [0, BATCH, 2 * BATCH]  # each batch committed before the next read


def test_a_stop_between_batches_keeps_what_was_committed(queue: ContentQueue) -> None:
    asked = 0

    def stop() -> bool:
        nonlocal asked
        asked += 1
        return asked > 1  # after the first batch

    result_added: list[int] = []

    class Keep:
        def on_added(self, line: int, view: ItemView) -> None:
            result_added.append(line)

        def on_duplicate(self, line: int, duplicate: object) -> None: ...

        def on_refused(self, error: RowError) -> None: ...

    done = queue.import_rows(
        rows(ROWS),
        Keep(),
        skip_bad=True,
        commit_each_batch=True,
        stop=stop,
        batch=SMALL,
    )
    assert done is False
    assert len(result_added) == BATCH == sum(queue.count_by_state().values())
    with pytest.raises(ValueError, match="needs skip_bad"):
        queue.import_rows([], Keep(), commit_each_batch=True)
