"""Re-importing 50,000 duplicate rows (issue 15, "Why" 7), as written: it took 298 s (1,000:
1.3 s; 5,000: 7.4 s), superlinear. `queue import` runs as a real process on a queue that already
holds every row's page; it must name every row a duplicate, write nothing, and finish within
two minutes: a loose bound, for a busy shared machine (the quadratic import took 298 s on an
idle one), while bench/imports.py measures it against the target of 10 s and
tests/storage/queue/test_bulk_import.py pins what makes it linear (one query per batch, no savepoint).
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import insert

from content_queue import make_engine
from content_queue.newitems import item_rows
from content_queue.schema import Delivery, Item
from content_queue.views import NewItem
from tests.cli.conftest import CliHarness

ROWS = 50_000


def url(n: int) -> str:
    return f"https://example.org/dup/{n}"


def seed(db: Path, rows: int) -> None:
    """`rows` queued items with their deliveries, written in bulk (as `queue import` would
    have added them, through the same `item_rows`, only faster)."""
    now = datetime(2026, 3, 1, tzinfo=UTC)
    items, deliveries = [], []
    for n in range(rows):
        new = NewItem(url=url(n), channels=["demo"], title=f"Row {n}", source="csv")
        made = item_rows(new, None, now=now, evergreen_categories=frozenset())
        items.append({"id": n + 1, **made.item})
        deliveries.extend({"item_id": n + 1, **d} for d in made.deliveries)
    engine = make_engine(f"sqlite:///{db}")
    try:
        with engine.begin() as conn:
            conn.execute(insert(Item), items)
            conn.execute(insert(Delivery), deliveries)
    finally:
        engine.dispose()


def counts(db: Path) -> tuple[int, ...]:
    with sqlite3.connect(db) as conn:
        return tuple(
            conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("items", "deliveries", "audit_log")
        )


@pytest.mark.slow  # seconds to minutes: left out of the fast run (README, Testing)
def test_reimporting_50k_duplicate_rows_takes_seconds(cli: CliHarness, tmp_path: Path) -> None:
    seed(cli.db, ROWS)
    path = tmp_path / "again.csv"
    with path.open("w", encoding="utf-8") as f:
        f.write("url,title\n")
        # Written otherwise than stored: canonically the same pages.
        f.writelines(f"{url(n)}/?utm_source=mail,Again {n}\n" for n in range(ROWS))
    before = counts(cli.db)
    env = {k: v for k, v in os.environ.items() if not k.startswith("XENSOCIAL_")}
    begun = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "xensocial", "--config", str(cli.config), "queue", "import",
         str(path)],
        capture_output=True, text=True, timeout=600, env=env,
    )  # fmt: skip
    took = time.monotonic() - begun
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[:2] == [f"Added 0 item(s) from {path}", f"Skipped {ROWS} duplicate(s):"]
    assert lines[2] == f"  line 2: {url(0)}/?utm_source=mail is item 1 (approved)"
    assert (
        lines[-1]
        == f"  line {ROWS + 1}: {url(ROWS - 1)}/?utm_source=mail is item {ROWS} (approved)"
    )
    assert len(lines) == ROWS + 2
    assert counts(cli.db) == before == (ROWS, ROWS, 0)
    assert took < 120, f"{took:.1f} s"
