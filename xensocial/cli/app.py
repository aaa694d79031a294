"""What every CLI command shares: the settings, the database, the clock and who is acting.

Everything is opened lazily, on first use, so `--help`, `adapters` and a usage error never read
the configuration or touch the database. Opening the database also checks its schema: with
`auto_migrate = true` (the default) an old or empty database is upgraded on the spot (and a line
on stderr says so), because staff who add an item should not need to know about migrations;
with `auto_migrate = false` the command stops and says "run `xensocial db upgrade` first".

The schema check reads `alembic_version` and the migration scripts' revision ids directly,
without importing Alembic, to keep `queue list` fast; Alembic is loaded only to upgrade.
"""

from __future__ import annotations

import getpass
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING

import click

from ..migrate import database_revision, script_head

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session, sessionmaker

    from content_queue import ContentQueue, Ledger
    from content_queue.interfaces import QueueReader, QueueWriter
    from content_queue.timeutil import Clock

    from ..adapters.base import Adapter
    from ..config import ChannelConfig, Settings
    from .transaction import CommandTransaction

__all__ = [
    "App",
    "NotMigrated",
    "actor_option",
    "current_user",
    "pass_app",
]

from content_queue.limits import MAX_ACTOR as _MAX_ACTOR  # light: no SQLAlchemy for --help


class NotMigrated(click.ClickException):
    """The database schema is behind the code and auto_migrate is off (a run-time failure)."""

    exit_code = 1


def _system_clock() -> datetime:
    # content_queue.system_clock, without importing content_queue (and SQLAlchemy) for --help.
    return datetime.now(UTC)


def current_user() -> str:
    """Who runs the command, recorded as `created_by` / `paused_by` and in the audit log
    (unless `xensocial --as NAME` says otherwise)."""
    try:
        return getpass.getuser() or "unknown"
    except Exception:  # no passwd entry and no USER variable (some containers)
        return "unknown"


