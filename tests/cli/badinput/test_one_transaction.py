"""Every command is one transaction: a command that fails after its first write keeps nothing.

The failure is the database's own, not a mock of our code: triggers on every table (SQLite
`RAISE(ABORT)`, a PostgreSQL PL/pgSQL function) count the rows a command writes in a
`fault_injection` row and, once armed, refuse the second one. Each writing command then fails
(exit 1, one line), and every table, the counter included, must be exactly as before the
command: a command that committed its first write on its own would leave that write, and the
counter at 1. Disarmed, the same command succeeds and changes the database, which shows that
each case writes (else the test would prove nothing).

And the failure of issue 15's blackout case, in general: each command again, its database work
done, fails to print what it did (its stdout is /dev/full: "No space left on device"); it
fails with exit 1 and keeps nothing. (When each call into the queue committed on its own, all
of these kept their change.)

The commands that poll networks (`feeds poll`, `clips poll`, `metrics poll`) are not here: they
keep what each source brought in that source's own transaction, as the daemon does (see
`xensocial.cli.transaction`).
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from contextlib import suppress
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from content_queue import Ledger
from tests.choosing import take_next
from tests.cli.conftest import CONFIG, CliHarness, write_config
from tests.conftest import FakeClock
from xensocial.cli import App, invoke

_REFUSAL = "injected failure after the first write"
_SKIP_TABLES = {"alembic_version", "fault_injection", "fault_anchor", "fault_pending"}
_AT_COMMIT = ("FOREIGN KEY constraint failed", "violates foreign key constraint")


class Harness(CliHarness):
    """The CLI on the `engine` fixture's database (SQLite or PostgreSQL), with the triggers."""

    engine: Engine

    def dump(self) -> str:
        """Every table's rows (the counter's too), as text, in a stable order."""
        lines = []
        with self.engine.connect() as conn:
            for table in sorted(inspect(conn).get_table_names()):
                if table == "alembic_version":
                    continue
                if self.engine.dialect.name == "postgresql":
                    query = f'SELECT t::text FROM "{table}" t ORDER BY 1'
                else:
                    query = f'SELECT * FROM "{table}" ORDER BY 1'
                lines += [f"{table}: {tuple(row)!r}" for row in conn.execute(text(query))]
        return "\n".join(lines)

    def arm(self, on: bool) -> None:
        with self.engine.begin() as conn:
            conn.execute(text("UPDATE fault_injection SET armed = :on, n = 0"), {"on": on})

    def item(self, url: str, *more: str) -> int:
        return int(self.json("queue", "add", url, "--title", "T", *more)["id"])


def _install_triggers(engine: Engine) -> None:
    """Once armed, the first row a command writes is let through and the second is refused;
    a command that writes one row only fails when it commits (a deferred check: on SQLite a
    foreign key to no row, on PostgreSQL a deferred constraint trigger)."""
    postgres = engine.dialect.name == "postgresql"
    with engine.begin() as conn:
        tables = [t for t in inspect(conn).get_table_names() if t not in _SKIP_TABLES]
        conn.execute(text("CREATE TABLE fault_injection (armed BOOLEAN NOT NULL, n INT NOT NULL)"))
        conn.execute(text("INSERT INTO fault_injection VALUES (false, 0)"))
        conn.execute(text("CREATE TABLE fault_anchor (id INT PRIMARY KEY)"))
        conn.execute(
            text(
                "CREATE TABLE fault_pending (anchor INT REFERENCES fault_anchor (id) "
                "DEFERRABLE INITIALLY DEFERRED)"
            )
        )
        if postgres:
            conn.execute(
                text(
                    "CREATE FUNCTION fault_inject() RETURNS trigger AS $$ BEGIN "
                    "IF (SELECT armed FROM fault_injection) THEN "
                    f"IF (SELECT n FROM fault_injection) >= 1 THEN RAISE EXCEPTION '{_REFUSAL}'; "
                    "END IF; INSERT INTO fault_pending VALUES (1); "
                    "UPDATE fault_injection SET n = n + 1; END IF; "
                    "IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; RETURN NEW; "
                    "END $$ LANGUAGE plpgsql"
                )
            )
            for table in tables:
                conn.execute(
                    text(
                        f"CREATE TRIGGER fault_{table} BEFORE INSERT OR UPDATE OR DELETE "
                        f'ON "{table}" FOR EACH ROW EXECUTE FUNCTION fault_inject()'
                    )
                )
            return
        for table in tables:
            for op in ("INSERT", "UPDATE", "DELETE"):
                conn.execute(
                    text(
                        f'CREATE TRIGGER fault_{table}_{op.lower()} BEFORE {op} ON "{table}" '
                        "BEGIN "
                        f"SELECT RAISE(ABORT, '{_REFUSAL}') "
                        "WHERE (SELECT armed AND n >= 1 FROM fault_injection); "
                        "INSERT INTO fault_pending SELECT 1 FROM fault_injection WHERE armed; "
                        "UPDATE fault_injection SET n = n + 1 WHERE armed; "
                        "END"
                    )
                )


