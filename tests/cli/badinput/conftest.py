"""What the bad-input properties share: a CLI with a migrated database and one item, the
hypothesis settings, and the check that a refusal is one clear line that changes nothing.

The harness is the CLI tests' (`tests/cli/conftest.py`): commands run in-process through the
console script's own error handling, and `dump()` is the whole SQLite database as SQL text.
One harness serves every example of a property: a refused command changes nothing, so the
examples cannot disturb each other (and if one is wrongly accepted, the dump check fails).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import Result
from hypothesis import HealthCheck, settings

from tests.cli.conftest import CliHarness, write_config
from tests.conftest import FakeClock

__all__ = ["PROPERTY", "Seeded", "refused_in_one_line"]

# Modest counts: the whole folder runs in well under a minute. The harness is shared on
# purpose (see above), hence the function-scoped-fixture check is off.
PROPERTY = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


class Seeded(CliHarness):
    """The CLI harness with one approved item (`item`) on both channels, `demo` and `fast`."""

    item: int


@pytest.fixture
def cli(tmp_path: Path, clock: FakeClock) -> Seeded:
    harness = Seeded(write_config(tmp_path), tmp_path / "data" / "queue.db", clock)
    harness.ok("db", "upgrade")
    harness.item = int(
        harness.json("queue", "add", "https://example.org/seed", "--title", "Seed")["id"]
    )
    return harness


def refused_in_one_line(cli: CliHarness, *args: str) -> Result:
    """`args` is refused as bad input: exit 2, exactly one line on stderr, which starts with
    "error:", no traceback, and the database exactly as it was (`CliHarness.refused`)."""
    result = cli.refused(*args)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, (args, result.stderr)
    return result
