"""The CLI's light paths: what `queue list` / `queue show` / `queue add` / `--help` import, and
that the SQLAlchemy-free shortcuts (config URL parsing, the plain-driver read and add paths, on
SQLite and PostgreSQL) give the same answers as the full ones.

Why: importing SQLAlchemy's ORM costs ~300 ms on a small machine, the whole budget of
`queue list` and `queue add` (issues 2 and 8). These tests run real processes and look at
`sys.modules` at exit, so a stray top-level import anywhere on the path fails them; and they
check every fallback (no file yet, an old schema, auto_migrate off) still goes the ORM way.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest
from sqlalchemy.engine import Engine, make_url

from content_queue import ContentQueue, NewItem
from content_queue.db import make_engine
from tests.cli.conftest import CONFIG, write_config
from xensocial.config import load_settings
from xensocial.errors import ConfigError
from xensocial.migrate import upgrade

# Runs the CLI and, at exit, prints which of the heavy modules were imported.
_WATCHED = ("sqlalchemy", "sqlalchemy.orm", "psycopg")
_PROBE = f"""
import atexit, sys
atexit.register(
    lambda: print("IMPORTED=" + ",".join(m for m in {_WATCHED!r} if m in sys.modules), file=sys.stderr)
)
from xensocial.cli import main
main(sys.argv[1:])
"""


def _run_probe(config: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """The CLI run as a process with `args`, and which of `_WATCHED` it imported."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={k: v for k, v in os.environ.items() if not k.startswith("XENSOCIAL_")},
    )
    marker = [line for line in done.stderr.splitlines() if line.startswith("IMPORTED=")]
    assert marker, done.stderr
    done.stderr = "\n".join(
        line for line in done.stderr.splitlines() if not line.startswith("IMPORTED=")
    )
    return done, set(filter(None, marker[-1].removeprefix("IMPORTED=").split(",")))


def _probe(config: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], bool]:
    """The CLI run as a process with `args`, and whether it imported SQLAlchemy."""
    done, imported = _run_probe(config, *args)
    return done, "sqlalchemy" in imported


def _queue_with_items(tmp_path: Path) -> tuple[Path, ContentQueue]:
    config = write_config(tmp_path)
    settings = load_settings(config, env={})
    engine = make_engine(settings.database_url)
    upgrade(engine)
    return config, _fill(ContentQueue(engine), 60)


def _fill(queue: ContentQueue, items: int) -> ContentQueue:
    """`items` items on the test channels: some drafts, some cancelled."""
    for n in range(items):
        item = queue.add(
            NewItem(
                url=f"https://example.org/{n}",
                channels=["demo", "fast"] if n % 2 else ["fast"],
                title=f"Item {n} — ünïcode",
                tags=["xen"],
                draft=n % 5 == 0,
            )
        )
        if n % 7 == 0:
            queue.cancel(item.id)
    return queue


def test_queue_list_and_show_on_sqlite_read_without_sqlalchemy_and_match_the_queue(
    tmp_path: Path,
) -> None:
    config, queue = _queue_with_items(tmp_path)
    for args, expected in (
        (
            ["queue", "list", "--state", "approved", "--json"],
            [i.as_dict() for i in queue.list_items(state="approved")],
        ),
        (
            ["queue", "list", "--channel", "demo", "--state", "pending", "--limit", "7", "--json"],
            [i.as_dict() for i in queue.list_items(state="pending", channel="demo", limit=7)],
        ),
        (["queue", "show", "12", "--json"], queue.get(12).as_dict()),
    ):
        done, loaded = _probe(config, *args)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout) == expected, args
        assert not loaded, f"{args} imported SQLAlchemy"
    done, loaded = _probe(config, "queue", "list")  # the table for people, too
    assert done.returncode == 0 and "Item 59" in done.stdout and not loaded


def test_queue_show_of_a_missing_item_is_bad_input_on_the_fast_path(tmp_path: Path) -> None:
    config, _ = _queue_with_items(tmp_path)
    done, loaded = _probe(config, "queue", "show", "999")
    assert done.returncode == 2
    assert "error: no item with id 999" in done.stderr and "Traceback" not in done.stderr
    assert not loaded
    done, loaded = _probe(config, "queue", "list", "--state", "posted")
    assert done.returncode == 2 and "'posted' is not one of" in done.stderr and not loaded


def test_help_imports_no_sqlalchemy(tmp_path: Path) -> None:
    done, loaded = _probe(write_config(tmp_path), "--help")
    assert done.returncode == 0 and "queue" in done.stdout
    assert not loaded


