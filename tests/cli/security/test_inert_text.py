"""Hostile text stays inert (issue 15, item 1): removed at input, escaped at every output.

Input: a page fetched over real HTTP by `queue add URL` (an OSC title sequence, an OSC 52
clipboard write in `og:description`), a CSV row with ESC and C1 bytes, an argument with a bidi
override: each is stored without them. An argument that is not UTF-8 (`--tag $'\\xff'`, which
Python hands over as a lone surrogate) is refused with exit 2 and one line naming the option.

Output: values planted straight into the database with SQL (rows written before the input rule
existed) are printed by each command that shows stored text, and neither stdout nor stderr holds
a raw control, C1 or bidi character; the values are there, escaped. A static test keeps
`click.echo` (which prints raw) out of the command modules, so a new command prints through the
escaping `output.echo` too.
"""

from __future__ import annotations

import ast
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from content_queue.plaintext import inert, visible
from tests.cli.conftest import CONFIG, CliHarness, _Entry, write_config
from tests.conftest import FakeClock
from tests.fakes.server import FakeServer, Reply
from xensocial.cli import App

# What must never reach a terminal raw: C0 controls but tab and line feed, DEL, C1 controls,
# bidi embeddings/overrides/isolates and lone surrogates. Spelled out here, not imported: the
# test checks the rule, it does not restate it.
_RAW = frozenset(
    [chr(c) for c in range(0x20) if chr(c) not in "\t\n"]
    + [chr(c) for c in range(0x7F, 0xA0)]
    + [chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))]
)

# Retitles the window, clears the screen, a one-character CSI (C1), a right-to-left override,
# an isolate, DEL, an OSC 52 clipboard write.
HOSTILE = "\x1b]0;PWNED\x07\x1b[2J\x9b31m\u202eevil\u2066x\x7f\x1b]52;c;cm0gLXJmIH4=\x07"
HTML = {"Content-Type": "text/html; charset=utf-8"}


def raw_characters(text: str) -> set[str]:
    return {c for c in text if c in _RAW or 0xD800 <= ord(c) <= 0xDFFF}


def assert_inert(text: str) -> None:
    assert not raw_characters(text), f"raw {sorted(map(hex, map(ord, raw_characters(text))))}"


def run(cli: CliHarness, *args: str) -> Result:
    """The command in-process, with click's ANSI stripping off (color=True): what a terminal
    would get, so nothing is hidden by click removing the CSI sequences it knows."""
    app = App(config_path=str(cli.config), clock=cli.clock, user="tester")
    return CliRunner().invoke(_Entry(app), list(args), color=True)  # type: ignore[arg-type]


def _harness(tmp_path: Path, clock: FakeClock, extra: str = "") -> CliHarness:
    harness = CliHarness(
        write_config(tmp_path, text=CONFIG + extra), tmp_path / "data" / "queue.db", clock
    )
    harness.ok("db", "upgrade")
    return harness


def _stored(cli: CliHarness, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(cli.db) as conn:
        return conn.execute(sql).fetchall()


# -- the rule, on its own -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "multiline", "stored"),
    [
        (HOSTILE, False, "]0;PWNED[2J31mevilx]52;c;cm0gLXJmIH4="),
        ("one\r\ntwo\rthree\tfour\x0c", True, "one\ntwo\nthree\tfour"),
        ("one\r\ntwo\nthree\tfour", False, "one two three four"),
        ("Café 🎉 \u200d مرحبا", False, "Café 🎉 \u200d مرحبا"),  # text is left alone
    ],
)
def test_inert_removes_what_acts_on_a_terminal(given: str, multiline: bool, stored: str) -> None:
    assert inert(given, "title", multiline=multiline) == stored


def test_invalid_unicode_is_refused_naming_the_field_or_replaced_for_strangers() -> None:
    from content_queue.errors import InvalidItem

    with pytest.raises(InvalidItem, match=r"^tags: not valid text.*\\udce9"):
        inert("caf\udce9", "tags")
    assert inert("caf\udce9", "page", strict=False) == "caf\ufffd"


