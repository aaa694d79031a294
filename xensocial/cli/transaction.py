"""A command's one transaction: what a command writes is kept only if the whole command succeeds.

Before this, each call into the queue (`ContentQueue.add`, `Ledger.add_blackout`, ...) committed
on its own, so a command that failed after its first write kept half its work: `blackout add`
with an end in year 9999 stored the blackout and its audit entry, then failed to print it (and
`blackout list` failed until the row was removed by hand).

Now a command opens one connection and one transaction on it, the first time it needs the
database (`App.sessions`), and hands the queue's classes a session factory bound to that
connection. Each of their own transactions (`sessions.begin()`) becomes a SAVEPOINT inside the
command's transaction (`join_transaction_mode="create_savepoint"`), so they behave exactly as
before, nested savepoints and rollbacks of their own included, but nothing is committed until
the CLI commits the command's transaction, once, after the command returned exit 0
(`xensocial.cli.invoke`). Any error, or any other exit code, rolls everything back.

content_queue knows nothing of this: its classes take an engine or a session factory, as they
always did. On SQLite the transaction starts with `BEGIN IMMEDIATE` (`content_queue.db`), so a
command holds the write lock from its first statement to its end: commands that wait on a
network between writes (`feeds poll`, `clips poll`, `metrics poll`) keep the daemon's
per-source transactions instead, and never touch this one (a second connection of the same
process would wait for the first one's lock).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.orm import Session, sessionmaker

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

__all__ = ["CommandTransaction"]


class CommandTransaction:
    """One connection in one transaction, and a session factory whose sessions nest in it."""

    def __init__(self, engine: Engine) -> None:
        self._conn = engine.connect()
        try:
            self._tx = self._conn.begin()
        except BaseException:
            self._conn.close()
            raise
        self.sessions: sessionmaker[Session] = sessionmaker(
            bind=self._conn, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )

    def commit(self) -> None:
        """Keep what the command wrote (once, when it succeeded); a failure here is the
        command's failure (exit 1), and nothing is kept."""
        if self._tx.is_active:
            # (A COMMIT that SQLite refuses leaves its transaction open: `content_queue.db`
            # rolls back whatever a connection still holds when it goes back to the pool.)
            self._tx.commit()

    def close(self) -> None:
        """Roll back whatever was not committed, and give the connection back."""
        try:
            if self._tx.is_active:
                self._tx.rollback()
        finally:
            self._conn.close()
