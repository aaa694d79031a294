"""A realistic queue at scale for the benchmarks: N items over C channels, built once and cached.

    from _dataset import dataset_url, write_config
    url = dataset_url("sqlite", 1000, 1_000_000)             # a SQLite file, built or reused
    url = dataset_url("postgresql", 1000, 1_000_000, admin_url=admin)   # a database on that server
    config = write_config(folder, 1000, url)                  # a TOML config of the same channels

What the data looks like: `_dataset_rows` (the generator, deterministic for a seed).

Time: everything is placed relative to an anchor, the Monday (00:00 UTC) of the week it is
built in, and the anchor's week is part of the cache key: a cached queue is never more than a
week old relative to the clock the CLI reads.

Cache: the same parameters, generator version, schema head and week reuse what was built
(SQLite: a file under $XDG_CACHE_HOME/xensocial-bench, else ~/.cache/xensocial-bench;
PostgreSQL: a database named from the same key on the admin URL's server). A build goes to a
temporary name renamed at the end (an interrupted build is never reused), under a file lock
(two scripts asking at once build it once), and removes older builds of the same parameters.
Rows are inserted with SQLAlchemy Core executemany in chunks on SQLite and COPY on PostgreSQL,
then the statistics are gathered (`ANALYZE`) as autovacuum would. (A SQLite database in service
has none unless someone runs ANALYZE; the queries are written to take the same plans either
way, and the tests check them without.)
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

from _dataset_rows import VERSION, ChannelSpec, Generator, channel_names, channel_spec

__all__ = [
    "ChannelSpec",
    "anchor",
    "cache_dir",
    "channel_names",
    "channel_spec",
    "dataset_url",
    "write_config",
]

_CHUNK = 20_000


def anchor(today: date | None = None) -> datetime:
    """Monday 00:00 UTC of the week of `today` (default: now): the dataset's "now"."""
    day = today or datetime.now(UTC).date()
    monday = day - timedelta(days=day.weekday())
    return datetime.combine(monday, clock_time(), UTC)


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "xensocial-bench"


@contextmanager
def _locked(name: str) -> Iterator[None]:
    folder = cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@dataclass(frozen=True)
class _Wanted:
    """One dataset: its parameters, its cache key, and the builds of older keys to remove."""

    channels: int
    items: int
    published: float
    seed: int
    fresh: bool
    log: Callable[[str], None]

    @property
    def prefix(self) -> str:
        """What every build of these parameters is named from (a valid PostgreSQL name)."""
        published = round(self.published * 1000)
        return f"xsb_c{self.channels}_i{self.items}_p{published}_s{self.seed}_v"

    @property
    def key(self) -> str:
        """The name of this build: the parameters, the generator, the schema, the week."""
        from xensocial.migrate import head_revision

        return f"{self.prefix}{VERSION}_h{head_revision()}_{anchor().strftime('%Gw%V')}"

    def build(self, engine: Any) -> None:
        _build(engine, self.channels, self.items, self.published, self.seed, self.log)


def dataset_url(
    backend: str,
    channels: int,
    items: int,
    *,
    admin_url: str | None = None,
    published: float = 0.95,
    seed: int = 8,
    fresh: bool = False,
    log: Callable[[str], None] = print,
) -> str:
    """A database at the scripts' head revision holding the dataset (see the module docstring),
    built now or reused from the cache; `fresh` rebuilds it. `backend` is "sqlite" or
    "postgresql" (then `admin_url` names the server)."""
    wanted = _Wanted(channels, items, published, seed, fresh, log)
    with _locked(wanted.prefix):
        if backend == "sqlite":
            return _sqlite_dataset(wanted)
        if backend == "postgresql":
            if admin_url is None:
                raise ValueError("a PostgreSQL dataset needs admin_url")
            return _postgres_dataset(admin_url, wanted)
    raise ValueError(f"unknown backend {backend!r}: sqlite or postgresql")


def _sqlite_dataset(wanted: _Wanted) -> str:
    folder, key = cache_dir(), wanted.key
    path = folder / f"{key}.sqlite"
    if path.exists() and not wanted.fresh:
        return f"sqlite:///{path}"
    for old in folder.glob(f"{wanted.prefix}*.sqlite*"):
        old.unlink()
    building = folder / f"{key}.building"
    for leftover in folder.glob(f"{key}.building*"):
        leftover.unlink()
    from sqlalchemy import create_engine, event

    engine = create_engine(f"sqlite:///{building}")

    @event.listens_for(engine, "connect")
    def _fast(dbapi_connection: Any, _record: Any) -> None:
        # A throw-away file until renamed: no journal, no fsync.
        dbapi_connection.execute("PRAGMA journal_mode=OFF")
        dbapi_connection.execute("PRAGMA synchronous=OFF")
        dbapi_connection.execute("PRAGMA cache_size=-200000")

    wanted.build(engine)
    engine.dispose()
    import sqlite3

    with sqlite3.connect(building) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
    conn.close()
    os.replace(building, path)
    wanted.log(f"   dataset: {path} ({path.stat().st_size / 1e6:,.0f} MB)")
    return f"sqlite:///{path}"