@pytest.fixture
def cli(tmp_path: Path, clock: FakeClock, engine: Engine, database_url: str) -> Harness:
    config = write_config(tmp_path, text=CONFIG.replace("sqlite:///{db}", database_url))
    harness = Harness(config, tmp_path / "queue.db", clock)
    harness.engine = engine
    _install_triggers(engine)
    return harness


def _stuck(cli: Harness, how: str) -> int:
    """An item whose demo delivery is `failed` or `unknown`, as the daemon leaves them."""
    item = cli.item(f"https://example.org/{how}", "--channel", "demo")
    ledger = Ledger(cli.engine, cli.clock)
    lease = cli.clock() + timedelta(minutes=5)
    taken = take_next(
        ledger, "demo", "host", now=cli.clock() + timedelta(days=1), lease_until=lease
    )
    assert taken is not None
    delivery_id = taken[0].id
    if how == "failed":
        assert ledger.mark_failed(delivery_id, "refused by the network")
    else:
        assert ledger.mark_unknown(delivery_id, "answer lost")
    return item


def _after(cli: Harness, first: tuple[str, ...], then: tuple[str, ...]) -> tuple[str, ...]:
    """`then`, once `first` has run."""
    cli.ok(*first)
    return then


def _csv(cli: Harness, name: str, content: str) -> str:
    path = cli.config.parent / name
    path.write_text(content, encoding="utf-8")
    return str(path)


# Each writing command, and how to make a database on which it succeeds: the setup returns
# the command's arguments.
_COMMANDS: dict[str, Callable[[Harness], tuple[str, ...]]] = {
    "queue add": lambda c: ("queue", "add", "https://example.org/new", "--title", "New"),
    "queue approve": lambda c: (
        "queue",
        "approve",
        str(c.item("https://example.org/d", "--draft")),
    ),
    "queue cancel": lambda c: ("queue", "cancel", str(c.item("https://example.org/c"))),
    "queue edit": lambda c: ("queue", "edit", str(c.item("https://example.org/e")), "--title", "E"),
    "queue edit --text": lambda c: (
        *("queue", "edit", str(c.item("https://example.org/t"))),
        *("--channel", "demo", "--text", "Own words"),
    ),
    "queue import": lambda c: (
        "queue",
        "import",
        _csv(c, "items.csv", "url,title\nhttps://example.org/1,One\nhttps://example.org/2,Two\n"),
    ),
    "queue retry": lambda c: ("queue", "retry", str(_stuck(c, "failed")), "--channel", "demo"),
    "queue resolve": lambda c: ("queue", "resolve", str(_stuck(c, "unknown")), "--channel", "demo"),
    "channels pause": lambda c: ("channels", "pause", "demo", "--reason", "holiday"),
    "channels resume": lambda c: _after(
        c, ("channels", "pause", "demo"), ("channels", "resume", "demo")
    ),
    "blackout add": lambda c: (
        *("blackout", "add", "--from", "+1h", "--to", "+2d", "--reason", "embargo"),
        *("--channel", "demo", "--channel", "fast"),
    ),
    "blackout remove": lambda c: (
        "blackout",
        "remove",
        str(c.json("blackout", "add", "--from", "+1h", "--to", "+2d", "--reason", "r")[0]["id"]),
    ),
    "feeds add": lambda c: ("feeds", "add", "https://example.org/feed.xml", "--name", "news"),
    "feeds remove": lambda c: _after(
        c,
        ("feeds", "add", "https://example.org/feed.xml", "--name", "news"),
        ("feeds", "remove", "news"),
    ),
    "clips add": lambda c: ("clips", "add", "https://news.example/xen", "--title", "Xen"),
    "clips import": lambda c: (
        "clips",
        "import",
        _csv(c, "clips.csv", "url,title\nhttps://a.example/1,One\nhttps://a.example/2,Two\n"),
    ),
    "activity add": lambda c: (
        *("activity", "add", "--kind", "interview", "--date", "2026-02-03"),
        *("--title", "Linux Weekly"),
    ),
    "activity import": lambda c: (
        "activity",
        "import",
        _csv(
            c,
            "activities.csv",
            "kind,date,title\ninterview,2026-02-03,One\nevent,2026-02-04,Two\n",
        ),
    ),
}