def test_a_database_not_yet_created_is_created_and_migrated_the_orm_way(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    done, loaded = _probe(config, "queue", "list", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []
    assert "Upgraded the database from revision none (empty)" in done.stderr
    assert loaded  # the probe does see SQLAlchemy when it is imported
    _, loaded = _probe(config, "queue", "list", "--json")
    assert not loaded  # once at head, the next listing takes the fast path


def test_an_old_schema_with_auto_migrate_off_is_refused_not_read(tmp_path: Path) -> None:
    config = write_config(tmp_path, auto_migrate=False)
    engine = make_engine(load_settings(config, env={}).database_url)
    upgrade(engine, "0001")
    engine.dispose()
    done, _ = _probe(config, "queue", "list", "--json")
    assert done.returncode == 1
    assert "the database is at revision 0001" in done.stderr
    assert "run `xensocial db upgrade` first" in done.stderr


def test_loading_a_sqlite_configuration_imports_no_sqlalchemy(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    code = (
        "import sys\nfrom xensocial.config import load_settings\n"
        f"s = load_settings({str(config)!r}, env={{}})\n"
        "print(s.is_sqlite(), 'sqlalchemy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.split() == ["True", "False"], out.stderr


def _by_make_url(value: str, data_dir: Path) -> str:
    """What the configuration did before its SQLAlchemy-free path: the reference."""
    url = make_url(value)
    if url.database and url.database != ":memory:":
        path = Path(url.database).expanduser()
        if not path.is_absolute():
            url = url.set(database=str(data_dir / path))
    return url.render_as_string(hide_password=False)


@pytest.mark.parametrize(
    "value",
    [
        "sqlite:///xensocial.db",
        "sqlite:///sub/dir/q.db",
        "sqlite:////abs/q.db",
        "sqlite+pysqlite:///q.db",
        "sqlite:///with space/q+1.db",
        "sqlite:///per%20cent.db",
        "sqlite:///ünï/q.db",
        "sqlite:///~/q.db",
        "sqlite:///:memory:",
        "sqlite://",
        "sqlite:///",
        "sqlite:///q.db?timeout=5",  # not simple: through make_url, same result by definition
        "sqlite:///file:q.db?mode=ro&uri=true",
    ],
)
def test_the_sqlite_url_shortcut_gives_what_make_url_gives(tmp_path: Path, value: str) -> None:
    settings = load_settings(write_config(tmp_path), env={"XENSOCIAL_DATABASE_URL": value})
    assert settings.database_url == _by_make_url(value, settings.data_dir)
    assert settings.is_sqlite()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("postgresql+psycopg://u:p%40ss@db.example:5433/xs", None),
        ("mysql://u@h/db", "'mysql' is not supported; expected sqlite or postgresql"),
        ("not a url", "'not a url' is not a database URL"),
    ],
)
def test_other_urls_still_go_through_make_url(
    tmp_path: Path, value: str, message: str | None
) -> None:
    config = write_config(tmp_path)
    if message is None:
        settings = load_settings(config, env={"XENSOCIAL_DATABASE_URL": value})
        assert settings.database_url == value and not settings.is_sqlite()
        return
    with pytest.raises(ConfigError, match=message):
        load_settings(config, env={"XENSOCIAL_DATABASE_URL": value})


def test_a_database_failure_on_the_fast_path_is_one_line_and_exit_1(tmp_path: Path) -> None:
    config, _ = _queue_with_items(tmp_path)
    db = load_settings(config, env={}).database_url.removeprefix("sqlite:///")
    with sqlite3.connect(db) as conn:  # at the head revision, yet broken: a damaged file
        conn.execute("DROP TABLE deliveries")
    done, loaded = _probe(config, "queue", "list", "--json")
    assert done.returncode == 1
    assert done.stderr.startswith("error: the database failed: no such table: deliveries")
    assert "Traceback" not in done.stderr and not loaded


def _config_for(tmp_path: Path, engine: Engine) -> Path:
    """A configuration of the two test channels on the `engine` fixture's database."""
    url = engine.url.render_as_string(hide_password=False)
    text = CONFIG.replace('database_url = "sqlite:///{db}"', f"database_url = {json.dumps(url)}")
    return write_config(tmp_path, text=text)


def _light(engine: Engine, imported: set[str]) -> bool:
    """Whether a command took the plain-driver path: no SQLAlchemy at all on SQLite; on
    PostgreSQL psycopg without the ORM (the configuration still reads a PostgreSQL URL with
    SQLAlchemy's `make_url`, which imports its core)."""
    if engine.dialect.name == "sqlite":
        return not imported & {"sqlalchemy", "psycopg"}
    return "psycopg" in imported and "sqlalchemy.orm" not in imported


def test_queue_list_show_and_add_take_the_plain_driver_on_both_backends(
    tmp_path: Path, engine: Engine
) -> None:
    config = _config_for(tmp_path, engine)
    queue = _fill(ContentQueue(engine), 12)
    queue.set_text(2, "fast", "Own words")
    for args, expected in (
        (["queue", "list", "--json"], [i.as_dict() for i in queue.list_items()]),
        (
            ["queue", "list", "--state", "pending", "--channel", "demo", "--limit", "3", "--json"],
            [i.as_dict() for i in queue.list_items(state="pending", channel="demo", limit=3)],
        ),
        (["queue", "show", "2", "--json"], queue.get(2).as_dict()),
    ):
        done, imported = _run_probe(config, *args)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout) == expected, args
        assert _light(engine, imported), (args, imported)

    done, imported = _run_probe(
        config, "--as", "alice", "queue", "add", "https://example.org/new?utm_source=x",
        "--title", "New — ünï", "--tag", "#xen", "--channel", "demo", "--priority", "2", "--json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert _light(engine, imported), imported
    added = json.loads(done.stdout)
    assert added == queue.get(added["id"]).as_dict()
    assert (added["title"], added["tags"], added["priority"], added["created_by"]) == (
        "New — ünï",
        ["xen"],
        2,
        "alice",
    )
    with engine.connect() as conn:
        audit = conn.exec_driver_sql(
            "SELECT actor, action, item_id, detail FROM audit_log ORDER BY id DESC LIMIT 1"
        ).one()
    assert tuple(audit) == (
        "alice",
        "add",
        added["id"],
        "manual: https://example.org/new?utm_source=x for demo",
    )

    # Item 1 has that URL, but was cancelled before it went out: not a duplicate.
    done, imported = _run_probe(config, "queue", "add", "https://example.org/0/", "--title", "T")
    assert _light(engine, imported), imported
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"Added item {added['id'] + 1}: T -> demo, fast (approved)")


def test_a_refused_add_on_the_plain_driver_is_one_line_exit_2_and_changes_nothing(
    tmp_path: Path, engine: Engine
) -> None:
    config = _config_for(tmp_path, engine)
    ContentQueue(engine).add(NewItem(url="https://example.org/a", channels=["demo"], title="A"))

    def dump() -> list[Any]:
        with engine.connect() as conn:
            return [
                conn.exec_driver_sql(f"SELECT * FROM {table} ORDER BY id").all()
                for table in ("items", "deliveries", "audit_log")
            ]

    before = dump()
    for args, message in (
        (
            ["https://EXAMPLE.org/a/#x", "--title", "Again"],
            "https://EXAMPLE.org/a/#x is already in the queue as item 1 (approved); "
            "use --allow-duplicate to add it again",
        ),
        (["https://example.org/b", "--title", "T", "--category", "c" * 41], "not a known category"),
        (["ftp://example.org/b", "--title", "T"], "is not an http:// or https:// address"),
        (["https://example.org/b", "--title", "T", "--channel", "nope"], "unknown channel"),
    ):
        done, imported = _run_probe(config, "queue", "add", *args)
        assert done.returncode == 2, (args, done.stderr)
        assert done.stderr.startswith(f"error: {message}") or message in done.stderr, done.stderr
        assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
        assert "sqlalchemy.orm" not in imported, args
    assert dump() == before


def test_help_imports_no_command_module_and_lists_every_command_as_click_would() -> None:
    """`xensocial --help` lists the commands from the summaries in `xensocial.cli` (without
    importing them): the very text click writes once every command is loaded."""

    def run_help(prelude: str) -> tuple[str, list[str]]:
        code = f"""
import sys
from xensocial.cli import cli, main
{prelude}
try:
    main(["--help"])
except SystemExit:
    pass
loaded = [m for m in sys.modules if m.startswith("xensocial.cli.")]
print("LOADED=" + ",".join(sorted(set(loaded) - {{"xensocial.cli.app", "xensocial.cli.lazy"}})))
"""
        done = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "COLUMNS": "80"},
        )
        text, _, loaded = done.stdout.rpartition("LOADED=")
        return text, list(filter(None, loaded.strip().split(",")))

    lazy, none = run_help("")
    assert none == []  # no command module
    eager, every = run_help("list(cli.commands.values())  # loads every command")
    assert "xensocial.cli.queue" in every
    assert lazy == eager and "queue     Add, review and change" in lazy


def test_each_lazy_summary_is_the_first_paragraph_of_its_commands_help() -> None:
    import inspect

    from xensocial.cli import _COMMANDS, cli

    assert set(_COMMANDS) == set(cli.commands)
    for name, lazy in _COMMANDS.items():
        command = cli.commands[name]
        first = inspect.cleandoc(command.help or "").split("\n\n")[0]
        assert " ".join(lazy.summary.split()) == " ".join(first.split()), name
    channels, queue = cli.commands["channels"], cli.commands["queue"]
    assert isinstance(channels, click.Group) and isinstance(queue, click.Group)
    assert "verify" in channels.commands  # registered by the loaders, as before
    assert {"retry", "resolve", "add", "list"} <= set(queue.commands)