def _postgres_dataset(admin_url: str, wanted: _Wanted) -> str:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    key = wanted.key
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            names = {
                name
                for name in conn.scalars(text("SELECT datname FROM pg_database"))
                if name.startswith(wanted.prefix)
            }
            url = make_url(admin_url).set(database=key).render_as_string(hide_password=False)
            if key in names and not wanted.fresh:
                return url
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            building = f"{key[:50]}_building"
            conn.execute(text(f'DROP DATABASE IF EXISTS "{building}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{building}"'))
        engine = create_engine(
            make_url(admin_url).set(database=building).render_as_string(hide_password=False)
        )
        wanted.build(engine)
        with engine.connect() as conn:
            size = conn.scalar(text("SELECT pg_database_size(current_database())"))
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{building}" RENAME TO "{key}"'))
        wanted.log(f"   dataset: database {key} ({(size or 0) / 1e6:,.0f} MB)")
        return url
    finally:
        admin.dispose()


# -- the build -------------------------------------------------------------------------------


def _build(
    engine: Any, channels: int, items: int, published: float, seed: int, log: Callable[[str], None]
) -> None:
    from sqlalchemy import text

    from xensocial.migrate import upgrade

    started = time.perf_counter()
    upgrade(engine)
    made = _Loader(engine).load(Generator(channels, items, published, seed, anchor()))
    loaded = time.perf_counter()
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            for table in ("items", "deliveries", "engagement_samples", "slot_claims", "blackouts"):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT coalesce(max(id), 1) FROM {table}))"
                    )
                )
            conn.commit()
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
        else:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
    counts = ", ".join(f"{n:,} {table}" for table, n in made.items())
    log(
        f"   dataset built in {time.perf_counter() - started:,.1f} s "
        f"(rows {loaded - started:,.1f} s, statistics {time.perf_counter() - loaded:,.1f} s): "
        f"{counts}"
    )


class _Loader:
    """Buffers rows per table and writes them in chunks, parents before children (items before
    deliveries before engagement samples), so foreign keys hold at every flush."""

    ORDER = (
        "items",
        "deliveries",
        "engagement_samples",
        "slot_claims",
        "channel_states",
        "blackouts",
    )

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.buffers: dict[str, list[dict[str, Any]]] = {t: [] for t in self.ORDER}
        self.counts: dict[str, int] = dict.fromkeys(self.ORDER, 0)

    def load(self, rows: Iterator[tuple[str, dict[str, Any]]]) -> dict[str, int]:
        with self.engine.begin() as conn:
            for table, row in rows:
                buffer = self.buffers[table]
                buffer.append(row)
                if len(buffer) >= _CHUNK:
                    self._flush(conn)
            self._flush(conn)
        return self.counts

    def _flush(self, conn: Any) -> None:
        for table in self.ORDER:
            rows = self.buffers[table]
            if not rows:
                continue
            if conn.dialect.name == "postgresql":
                _copy(conn, table, rows)
            else:
                from sqlalchemy import insert

                from content_queue.schema import Base

                conn.execute(insert(Base.metadata.tables[table]), rows)
            self.counts[table] += len(rows)
            self.buffers[table] = []


def _copy(conn: Any, table: str, rows: list[dict[str, Any]]) -> None:
    """COPY `rows` into `table` through psycopg (timestamps naive UTC, JSON as text)."""
    columns = list(rows[0])
    cursor = conn.connection.dbapi_connection.cursor()
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(
                [
                    v.replace(tzinfo=None)
                    if isinstance(v, datetime)
                    else json.dumps(v)
                    if isinstance(v, list)
                    else v
                    for v in row.values()
                ]
            )
    cursor.close()


# -- the configuration -----------------------------------------------------------------------

_SECRETS = {
    "x": ("consumer_key", "consumer_secret", "access_token", "access_token_secret"),
    "mastodon": ("access_token",),
    "facebook": ("access_token",),
    "bluesky": ("app_password",),
    "linkedin": ("access_token",),
    "outbox": (),
}


def _options(spec: ChannelSpec, n: int) -> list[str]:
    return {
        "x": [],
        "mastodon": ['api_base_url = "https://floss.example"'],
        "facebook": [f'page_id = "{1_000_000 + n}"'],
        "bluesky": [f'handle = "p{spec.project}-{n}.bsky.example"'],
        "linkedin": [f'organization_id = "{2_000_000 + n}"'],
        "outbox": [f'path = "{spec.name}.jsonl"'],
    }[spec.network]


def write_config(folder: Path, channels: int, database_url: str, *, mix: bool = True) -> Path:
    """A TOML configuration of the dataset's `channels` channels (see `channel_spec`): dummy
    `env:` secrets (nothing is contacted), data_dir in `folder`, the HTTP endpoint off."""
    lines = [
        f'database_url = "{database_url}"',
        f'data_dir = "{folder}"',
        'identity = "bench"',
        'log_level = "warning"',
        "",
        "[http]",
        'listen = ""',
        "",
        "[editorial]",
        'evergreen_categories = ["resource"]',
        'recycle_after = "60d"',
        "max_repeats = 3",
        "fill_with_evergreen = true",
        'event_reminders = ["7d", "1d"]',
    ]
    for n in range(channels):
        spec = channel_spec(n)
        lines += [
            "",
            "[[channels]]",
            f'name = "{spec.name}"',
            f'network = "{spec.network}"',
            f'slots = ["{spec.slots[0]}", "{spec.slots[1]}"]',
            f'timezone = "{spec.zone}"',
            "max_per_day = 2",
        ]
        if mix and spec.mix:
            shares = ", ".join(f"{c} = {w}" for c, w in spec.mix.items())
            lines.append(f"mix = {{ {shares} }}")
        options = _options(spec, n)
        if options:
            lines += ["[channels.options]", *options]
        secrets = _SECRETS[spec.network]
        if secrets:
            env = f"BENCH_{spec.network.upper()}"
            lines += ["[channels.secrets]", *(f'{s} = "env:{env}_{s.upper()}"' for s in secrets)]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "xensocial.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