def actor_option(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Check `--as NAME`: the name the audit log records instead of the OS user."""
    if value is None:
        return None
    name = " ".join(value.split())
    if not name:
        raise click.BadParameter("a name is needed, such as --as alice", ctx, param)
    if len(name) > _MAX_ACTOR or not name.isprintable():
        raise click.BadParameter(
            f"expected a name of at most {_MAX_ACTOR} printable characters", ctx, param
        )
    return name


@dataclass
class App:
    """The context object of a CLI run (click's `ctx.obj`)."""

    config_path: str | None = None
    debug: bool = False
    clock: Clock = _system_clock
    user: str = field(default_factory=current_user)
    _checked: bool = False
    _warned: set[str] = field(default_factory=set)
    _transaction: CommandTransaction | None = None

    @cached_property
    def settings(self) -> Settings:
        """The configuration, read once; on the embedded demo, one line on stderr says so (a
        forgotten --config must not go unnoticed)."""
        from ..config import DEMO_NOTICE, load_settings

        settings = load_settings(self.config_path)
        if settings.demo:
            self.warn(DEMO_NOTICE)
        return settings

    @cached_property
    def raw_engine(self) -> Engine:
        """The engine, without the schema check (for `db upgrade` and `db status`)."""
        from content_queue.db import make_engine

        return make_engine(self.settings.database_url)

    @property
    def engine(self) -> Engine:
        """The engine, its schema checked (and upgraded if `auto_migrate`) on first use."""
        engine = self.raw_engine
        if not self._checked:
            self._ensure_schema(engine)
            self._checked = True
        return engine

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        """The command's one transaction (`transaction`), begun on first use: every store a
        command reads or writes through shares it, and it is committed only when the command
        succeeds (`commit`). A command that uses it must not open another connection's
        transaction (on SQLite, that one would wait for this one's lock)."""
        from .transaction import CommandTransaction

        self._transaction = CommandTransaction(self.engine)
        return self._transaction.sessions

    def commit(self) -> None:
        """Keep what the command wrote: called once, after it returned exit 0 (`queue add`'s
        plain-driver writer holds its transaction the same way)."""
        if self._transaction is not None:
            self._transaction.commit()
        commit = getattr(self.__dict__.get("writer"), "commit", None)  # (the ORM's: none)
        if commit is not None:
            commit()

    @cached_property
    def queue(self) -> ContentQueue:
        from content_queue.queue import ContentQueue

        return ContentQueue(
            self.sessions,
            clock=self.clock,
            evergreen_categories=self.settings.editorial.evergreen_categories,
        )

    @cached_property
    def reader(self) -> QueueReader:
        """What read-only commands (`queue list`, `queue show`) read through.

        A database already at the scripts' head (a SQLite file, or PostgreSQL through psycopg)
        is read with its plain driver (`fastread`), so these commands never import SQLAlchemy
        (~300 ms of their 300 ms budget); otherwise the queue, whose first use checks (and,
        with auto_migrate, upgrades) the schema as usual."""
        if not self._checked:
            from content_queue.fastread import reader_for

            fast = reader_for(self.settings.database_url, script_head())
            if fast is not None:
                return fast
        return self.queue

    @cached_property
    def writer(self) -> QueueWriter:
        """What `queue add` adds through (and looks for duplicates with): on a database already
        at the scripts' head, its plain driver (`fastwrite`, the same checks and rows as the
        queue's, without SQLAlchemy); otherwise the queue, as `reader`."""
        if not self._checked:
            from content_queue.fastwrite import writer_for

            fast = writer_for(
                self.settings.database_url,
                script_head(),
                clock=self.clock,
                evergreen_categories=self.settings.editorial.evergreen_categories,
            )
            if fast is not None:
                fast.hold()  # one transaction, committed with the command's (`commit`)
                return fast
        return self.queue

    @cached_property
    def ledger(self) -> Ledger:
        from content_queue.ledger import Ledger

        return Ledger(self.sessions, clock=self.clock)

    def _ensure_schema(self, engine: Engine) -> None:
        at, head = database_revision(engine), script_head()
        if at == head:
            return
        if not self.settings.auto_migrate:
            raise NotMigrated(
                f"the database is at revision {at or 'none (empty)'}, this version needs {head}: "
                "run `xensocial db upgrade` first"
            )
        from ..migrate import upgrade
        from .output import echo

        before, after = upgrade(engine)
        echo(
            f"Upgraded the database from revision {before or 'none (empty)'} to {after} "
            "(auto_migrate is on).",
            err=True,
        )

    def close(self) -> None:
        """Roll back what was not committed (a failed command keeps nothing), then close the
        plain-driver connections the command opened (`reader`, `writer`), so a PostgreSQL
        server sees a clean goodbye; best effort: the process ends anyway."""
        transaction, self._transaction = self._transaction, None
        self.__dict__.pop("sessions", None)
        if transaction is not None:
            with suppress(Exception):
                transaction.close()
        for name in ("reader", "writer"):
            close = getattr(self.__dict__.pop(name, None), "close", None)  # (the ORM's: none)
            if close is not None:
                with suppress(Exception):
                    close()
        # The pool's connections too, now rather than whenever the collector gets to them: a
        # SQLite connection closed late checkpoints its WAL into the file at that moment, which
        # in a process that runs several commands (the tests' harness) can be long after.
        engine = self.__dict__.pop("raw_engine", None)
        if engine is not None:
            with suppress(Exception):
                engine.dispose()

    def warn(self, message: str) -> None:
        """One `warning:` line on stderr (never stdout, where --json goes), once per message."""
        if message not in self._warned:
            self._warned.add(message)
            from .output import echo  # shows what the message quotes escaped

            echo(f"warning: {message}", err=True)

    def build_adapter(self, channel: ChannelConfig) -> Adapter:
        """`channel`'s adapter, its secrets resolved, for the commands that talk to a network.

        Reading secrets is when a configuration or secret file others can read matters, so
        it is said here, on stderr (see `xensocial.filemodes`)."""
        from ..adapters.factory import build_adapter
        from ..filemodes import config_file_warning

        exposed = config_file_warning(self.settings)
        if exposed is not None:
            self.warn(exposed)
        return build_adapter(self.settings, channel, clock=self.clock, warn=self.warn)


pass_app = click.make_pass_decorator(App, ensure=True)
"""Hands a command the shared `App` (created on first use, so `--help` builds nothing)."""
