"""The CLI's light paths: what `queue list` / `queue show` / `--help` import, and that the
SQLAlchemy-free shortcuts (config URL parsing, the sqlite3 read path) give the same answers as the
full ones.

Why: importing SQLAlchemy's ORM costs ~300 ms on a small machine, the whole budget of
`queue list` (issue 2). These tests run real processes and look at `sys.modules` at exit, so a
stray top-level import anywhere on the path fails them; and they check every fallback (no file
yet, an old schema, auto_migrate off, PostgreSQL) still goes the ORM way.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from content_queue import ContentQueue, NewItem
from content_queue.db import make_engine
from tests.cli.conftest import write_config
from xensocial.config import load_settings
from xensocial.errors import ConfigError
from xensocial.migrate import upgrade

# Runs the CLI and, at exit, prints whether SQLAlchemy was imported.
_PROBE = """
import atexit, sys
atexit.register(lambda: print("SQLALCHEMY=" + str("sqlalchemy" in sys.modules), file=sys.stderr))
from xensocial.cli import main
main(sys.argv[1:])
"""


def _probe(config: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], bool]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={k: v for k, v in os.environ.items() if not k.startswith("XENSOCIAL_")},
    )
    marker = [line for line in done.stderr.splitlines() if line.startswith("SQLALCHEMY=")]
    assert marker, done.stderr
    return done, marker[-1] == "SQLALCHEMY=True"


def _queue_with_items(tmp_path: Path) -> tuple[Path, ContentQueue]:
    config = write_config(tmp_path)
    settings = load_settings(config, env={})
    engine = make_engine(settings.database_url)
    upgrade(engine)
    queue = ContentQueue(engine)
    for n in range(60):
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
    return config, queue


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
