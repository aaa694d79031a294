"""`dbapi` reads a database URL and stores values exactly as SQLAlchemy does.

The plain-driver paths (`fastread`, `fastwrite`) open the database from the same URL the ORM
gets, and write rows the ORM reads back: a URL read differently would reach another database
(or none), and a timestamp or a JSON value written differently would read back differently.
Each test compares with SQLAlchemy itself, the reference.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.engine import Engine, make_url

from content_queue.dbapi import (
    SqliteDatabase,
    plain_database,
    psycopg_arguments,
    psycopg_url,
    read_time,
)
from content_queue.schema import AuditEntry, Item


def _sqlalchemys(url: str) -> dict[str, Any]:
    """What SQLAlchemy's psycopg dialect passes to `psycopg.connect` for `url`."""
    engine = create_engine(url)
    try:
        args, kwargs = engine.dialect.create_connect_args(make_url(url))
    finally:
        engine.dispose()
    assert args == [] or args == [""]
    return {k: v for k, v in kwargs.items() if k not in {"context", "client_encoding"}}


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://postgres@127.0.0.1:5432/test",
        "postgresql+psycopg://u:p%40ss%3Aw%2Frd@db.example:5433/xs",
        "postgresql+psycopg://u:@h/db",
        "postgresql+psycopg://%C3%BCser@h/d%20b",
        "postgresql+psycopg://postgres@127.0.0.1:5432/test?options=-csearch_path%3Dxs_1",
        "postgresql+psycopg://u@h/db?sslmode=require&connect_timeout=5&application_name=xs",
        "postgresql+psycopg://u@[::1]:5432/db",
        "postgresql+psycopg:///db",
        "postgresql+psycopg://h",
        "postgresql+psycopg://u@h/db?options=",
    ],
)
def test_psycopg_arguments_are_what_sqlalchemy_gives_psycopg(url: str) -> None:
    assert psycopg_arguments(url) == _sqlalchemys(url)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://u@h/db",  # SQLAlchemy's default driver for it is psycopg2, not psycopg
        "postgresql+psycopg2://u@h/db",
        "postgresql+asyncpg://u@h/db",
        "postgresql+psycopg://u@/db?host=/var/run/postgresql",  # SQLAlchemy's host forms
        "postgresql+psycopg://u@/db?host=h1:5432&host=h2:5433",
        "postgresql+psycopg://u@h/db?port=5433",
        "postgresql+psycopg://u@h/db?sslmode=a&sslmode=b",
        "postgresql+psycopg://u@h:notaport/db",
        "sqlite:///q.db",
        "mysql://u@h/db",
    ],
)
def test_other_urls_are_left_to_the_orm(url: str) -> None:
    assert psycopg_arguments(url) is None


def test_a_missing_sqlite_file_is_left_to_the_orm(tmp_path: Any) -> None:
    assert plain_database(f"sqlite:///{tmp_path / 'none.db'}") is None
    (tmp_path / "q.db").touch()
    found = plain_database(f"sqlite:///{tmp_path / 'q.db'}", writable=True)
    assert isinstance(found, SqliteDatabase) and found.writable


_MOMENTS = [
    datetime(2026, 3, 29, 1, 59, 59, 999_999, tzinfo=UTC),
    datetime(2026, 3, 29, 3, 0, tzinfo=timezone(timedelta(hours=2))),  # not UTC: converted
    datetime(999, 1, 2, 3, 4, 5, tzinfo=UTC),  # a year strftime would not pad
    datetime(2026, 1, 1, 12, 0),  # naive: taken to be UTC, as UTCDateTime does
]


