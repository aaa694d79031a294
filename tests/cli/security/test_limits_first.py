"""Limits first, then work (issue 15): an oversized title, text, alternate text, channel text or
CSV cell is refused by its length before anything renders or counts it, as a real CLI process
on each backend: exit 2, one `error:` line, nothing written. Before, rendering ran first: a
120,000-character `--alt-text` took 44 s to be refused, and X's counter (quadratic on "a.a.a…")
never finished on 200,000 characters. How fast the refusals are is a figure of
`bench/limits.py` (docs/benchmarks.md), not an assertion here.

One argument can carry at most 128 KiB on Linux, so the arguments are 120,000 characters; the
1 MB field comes through a CSV file (with the row limit raised to 2 MB) and through the
database (a value stored before the limits, which `preview` and the daemon meet).
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from tests.cli.conftest import CONFIG, write_config

ARG = 120_000  # characters: about the most one argument can hold (128 KiB)
MB = 1024 * 1024
X_CHANNEL = """
[[channels]]
name = "x-news"
network = "x"
slots = ["09:30"]

[imports]
max_row_length = "2 MB"
"""


def _config(tmp_path: Path) -> Path:
    return write_config(tmp_path, text=CONFIG + X_CHANNEL)


def _xs(config: Path, database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "xensocial", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "XENSOCIAL_DATABASE_URL": database_url},
    )


def _state(engine: Engine) -> list[object]:
    with engine.connect() as conn:
        counts = [
            conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ("items", "deliveries", "audit_log")
        ]
        words = conn.execute(text("SELECT title, text FROM items ORDER BY id")).all()
    return [*counts, [tuple(row) for row in words]]


def _refused(
    engine: Engine, config: Path, database_url: str, *args: str
) -> subprocess.CompletedProcess[str]:
    before = _state(engine)
    done = _xs(config, database_url, *args)
    assert done.returncode == 2, (done.returncode, done.stderr[:500])
    assert done.stderr.startswith("error: ") and "Traceback" not in done.stderr, done.stderr[:500]
    assert _state(engine) == before
    return done


def _one_line(done: subprocess.CompletedProcess[str]) -> str:
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr[:500]
    return lines[0]


def _seed(config: Path, database_url: str) -> int:
    added = _xs(config, database_url, "queue", "add", "https://example.org/seed", "--title", "Seed")
    assert added.returncode == 0, added.stderr
    return int(added.stdout.split()[2].rstrip(":"))


@pytest.mark.parametrize(
    ("option", "field", "limit"),
    [("--title", "title", 1000), ("--text", "text", 10000), ("--alt-text", "alt_text", 10000)],
)
def test_queue_add_refuses_a_huge_field_before_rendering_it(
    engine: Engine, database_url: str, tmp_path: Path, option: str, field: str, limit: int
) -> None:
    config = _config(tmp_path)
    _seed(config, database_url)
    words = "a " * (ARG // 2)
    done = _refused(
        engine, config, database_url, "queue", "add", "https://example.org/big", option, words
    )
    assert _one_line(done) == f"error: {field}: {ARG} characters, at most {limit}"


def test_an_x_text_of_dotted_letters_is_refused_in_one_line(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    config = _config(tmp_path)
    item = str(_seed(config, database_url))
    # Over the size limit: refused by its length alone.
    huge = "a." * (ARG // 2)
    done = _refused(
        engine, config, database_url, "queue", "edit", item, "--channel", "x-news", "--text", huge
    )
    assert f"{ARG} characters, at most 10000" in _one_line(done)
    # Within the size limit but far over X's 280: refused without being counted.
    long = "a." * 2000
    done = _refused(
        engine, config, database_url, "queue", "edit", item, "--channel", "x-news", "--text", long
    )
    line = _one_line(done)
    assert line.startswith("error: too long for channel 'x-news' (x): its own text has"), line
    assert "far over the limit of 280" in line


def test_queue_import_refuses_a_huge_cell_and_names_its_row(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    config = _config(tmp_path)
    _seed(config, database_url)
    for name, cell, why in (
        ("mb.csv", "a" * MB, "a field is longer than"),
        ("dots.csv", "a." * 50_000, "title: 100000 characters, at most 1000"),
    ):
        path = tmp_path / name
        with path.open("w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerows([["url", "title", "channels"], ["https://e.org/b", cell, ""]])
        done = _refused(engine, config, database_url, "queue", "import", str(path))
        first, *rows = done.stderr.splitlines()
        assert first.startswith(f"error: {path}: 1 bad row(s); nothing was imported"), first
        assert len(rows) == 1 and rows[0].startswith("  line 2: ") and why in rows[0], rows


def test_preview_refuses_a_stored_item_too_big_to_render(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    """A value stored before the limits (the queue refuses it now): "a." * 100,000 for X."""
    config = _config(tmp_path)
    item = _seed(config, database_url)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE items SET text = :t WHERE id = :i"), {"t": "a." * 100_000, "i": item}
        )
    done = _refused(engine, config, database_url, "preview", str(item), "--channel", "x-news")
    assert _one_line(done) == (
        f"error: item {item} cannot be posted on 'x-news': too long for channel 'x-news' (x): "
        "text: 200000 characters, at most 10000"
    )
