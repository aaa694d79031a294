"""The Alembic migrations build exactly the schema the models describe, on both backends."""

from __future__ import annotations

import warnings

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Index, inspect
from sqlalchemy.engine import Engine

from content_queue import Base
from xensocial.migrate import current_revision, head_revision, upgrade


def _expression_indexes() -> set[str]:
    """Indexes with an expression (e.g. `sort_priority DESC`): Alembic cannot compare those."""
    return {
        str(index.name)
        for table in Base.metadata.tables.values()
        for index in table.indexes
        if any(not isinstance(e, Column) for e in index.expressions)
    }


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    skipped = _expression_indexes()

    def comparable(diff: tuple[object, ...]) -> bool:
        index = diff[1]
        return not (isinstance(index, Index) and index.name in skipped)

    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            diffs = [d for d in compare_metadata(context, Base.metadata) if comparable(d)]
        assert diffs == []
        # What autogenerate cannot compare is at least there, on the same columns in order.
        found = {
            ix["name"]: ix["column_names"]
            for table in ("items", "deliveries")
            for ix in inspect(conn).get_indexes(table)
        }
    for table in Base.metadata.tables.values():
        for index in table.indexes:
            if index.name in skipped:
                wanted = [
                    e.name if isinstance(e, Column) else str(e).split()[0]
                    for e in index.expressions
                ]
                assert found.get(str(index.name)) == wanted, index.name


def test_at_head_and_upgrade_is_idempotent(engine: Engine) -> None:
    assert current_revision(engine) == head_revision() is not None
    assert upgrade(engine) == (head_revision(), head_revision())


def test_downgrade_to_base_and_back(engine: Engine) -> None:
    from alembic import command

    from xensocial.migrate import _config

    command.downgrade(_config(engine), "base")  # type: ignore[arg-type]
    with engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
    assert upgrade(engine) == (None, head_revision())
    with engine.connect() as conn:
        tables = set(inspect(conn).get_table_names())
    assert {"items", "deliveries", "slot_claims", "channel_states"} <= tables


def test_downgrading_editorial_columns_keeps_every_row(engine: Engine) -> None:
    # 0005 only adds columns; undoing it must not rebuild `items` (on SQLite a rebuild drops
    # the table, and ON DELETE CASCADE would take the deliveries with it).
    from alembic import command
    from sqlalchemy import text

    from content_queue import ContentQueue, NewItem
    from xensocial.migrate import _config

    queue = ContentQueue(engine)
    queue.add(NewItem(url="https://example.org/keep", title="Keep", channels=["a", "b"]))
    command.downgrade(_config(engine), "0004")  # type: ignore[arg-type]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM items")).scalar() == 1
        assert conn.execute(text("SELECT count(*) FROM deliveries")).scalar() == 2
        assert "evergreen" not in {c["name"] for c in inspect(conn).get_columns("items")}
    assert upgrade(engine) == ("0004", head_revision())


def test_0007_adds_and_removes_only_the_bookmarks_column(engine: Engine) -> None:
    from datetime import UTC, datetime, timedelta

    from alembic import command
    from sqlalchemy import text

    from content_queue import ContentQueue, NewItem
    from content_queue.metrics_store import DueSample, EngagementReading, MetricsStore
    from xensocial.migrate import _config

    def columns() -> list[str]:
        with engine.connect() as conn:
            return [str(c["name"]) for c in inspect(conn).get_columns("engagement_samples")]

    def reading() -> tuple[object, ...]:
        with engine.connect() as conn:
            row = conn.execute(text("SELECT * FROM engagement_samples")).mappings().one()
        return row["likes"], row.get("bookmarks", "absent")

    item = ContentQueue(engine).add(NewItem(url="https://example.org/a", channels=["x-main"]))
    [delivery] = item.deliveries
    at = datetime(2026, 3, 2, 9, tzinfo=UTC)
    due = DueSample(delivery.id, "x-main", "1", at, timedelta(hours=1))
    MetricsStore(engine).record_engagement([EngagementReading(due, at, likes=4, bookmarks=3)])
    before = columns()
    assert before[-1] == "bookmarks" and reading() == (4, 3)
    command.downgrade(_config(engine), "0006")  # type: ignore[arg-type]
    assert columns() == before[:-1] and reading() == (4, "absent")  # the reading is kept
    assert upgrade(engine) == ("0006", head_revision())
    assert columns() == before and reading() == (4, None)  # bookmarks then: unknown, not 0


def test_0006_adds_and_removes_only_an_index(engine: Engine) -> None:
    from alembic import command

    from xensocial.migrate import _config

    def indexes() -> set[str]:
        with engine.connect() as conn:
            return {str(ix["name"]) for ix in inspect(conn).get_indexes("deliveries")}

    assert "ix_deliveries_channel_state_published" in indexes()
    command.downgrade(_config(engine), "0005")  # type: ignore[arg-type]
    assert "ix_deliveries_channel_state_published" not in indexes()
    assert upgrade(engine) == ("0005", head_revision())
    assert "ix_deliveries_channel_state_published" in indexes()