def test_timestamps_and_json_are_stored_as_sqlalchemy_stores_them(engine: Engine) -> None:
    """Rows written by SQLAlchemy and by the plain driver hold the same stored values, and
    each reads back the other's as the same aware UTC datetime."""
    url = engine.url
    if url.get_backend_name() == "postgresql":  # a session zone far from UTC: nothing may shift
        url = url.update_query_dict({"options": f"{url.query['options']} -cTimeZone=Asia/Kolkata"})
    db = plain_database(url.render_as_string(hide_password=False), writable=True)
    assert db is not None
    tags = ["xen", "Ünï", 'q"uote']
    with engine.begin() as conn:
        for n, at in enumerate(_MOMENTS):
            conn.execute(insert(AuditEntry).values(id=n + 1, at=at, actor="orm", action="a"))
        conn.execute(
            insert(Item).values(
                id=1,
                url="u",
                canonical_url="u",
                tags=tags,
                created_at=_MOMENTS[0],
                updated_at=_MOMENTS[0],
            )
        )
    with db.writing() as tx:
        for n, at in enumerate(_MOMENTS):
            tx.run(
                "INSERT INTO audit_log (id, at, actor, action, detail) VALUES (?, ?, ?, ?, ?)",
                (n + 11, db.time_value(at), "plain", "a", ""),
            )
        tx.run(
            "INSERT INTO items (id, url, canonical_url, title, text, category, tags, source, "
            "priority, state, created_at, created_by, updated_at, evergreen) "
            "VALUES (2, 'v', 'v', '', '', 'news', ?, 'manual', 0, 'approved', ?, '', ?, ?)",
            (db.json_value(tags), db.time_value(_MOMENTS[0]), db.time_value(_MOMENTS[0]), False),
        )
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT id, at FROM audit_log ORDER BY id")).all()
        by_orm = conn.execute(select(AuditEntry.at).order_by(AuditEntry.id)).scalars().all()
        raw_tags = conn.execute(text("SELECT CAST(tags AS TEXT) FROM items ORDER BY id")).all()
    assert [at for _, at in stored[:4]] == [at for _, at in stored[4:]]  # the very same values
    expected = [m.astimezone(UTC) if m.tzinfo else m.replace(tzinfo=UTC) for m in _MOMENTS]
    assert by_orm == expected * 2
    with db.reading() as tx:
        assert [read_time(at) for (at,) in tx.rows("SELECT at FROM audit_log ORDER BY id")] == (
            expected * 2
        )
    assert raw_tags[0] == raw_tags[1]
    db.close()


def _sqlalchemy_renders(url: str) -> tuple[str, str | None] | None:
    try:
        parsed = make_url(url)
    except Exception:  # SQLAlchemy refuses it: so must the shortcut (None, the slow way)
        return None
    return parsed.render_as_string(hide_password=False), parsed.password


# Every character that means something in a URL, and some that do not belong in one.
_PART = st.text(st.sampled_from("aZ09-_.~+ %@:/?#&=;!$'()*,[]üé\\\n"), max_size=8)


@settings(max_examples=400, deadline=None)
@given(
    user=st.one_of(st.none(), _PART),
    password=st.one_of(st.none(), _PART),
    host=st.one_of(st.none(), _PART, st.just("[::1]")),
    port=st.one_of(st.none(), st.sampled_from(["5432", "", "x1", "0"])),
    database=st.one_of(st.none(), _PART),
    query=st.one_of(st.none(), _PART),
)
def test_psycopg_url_renders_what_make_url_renders(
    user: str | None,
    password: str | None,
    host: str | None,
    port: str | None,
    database: str | None,
    query: str | None,
) -> None:
    url = "postgresql+psycopg://"
    if user is not None:
        url += user + (f":{password}" if password is not None else "") + "@"
    url += host or ""
    url += f":{port}" if port is not None else ""
    url += f"/{database}" if database is not None else ""
    url += f"?{query}" if query is not None else ""
    ours = psycopg_url(url)
    if ours is None:
        return  # left to SQLAlchemy: always safe
    assert ours == _sqlalchemy_renders(url), url
    assert psycopg_arguments(url) == _sqlalchemys(url), url


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://postgres@127.0.0.1:5432/test",
        "postgresql+psycopg://u:p%40ss%3Aw%2Frd@db.example:5433/x%20s",
        "postgresql+psycopg://u@h/db?sslmode=require&application_name=a+b&options=-c%20x%3Dy",
        "postgresql+psycopg://u@[::1]/db",
        "postgresql+psycopg://",
    ],
)
def test_psycopg_url_of_usual_urls(url: str) -> None:
    assert psycopg_url(url) == _sqlalchemy_renders(url)
