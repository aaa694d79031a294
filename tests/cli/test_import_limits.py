"""Bounded, streaming CSV imports (issue 15, "Why" 6): `queue import /dev/zero` reached 18.5 GB
in 20 s, and a 50 MB file of NUL bytes used 342 MB before its refusal.

Now a file is read a line at a time within `[imports]` limits (`content_queue.csvrecords`): a
regular file larger than `max_file_size` is refused before it is read, a device or pipe once it
has given that much, and a first line longer than `max_row_length` (or holding NUL bytes) shows
the file is not CSV text: refused at once. Each refusal is one `error:` line, exit 2, nothing
stored. The memory tests run the CLI as a real process and read its peak resident size from
`getrusage(RUSAGE_CHILDREN)` of a small wrapper process whose only child it is.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from content_queue.csvrecords import CsvLimits, read_records
from content_queue.errors import FileRefused
from tests.cli.conftest import CONFIG, CliHarness, write_config

MB = 1024 * 1024
PEAK_MB = 100.0
LIMITS = '\n[imports]\nmax_file_size = "{file}"\nmax_row_length = "{row}"\n'

# Runs the command given as its arguments and prints its exit code, stderr, wall time and peak
# RSS: the wrapper's RUSAGE_CHILDREN is that one child's alone (ru_maxrss is in KB on Linux).
_MEASURE = """
import json, resource, subprocess, sys, time
begun = time.monotonic()
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
print(json.dumps({"code": done.returncode, "stderr": done.stderr,
                  "seconds": time.monotonic() - begun,
                  "peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
"""


def measured(config: Path, *args: str) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("XENSOCIAL_")}
    command = [sys.executable, "-m", "xensocial", "--config", str(config), *args]
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, *command],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout)
    return result


def stored(cli: CliHarness) -> tuple[int, int, int]:
    with sqlite3.connect(cli.db) as conn:
        return tuple(  # type: ignore[return-value]
            conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("items", "clips", "activities")
        )


def refused_in_one_line(run: dict[str, object], *words: str) -> str:
    assert run["code"] == 2, run
    lines = str(run["stderr"]).splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), run["stderr"]
    assert "Traceback" not in lines[0]
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def sparse_gb(tmp_path: Path) -> Path:
    """A 1 GB file that costs no disk: a sparse file, read as NUL bytes."""
    path = tmp_path / "huge.csv"
    with path.open("wb") as f:
        f.truncate(1024 * MB)
    return path


def test_a_1_gb_file_is_refused_before_it_is_read(cli: CliHarness, sparse_gb: Path) -> None:
    before = stored(cli)
    run = measured(cli.config, "queue", "import", str(sparse_gb))
    refused_in_one_line(run, "1 GB, more than the 50 MB", "[imports] max_file_size")
    assert float(run["peak_mb"]) < PEAK_MB, run  # type: ignore[arg-type]
    assert stored(cli) == before


def test_a_1_gb_file_within_a_raised_limit_is_still_read_in_bounded_memory(
    tmp_path: Path, sparse_gb: Path
) -> None:
    # Past the size check, the stream is what bounds memory: the first "line" of NUL bytes is
    # read up to the row limit, and the file is refused as not CSV text.
    config = write_config(tmp_path, text=CONFIG + LIMITS.format(file="2 GB", row="64 KB"))
    assert measured(config, "db", "upgrade")["code"] == 0
    run = measured(config, "queue", "import", str(sparse_gb))
    refused_in_one_line(run, "line 1 is longer than 64 KB", "not a CSV file")
    assert float(run["peak_mb"]) < PEAK_MB, run  # type: ignore[arg-type]


@pytest.mark.parametrize("command", ["queue", "clips", "activity"])
def test_dev_zero_is_refused_quickly_in_bounded_memory(cli: CliHarness, command: str) -> None:
    before = stored(cli)
    run = measured(cli.config, command, "import", "/dev/zero")
    refused_in_one_line(run, "/dev/zero: line 1 is longer than 64 KB")
    assert float(run["peak_mb"]) < PEAK_MB, run  # type: ignore[arg-type]
    assert float(run["seconds"]) < 60, run  # type: ignore[arg-type]  # a start-up, one read
    assert stored(cli) == before


def test_a_50_mb_file_of_nul_bytes_is_refused_in_bounded_memory(
    cli: CliHarness, tmp_path: Path
) -> None:
    path = tmp_path / "nul.csv"
    path.write_bytes(b"\x00" * 50_000_000)
    run = measured(cli.config, "queue", "import", str(path))
    refused_in_one_line(run, "line 1 is longer than 64 KB")
    assert float(run["peak_mb"]) < PEAK_MB, run  # type: ignore[arg-type]


def test_a_binary_header_is_refused_as_not_text(cli: CliHarness, tmp_path: Path) -> None:
    path = tmp_path / "nul-lines.csv"
    path.write_bytes(b"\x00\x00url\x00\n" * 1000)
    result = cli.refused("queue", "import", str(path))
    assert result.stderr == (
        f"error: {path}: line 1 holds NUL bytes: this is not a CSV text file "
        "(save it as CSV UTF-8)\n"
    )


def test_the_limits_come_from_the_configuration(tmp_path: Path, clock: object) -> None:
    config = write_config(tmp_path, text=CONFIG + LIMITS.format(file="4 KB", row="1 KB"))
    cli = CliHarness(config, tmp_path / "data" / "queue.db", clock)  # type: ignore[arg-type]
    cli.ok("db", "upgrade")
    rows = tmp_path / "rows.csv"
    long_title = "t" * 1100
    rows.write_text(
        "url,title\n"
        "https://example.org/a,A\n"
        f"https://example.org/b,{long_title}\n"  # over 1 KB: this row only
        "ftp://c,C\n"  # still checked after it
        "https://example.org/d,D\n",
        encoding="utf-8",
    )
    result = cli.refused("queue", "import", str(rows))
    assert "2 bad row(s); nothing was imported" in result.stderr
    assert "line 3: longer than 1 KB, the most a row may be" in result.stderr
    assert "line 4: url: 'ftp://c'" in result.stderr
    report = cli.json("queue", "import", str(rows), "--skip-bad")
    assert [a["line"] for a in report["added"]] == [2, 5]
    big = tmp_path / "big.csv"
    big.write_text("url\n" + "https://example.org/x\n" * 300, encoding="utf-8")  # 6,604 bytes
    refusal = cli.refused("queue", "import", str(big)).stderr
    assert refusal == (
        f"error: {big}: 6.4 KB, more than the 4 KB an import reads (the limit is [imports] "
        "max_file_size); split the file, or raise the limit\n"
    )


# -- the reader itself ----------------------------------------------------------------------


def test_a_row_of_exactly_the_limit_is_read_one_byte_more_is_not(tmp_path: Path) -> None:
    limits = CsvLimits(max_file_bytes=MB, max_row_bytes=1024)
    header = "url,title\n"
    fits = "https://example.org/a,"  # completed with 2-byte characters up to 1,024 bytes
    fits += "é" * ((1024 - len(fits) - 1) // 2) + "x" * ((1024 - len(fits) - 1) % 2) + "\n"
    assert len(fits.encode()) == 1024
    over = fits[:-1] + "y\n"  # one byte more: counted in bytes, not characters
    path = tmp_path / "edge.csv"
    path.write_bytes((header + fits + over + "https://example.org/c,C\n").encode())
    records = list(read_records(path, limits))
    assert [(r.line, r.problem) for r in records] == [
        (1, None),
        (2, None),
        (3, "longer than 1 KB, the most a row may be (the limit is [imports] max_row_length; "
         "an unclosed quote?)"),
        (4, None),
    ]  # fmt: skip
    assert records[1].fields[1].startswith("éé") and records[3].fields == [
        "https://example.org/c",
        "C",
    ]


def test_line_ends_quotes_and_an_unclosed_quote_as_a_stream(tmp_path: Path) -> None:
    limits = CsvLimits(max_file_bytes=MB, max_row_bytes=4096)
    path = tmp_path / "mixed.csv"
    unclosed = 'https://example.org/d,"never closed\n' + "filler line\n" * 500
    path.write_bytes(
        (
            "url,title\r"  # CR alone
            'https://example.org/a,"two\r\nlines"\r\n'  # a quoted CRLF, then CRLF
            "https://example.org/b,B\n" + unclosed
        ).encode()
    )
    records = list(read_records(path, limits))
    assert [(r.line, r.fields) for r in records[:3]] == [
        (1, ["url", "title"]),
        (2, ["https://example.org/a", "two\r\nlines"]),
        (4, ["https://example.org/b", "B"]),
    ]
    assert records[3].line == 5 and records[3].problem is not None
    assert "an unclosed quote?" in records[3].problem


def test_a_device_is_refused_once_it_has_given_more_than_the_limit(tmp_path: Path) -> None:
    # /dev/zero has no size to look at: the count of bytes read is what stops it.
    limits = CsvLimits(max_file_bytes=256 * 1024, max_row_bytes=256 * 1024)
    with pytest.raises(FileRefused, match="more than the 256 KB an import reads"):
        list(read_records(Path("/dev/zero"), limits))
