"""Every command, given hostile arguments, answers 0 or 2 (1 only where a network or the
daemon's state is the cause), a failure is one `error:` line with no traceback, and a failed
command changes nothing.

The invocations (`fuzzing`) cover every command and every parameter of the CLI, with random
text, bytes that are not UTF-8, extreme numbers, dates and durations. They are derandomized:
CI runs the same `INVOCATIONS` every time, in-process on one SQLite database (a few
milliseconds each). "Changes nothing" is SQLite's own `PRAGMA data_version`, read on a
connection of the test's: it moves whenever another connection commits, so a refused command
that kept anything is seen, whatever it wrote.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import Result
from hypothesis import HealthCheck, given, settings

from .conftest import Seeded, refused_in_one_line
from .fuzzing import OPERATIONAL, Command, commands, invocations

INVOCATIONS = int(os.environ.get("XS_FUZZ", "5000"))


@pytest.fixture
def watch(cli: Seeded) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(cli.db)
    try:
        yield conn
    finally:
        conn.close()


def _version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA data_version").fetchone()[0])


def misbehaviour(args: list[str], result: Result, changed: bool, operational: bool) -> str | None:
    """What is wrong with `result`, or None."""
    code, err = result.exit_code, result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        return f"raised {result.exception!r}"
    if "Traceback" in err:
        return f"a traceback: {err[-600:]}"
    if code == 0:
        return "error: on success" if "error:" in err else None
    if code not in (2, 1) or (code == 1 and not operational):
        return f"exit {code}: {err.strip()[:300]}"
    lines = err.splitlines()
    if code == 1 and operational:  # a network failed: said on stdout, per source
        return None if len(lines) <= 1 else f"more than one line: {err[:300]!r}"
    errors = [line for line in lines if not line.startswith("  ")]  # an import's bad rows
    if len(errors) != 1 or not errors[0].startswith("error: "):
        return f"not one error line: {err[:300]!r}"
    if changed and not (code == 1 and operational):
        return "a failed command changed the database"
    return None


@pytest.mark.slow  # seconds to minutes: left out of the fast run (README, Testing)
def test_every_command_refuses_hostile_input_in_one_line(
    cli: Seeded,
    watch: sqlite3.Connection,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)  # a relative --out lands here
    every = commands(tmp_path / "files")
    seen: dict[tuple[str, ...], int] = {}
    found: list[str] = []
    count = 0

    @settings(
        max_examples=INVOCATIONS,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(args=invocations(every))
    def one(args: list[str]) -> None:
        nonlocal count
        count += 1
        command = _command(args, every)
        seen[command] = seen.get(command, 0) + 1
        before = _version(watch)
        result = cli.run(*args)
        wrong = misbehaviour(args, result, _version(watch) != before, command in OPERATIONAL)
        if wrong is not None:
            found.append(f"{args!r}: {wrong}")
        assert wrong is None, found[-1]

    started = time.monotonic()
    one()
    took = time.monotonic() - started
    with capsys.disabled():
        print(f"\nfuzz: {count} invocations of {len(seen)} commands in {took:.1f} s")
    assert count >= INVOCATIONS
    assert set(seen) == {c.words for c in every}, "a command was never tried"


def _command(args: list[str], every: list[Command]) -> tuple[str, ...]:
    rest = args[2:] if args[:1] == ["--as"] else args
    return max((c.words for c in every if tuple(rest[: len(c.words)]) == c.words), key=len)


# -- issue 15's cases, as written, and what the fuzzing found: one regular test each -------


@pytest.mark.parametrize(
    "args",
    [
        ("queue", "add", "http://[::1:18500/bad", "--title", "T"),  # was ValueError, exit 1
        ("feeds", "add", "http://[::1:18500/bad"),  # was exit 2, quoting only "Invalid IPv6 URL"
        ("clips", "add", "http://[::1:18500/bad", "--title", "T"),
        ("report", "monthly", "--month", "0000-01"),
        ("clips", "list", "--month", "0000-01"),  # was ValueError: year 0 is out of range
        ("activity", "list", "--month", "0000-01"),
        ("log", "--since", "-999999999d"),  # was OverflowError
        ("clips", "add", "https://example.org/c", "--date", "9999-12-31T23:59:59+00:00"),
        ("activity", "add", "--kind", "interview", "--title", "T", "--date", "-999999999d"),
        ("queue", "add", "https://example.org/n", "--not-before", "9999-12-31T23:59:59+00:00"),
        ("export", "csv", "--what", "posts", "--until", "9999-12-31T23:59:59+00:00"),
        ("export", "atom", "--out", "é" * 200 + ".xml"),  # was exit 1: File name too long
        ("queue", "add", "https://example.org/t", "--tag", "\udcff"),  # was UnicodeEncodeError
        ("channels", "pause", "\udcff"),
        ("queue", "list", "--channel", "caf\udce9"),
        # Found by the fuzz: accepted, then every `feeds poll` printed an OverflowError traceback.
        ("feeds", "add", "https://example.org/feed.xml", "--interval", "99999999d"),
        # Found by the fuzz: a host urlsplit refuses (NFKC) reached the length check's
        # rendering before the URL was checked: ValueError, exit 1.
        ("queue", "add", "http://a\u2100b.org/", "--title", "T"),
        ("queue", "edit", "1", "--url", "http://a\u2100b.org/"),
    ],
)
def test_the_bad_inputs_of_issue_15_are_refused_in_one_line(
    cli: Seeded, args: tuple[str, ...]
) -> None:
    refused_in_one_line(cli, *args)


@pytest.mark.parametrize(
    "args", [("activity", "list"), ("clips", "list"), ("queue", "list"), ("export", "atom")]
)
def test_a_limit_beyond_any_database_integer_means_all(cli: Seeded, args: tuple[str, ...]) -> None:
    # Found by the fuzz: `activity list --limit 9223372036854775808` was an OverflowError
    # (exit 1) on SQLite. Such a limit is "all of them".
    for limit in (str(2**63), str(10**30)):
        cli.ok(*args, "--limit", limit)
    refused_in_one_line(cli, *args, "--limit", "0")


def test_a_file_whose_name_is_not_utf8_can_still_be_imported(cli: Seeded, tmp_path: Path) -> None:
    # Undecodable bytes are refused in any argument, but a file name is bytes: one that names
    # an existing file is taken.
    name = os.fsdecode(os.fsencode(tmp_path) + b"/caf\xe9.csv")
    with open(os.fsencode(name), "wb") as f:
        f.write(b"url,title\nhttps://example.org/latin,Latin\n")
    assert "Added 1 item(s)" in cli.ok("queue", "import", name).stdout
    refused = refused_in_one_line(cli, "queue", "import", name + "x")
    assert "not UTF-8" in refused.stderr