def test_visible_escapes_every_raw_character_and_keeps_the_rest() -> None:
    every = "".join(sorted(_RAW)) + "\ud800"
    shown = visible(f"a{every}\tb\nc é")
    assert_inert(shown)
    assert shown.startswith("a\\x00\\x01") and shown.endswith("\\ud800\tb\nc é")
    assert "\\x1b" in shown and "\\x9b" in shown and "\\u202e" in shown
    assert visible(shown) == shown  # escaping twice changes nothing


# -- input: stored clean ---------------------------------------------------------------------


@pytest.fixture
def server() -> Iterator[FakeServer]:
    page = (
        "<!doctype html><html><head><title>\x1b]0;PWNED\x07\x1b[2J Release 2.0</title>"
        '<meta property="og:description" content="\x1b]52;c;cm0gLXJmIH4=\x07 Faster builds">'
        "</head><body></body></html>"
    )
    with FakeServer() as s:
        s.route("GET", "/article", lambda r: Reply(200, page.encode(), HTML))
        yield s


def test_a_fetched_page_title_and_description_are_stored_inert(
    server: FakeServer, tmp_path: Path, clock: FakeClock
) -> None:
    cli = _harness(tmp_path, clock, "\n[intake]\nallow_private_addresses = true\n")
    result = run(cli, "queue", "add", f"{server.url}/article")
    assert result.exit_code == 0, result.stderr
    assert_inert(result.stdout + result.stderr)
    assert "Release 2.0" in result.stderr  # "Title from the page: ..."
    ((title, text),) = _stored(cli, "SELECT title, text FROM items")
    assert (title, text) == ("]0;PWNED[2J Release 2.0", "]52;c;cm0gLXJmIH4= Faster builds")
    assert len(server.log) == 1


def test_a_csv_row_with_escape_and_c1_bytes_is_stored_inert(
    tmp_path: Path, clock: FakeClock
) -> None:
    cli = _harness(tmp_path, clock)
    rows = tmp_path / "rows.csv"
    rows.write_text(
        "url,title,text,category,tags\n"
        'https://example.org/a,"\x1b[31mRed\x9b0m title","line one\r\nline\x85 two",ne\x1bws,"#x\u202e"\n',
        encoding="utf-8",
    )
    result = run(cli, "queue", "import", str(rows))
    assert result.exit_code == 0, result.stderr
    ((title, text, category, tags),) = _stored(cli, "SELECT title, text, category, tags FROM items")
    assert (title, text, category) == ("[31mRed0m title", "line one\nline two", "news")
    assert json.loads(str(tags)) == ["x"]


def test_an_argument_with_a_bidi_override_is_stored_inert(tmp_path: Path, clock: FakeClock) -> None:
    cli = _harness(tmp_path, clock)
    cli.ok("queue", "add", "https://example.org/b", "--title", "invoice\u202efdp.exe")
    cli.ok("blackout", "add", "--from", "+1d", "--to", "+2d", "--reason", "\u2067holiday\u2069")
    cli.ok("activity", "add", "--kind", "event", "--date", "today", "--title", "Meet\u202dup")
    assert _stored(cli, "SELECT title FROM items") == [("invoicefdp.exe",)]
    assert _stored(cli, "SELECT reason FROM blackouts") == [("holiday",)]
    assert _stored(cli, "SELECT title FROM activities") == [("Meetup",)]


def test_an_argument_that_is_not_utf8_is_refused_in_one_line(
    tmp_path: Path, clock: FakeClock
) -> None:
    """`--tag $'\\xff'` as a real process gets it (bytes in argv), and as CliRunner gives it."""
    cli = _harness(tmp_path, clock)
    before = cli.dump()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "xensocial",
            "--config",
            str(cli.config),
            "queue",
            "add",
            "https://example.org/c",
            "--title",
            "T",
            "--tag",
            b"\xff",
        ],  # fmt: skip
        capture_output=True,
        timeout=60,
        env={k: v for k, v in os.environ.items() if not k.startswith("XENSOCIAL_")},
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.decode() == (
        "error: --tag: not valid text: a byte that is not UTF-8 (shown as \\udcff); "
        "is the terminal or the file UTF-8?\n"
    )
    refused = cli.refused("clips", "add", "https://example.org/d", "--title", "caf\udce9")
    assert (
        refused.stderr.startswith("error: --title: not valid text") and "\\udce9" in refused.stderr
    )
    assert cli.dump() == before