@pytest.mark.parametrize("command", sorted(_COMMANDS))
def test_a_command_that_fails_after_its_first_write_keeps_nothing(
    cli: Harness, command: str
) -> None:
    args = _COMMANDS[command](cli)
    cli.arm(True)
    before = cli.dump()
    failed = cli.run(*args)
    assert failed.exit_code == 1, (failed.exit_code, failed.stdout, failed.stderr)
    assert len(failed.stderr.splitlines()) == 1, failed.stderr
    assert any(why in failed.stderr for why in (_REFUSAL, *_AT_COMMIT)), failed.stderr
    assert cli.dump() == before
    cli.arm(False)
    before = cli.dump()
    cli.ok(*args)
    assert cli.dump() != before


@pytest.mark.parametrize("command", sorted(_COMMANDS))
def test_a_command_whose_output_fails_keeps_nothing(
    cli: Harness, command: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = _COMMANDS[command](cli)
    before = cli.dump()
    errors = io.StringIO()
    full = open("/dev/full", "w", encoding="utf-8")  # noqa: SIM115 - closed below, may fail
    try:
        monkeypatch.setattr(sys, "stdout", full)
        monkeypatch.setattr(sys, "stderr", errors)
        code = invoke(list(args), App(config_path=str(cli.config), clock=cli.clock, user="t"))
    finally:
        monkeypatch.undo()
        with suppress(OSError):  # what is left in its buffer cannot be written either
            full.close()
    assert code == 1, errors.getvalue()
    assert errors.getvalue().splitlines() == ["error: [Errno 28] No space left on device"]
    assert cli.dump() == before


def test_a_refused_blackout_is_not_stored(cli: Harness) -> None:
    # Issue 15: `--to '9999-12-31T23:59:59+00:00'` printed an OverflowError (exit 1) but
    # inserted the blackout and its audit row; `blackout list` then failed.
    before = cli.dump()
    refused = cli.run(
        *("blackout", "add", "--from", "+1h", "--to", "9999-12-31T23:59:59+00:00"),
        *("--reason", "forever"),
    )
    assert refused.exit_code == 2, refused.stderr
    assert refused.stderr.startswith("error: --to: ") and "out of range" in refused.stderr
    assert len(refused.stderr.splitlines()) == 1
    assert cli.dump() == before
    assert "No current or coming blackouts." in cli.ok("blackout", "list").stdout
    # The last day that can be stored still can be (any zone can show it).
    cli.ok(
        *("blackout", "add", "--from", "+1h", "--to", "9998-12-31T23:59:59+00:00"),
        *("--reason", "a long time"),
    )
    assert "9999-01-01" in cli.ok("blackout", "list").stdout
