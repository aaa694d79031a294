"""Fixtures every test folder shares: a migrated database on each backend, and a fake clock.

`engine` is parametrized over SQLite (a file in tmp_path) and PostgreSQL (a fresh schema per
test on the server at 127.0.0.1:5432), so one test runs against both backends, the way huey and
APScheduler run one storage suite against every store. The schema is made by the real Alembic
migrations (`xensocial.migrate.upgrade`), so the migrations are tested on both backends too.

When no PostgreSQL server answers, its tests are skipped with the reason, except under
`CI=true`, where a missing server is a failure: CI must not pass by testing one backend only.
Set `XENSOCIAL_TEST_POSTGRES_URL` to use another server (a database the role may create schemas in).

`clock` is a settable, advanceable clock (`content_queue.timeutil.Clock`): time-dependent code
takes it, and tests move time instead of sleeping.

The slow layers are marked by where they live (`pytest_collection_modifyitems`): every test
under `tests/e2e/` is `e2e`, under `tests/chaos/` `chaos` and `e2e`, under `tests/bench/`
`bench`. A new file there is marked without anyone remembering to, so the fast run (README's
Testing: `-m "not e2e and not chaos and not bench and not slow and not postgres"`) never picks
up a daemon subprocess by accident. (`slow` marks single tests elsewhere that take seconds to minutes.)
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

from content_queue.db import make_engine
from xensocial.migrate import upgrade

__all__ = ["BACKENDS", "FOLDER_MARKS", "FakeClock", "postgres_admin_url"]

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]
_POSTGRES_CANDIDATES = (
    "postgresql+psycopg://postgres@127.0.0.1:5432/test",
    "postgresql+psycopg://root@127.0.0.1:5432/test",
    "postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
    "postgresql+psycopg://root@127.0.0.1:5432/root",
)

FOLDER_MARKS: dict[str, tuple[str, ...]] = {
    "e2e": ("e2e",),
    "chaos": ("chaos", "e2e"),
    "bench": ("bench",),
}
"""The markers every test in `tests/FOLDER/` (and below) gets, whatever its file says."""

_TESTS = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test by the layer folder it lives in (`FOLDER_MARKS`)."""
    for item in items:
        try:
            folder = item.path.resolve().relative_to(_TESTS).parts[0]
        except ValueError:  # a test collected from outside tests/ (a plugin's own suite)
            continue
        for name in FOLDER_MARKS.get(folder, ()):
            item.add_marker(name)


class FakeClock:
    """A clock for tests: returns the time it was set to, as an aware UTC datetime."""

    def __init__(self, start: datetime) -> None:
        self.now = start  # via the setter: checked

    @property
    def now(self) -> datetime:
        return self._now

    @now.setter
    def now(self, value: datetime) -> None:
        if value.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime; naive times are ambiguous")
        self._now = value.astimezone(UTC)

    def __call__(self) -> datetime:
        return self._now

    def set(self, value: datetime) -> datetime:
        self.now = value
        return self._now

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        """Move forward by `delta` or by timedelta keywords: `clock.advance(minutes=5)`."""
        self.now = self._now + (delta if delta is not None else timedelta(**kwargs))
        return self._now


@pytest.fixture
def clock() -> FakeClock:
    """A fake clock at 2026-03-02 09:00 UTC (a Monday), advanced only by the test."""
    return FakeClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))


@cache
def postgres_admin_url() -> tuple[str | None, str]:
    """The first PostgreSQL URL that answers, or None and why none did (probed once)."""
    override = os.environ.get("XENSOCIAL_TEST_POSTGRES_URL")
    candidates = (override,) if override else _POSTGRES_CANDIDATES
    problems = []
    for url in candidates:
        probe = create_engine(url, connect_args={"connect_timeout": 3})
        try:
            with probe.connect() as conn:
                conn.execute(text("SELECT 1"))
            return url, ""
        except Exception as exc:  # any failure means: try the next candidate
            problems.append(f"{make_url(url).render_as_string()}: {type(exc).__name__}")
        finally:
            probe.dispose()
    return None, "no PostgreSQL server answered (" + "; ".join(problems) + ")"


@contextmanager
def _postgres_engine() -> Iterator[Engine]:
    url, why = postgres_admin_url()
    if url is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true and {why}")
        pytest.skip(why)
    schema = f"xs_test_{uuid.uuid4().hex[:16]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    # The search path goes in the URL (not connect_args) so that engine.url also works for a
    # subprocess (`XENSOCIAL_DATABASE_URL`) and lands in the same schema.
    engine = make_engine(
        make_url(url)
        .update_query_dict({"options": f"-csearch_path={schema}"})
        .render_as_string(hide_password=False)
    )
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.dispose()


@contextmanager
def _sqlite_engine(folder: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{folder / 'queue.db'}")
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A database migrated to head by the real migrations; one per test, on each backend.

    `engine.url.render_as_string(hide_password=False)` is a URL a subprocess can use."""
    backend = request.param
    with _sqlite_engine(tmp_path) if backend == "sqlite" else _postgres_engine() as engine:
        before, after = upgrade(engine)
        assert before is None and after is not None, (before, after)
        yield engine


@pytest.fixture
def database_url(engine: Engine) -> str:
    """The `engine` fixture's database as a URL string, for a subprocess or the configuration."""
    return engine.url.render_as_string(hide_password=False)


_LOCAL_NAMES = {"localhost", "127.0.0.1", "::1", "localhost.localdomain"}


@pytest.fixture(autouse=True)
def _no_internet(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may reach past this machine: resolving any other host name fails at once.

    Every fake server listens on 127.0.0.1; a test that tries a real host (say a page-title
    fetch of example.org left switched on) fails here loudly instead of asking the network.
    Subprocesses are not covered: their configurations switch fetching off or point at fakes."""
    import ipaddress
    import socket

    real = socket.getaddrinfo

    def guarded(host: object, *args: object, **kwargs: object) -> object:
        name = host.decode() if isinstance(host, bytes) else host
        if name is None or str(name).lower() in _LOCAL_NAMES:
            return real(host, *args, **kwargs)  # type: ignore[arg-type]
        try:
            address = ipaddress.ip_address(str(name))
        except ValueError:
            raise socket.gaierror(
                socket.EAI_NONAME, f"tests must not resolve {name!r}: no internet in tests"
            ) from None
        if address.is_loopback or address.is_private or address.is_unspecified:
            return real(host, *args, **kwargs)  # type: ignore[arg-type]
        raise socket.gaierror(socket.EAI_NONAME, f"tests must not reach {name!r}")

    monkeypatch.setattr(socket, "getaddrinfo", guarded)
