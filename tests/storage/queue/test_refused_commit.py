"""A COMMIT that SQLite refuses does not keep the write lock (`content_queue.db`).

SQLite leaves a transaction open when its COMMIT fails (here a deferred foreign key; in life
a full disk), while SQLAlchemy takes the transaction for ended and returns the connection to
the pool as it is: the lock stayed held, and every other writer (the daemon, the CLI) waited
its 30 s busy timeout and failed with "database is locked". Found by
tests/cli/badinput/test_one_transaction.py.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from content_queue import make_engine


def test_a_refused_commit_gives_the_lock_back(tmp_path: Path) -> None:
    path = tmp_path / "q.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE a (id INT PRIMARY KEY)"))
            conn.execute(
                text("CREATE TABLE p (x INT REFERENCES a (id) DEFERRABLE INITIALLY DEFERRED)")
            )
        conn = engine.connect()
        transaction = conn.begin()
        conn.execute(text("INSERT INTO p VALUES (1)"))
        with pytest.raises(IntegrityError):
            transaction.commit()  # refused: no row `a` 1
        conn.close()  # back to the pool
        other = sqlite3.connect(path, timeout=0.5, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")  # "database is locked" while the lock was kept
            other.execute("INSERT INTO a VALUES (1)")
            other.execute("COMMIT")
        finally:
            other.close()
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM p")).scalar() == 0
    finally:
        engine.dispose()