# -- output: a stored hostile value never reaches the terminal raw -------------------------


@pytest.fixture
def planted(tmp_path: Path, clock: FakeClock) -> CliHarness:
    """One row of each kind, made clean through the CLI, then given HOSTILE with SQL (as a
    value stored before this rule, or by another program, would be)."""
    cli = _harness(tmp_path, clock)
    cli.ok("queue", "add", "https://example.org/p", "--title", "t", "--text", "x", "--tag", "t")
    cli.ok("queue", "edit", "1", "--channel", "demo", "--text", "own words")
    cli.ok("blackout", "add", "--from", "+1d", "--to", "+2d", "--reason", "r")
    cli.ok("clips", "add", "https://news.example.org/c", "--date", "2026-03-01", "--title", "c")
    cli.ok("activity", "add", "--kind", "event", "--date", "2026-03-01", "--title", "a")
    cli.ok("feeds", "add", "https://feeds.example.org/rss", "--name", "f")
    cli.ok("channels", "pause", "fast", "--reason", "p")
    with sqlite3.connect(cli.db) as conn:
        for sql in (
            "UPDATE items SET title = ?, text = ?, category = ?",
            "UPDATE deliveries SET text_override = ?, last_error = ?",
            "UPDATE blackouts SET reason = ?",
            "UPDATE clips SET title = ?, summary = ?, outlet = ?",
            "UPDATE activities SET title = ?, note = ?",
            "UPDATE feeds SET last_error = ?, status = 'error'",
            "UPDATE channel_states SET pause_reason = ?",
            "UPDATE audit_log SET detail = ?",
        ):
            conn.execute(sql, [HOSTILE] * sql.count("?"))
        conn.execute("UPDATE items SET tags = ?", [json.dumps([HOSTILE])])
    return cli


SHOWING = [
    ("queue", "list"),
    ("queue", "list", "--json"),
    ("queue", "show", "1"),
    ("queue", "show", "1", "--json"),
    ("schedule",),
    ("schedule", "--json"),
    ("log",),
    ("log", "--json"),
    ("channels", "list"),
    ("blackout", "list"),
    ("blackout", "list", "--json"),
    ("clips", "list", "--month", "2026-03"),
    ("clips", "list", "--month", "2026-03", "--json"),
    ("activity", "list", "--month", "2026-03"),
    ("feeds", "list"),
    ("preview", "1"),
    ("preview", "1", "--json"),
    ("report", "monthly", "--month", "2026-03"),
    ("report", "monthly", "--month", "2026-03", "--format", "json"),
    # error messages that quote what they were given
    ("channels", "pause", HOSTILE),
    ("queue", "show", HOSTILE),
    ("queue", "add", "https://example.org/new", "--title", "T", "--category", HOSTILE * 3),
]


@pytest.mark.parametrize("args", SHOWING, ids=lambda a: " ".join(a).replace(HOSTILE, "HOSTILE"))
def test_no_command_prints_a_raw_control_or_bidi_character(
    planted: CliHarness, args: tuple[str, ...]
) -> None:
    result = run(planted, *args)
    assert "Traceback" not in result.stderr
    out = result.stdout + result.stderr
    assert_inert(out)
    assert "PWNED" in out, out  # the hostile value was printed, escaped
    if "--json" in args or "json" in args:
        json.loads(result.stdout)  # escaped the JSON way: still JSON


def test_every_command_module_prints_through_the_escaping_echo() -> None:
    """`click.echo` prints raw; commands use `output.echo` (or `emit_json`), which escape."""
    import xensocial.cli as package

    folder = Path(package.__file__).parent
    offenders = []
    for module in sorted(folder.glob("*.py")):
        if module.name == "output.py":
            continue
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Attribute)
                and node.attr in ("echo", "secho")
                and isinstance(node.value, ast.Name)
                and node.value.id == "click"
            ):
                offenders.append(f"{module.name}:{node.lineno}")
    assert offenders == []
