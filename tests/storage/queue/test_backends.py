"""The `engine` fixture itself: PostgreSQL tests skip without a server, except under CI=true.

Run as a real pytest subprocess against a port where nothing listens."""

from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy import text
from sqlalchemy.engine import Engine

from content_queue import make_engine
from tests.paths import ROOT
from xensocial.migrate import current_revision, head_revision

TARGET = "tests/storage/queue/test_migrations.py::test_at_head_and_upgrade_is_idempotent"


def run_pytest(ci: str | None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["XENSOCIAL_TEST_POSTGRES_URL"] = "postgresql+psycopg://nobody@127.0.0.1:1/none"
    env.pop("CI", None)
    if ci is not None:
        env["CI"] = ci
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", TARGET],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_without_a_server_postgres_tests_are_skipped() -> None:
    result = run_pytest(ci=None)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed, 1 skipped" in result.stdout
    assert "no PostgreSQL server answered" in result.stdout


def test_under_ci_a_missing_server_fails() -> None:
    result = run_pytest(ci="true")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 passed, 1 error" in result.stdout
    assert "CI=true and no PostgreSQL server answered" in result.stdout


def test_database_url_reaches_the_same_migrated_database(engine: Engine, database_url: str) -> None:
    # What a subprocess (the daemon, the CLI) would do with the URL.
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO channel_states (channel, paused) VALUES ('probe', true)"))
    other = make_engine(database_url)
    try:
        with other.connect() as conn:
            assert current_revision(other) == head_revision()
            assert conn.execute(text("SELECT channel FROM channel_states")).scalars().all() == [
                "probe"
            ]
    finally:
        other.dispose()
