"""Refuse what cannot post (issue 14): `queue add`, `queue import` and `queue edit` share one
function per rule (`xensocial.item_rules`), and every `--out` one rule (`params.out_format`).

Why, as the issue reported it:
- "An item that can never post is accepted: `--expires 2020-02-01` (already past) → approved;
  `--category Announcment` (misspelt) → accepted, and the item silently loses the
  announcement's priority."
- "A link added offline posts as a bare URL: without `--title`, when the page cannot be read,
  the item is added *approved* with an empty title; the daemon posted it as the URL alone."
- "`report monthly --out dec.pdf` writes Markdown into a .pdf file (exit 0)."
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.cli.conftest import CONFIG, CliHarness, write_config
from tests.conftest import FakeClock

HEADER = "url,title,text,category,tags,channels,not_before,priority\n"


@pytest.fixture
def cli(tmp_path: Path, clock: FakeClock) -> CliHarness:
    """The CLI tests' configuration, with a category of its own and a channel mix naming one."""
    text = 'categories = ["Release"]\n' + CONFIG.replace(
        'name = "fast"', 'name = "fast"\nmix = {{ news = 2, howto = 1 }}'
    )
    harness = CliHarness(write_config(tmp_path, text=text), tmp_path / "data" / "queue.db", clock)
    harness.ok("db", "upgrade")
    return harness


def one_line(result: object) -> str:
    lines = result.stderr.splitlines()  # type: ignore[attr-defined]
    assert len(lines) == 1, lines
    return str(lines[0])


# -- an expiry already past -------------------------------------------------------------------


def test_an_expiry_already_past_is_refused_on_add(cli: CliHarness) -> None:
    result = cli.refused("queue", "add", "https://xenproject.org/", "--title", "T",
                         "--expires", "2020-02-01")  # fmt: skip
    assert one_line(result) == (
        "error: expires: 2020-02-01 00:00 CET is already past; an expired item is never posted"
    )
    cli.refused("queue", "add", "https://xenproject.org/", "--title", "T", "--expires", "-1h")
    # Now is not ahead either; a minute ahead is.
    cli.refused("queue", "add", "https://xenproject.org/", "--title", "T", "--expires", "+0s")
    cli.ok("queue", "add", "https://xenproject.org/", "--title", "T", "--expires", "+1m")


def test_an_expiry_already_past_is_refused_on_edit(cli: CliHarness) -> None:
    cli.ok("queue", "add", "https://xenproject.org/", "--title", "T")
    result = cli.refused("queue", "edit", "1", "--expires", "2020-02-01")
    assert "expires: 2020-02-01 00:00 CET is already past" in one_line(result)
    cli.ok("queue", "edit", "1", "--expires", "none")  # clearing it is fine


# -- categories -------------------------------------------------------------------------------


def test_a_misspelt_category_is_refused_with_a_hint(cli: CliHarness) -> None:
    result = cli.refused("queue", "add", "https://xenproject.org/", "--title", "Xen 4.21",
                         "--category", "Announcment")  # fmt: skip
    assert one_line(result) == (
        "error: category: 'Announcment' is not a known category; did you mean 'announcement'? "
        "known: announcement, article, event, howto, news, release, resource (name others in "
        "the configuration's `categories` list)"
    )
    cli.ok("queue", "add", "https://xenproject.org/", "--title", "T", "--category", "Announcement")
    assert cli.json("queue", "show", "1")["category"] == "announcement"
    result = cli.refused("queue", "edit", "1", "--category", "nwes")
    assert "did you mean 'news'?" in one_line(result)


def test_the_configurations_categories_are_known(cli: CliHarness) -> None:
    # From the `categories` list, and from a channel's mix.
    for category in ("release", "HowTo"):
        cli.ok("queue", "add", f"https://xenproject.org/{category}", "--title", "T",
               "--category", category)  # fmt: skip
    assert [i["category"] for i in cli.json("queue", "list")] == ["howto", "release"]
    assert "did you mean 'release'?" in cli.refused("feeds", "add", "https://example.org/x.xml", "--category",
                                                    "relase").stderr  # fmt: skip


def test_an_import_names_each_row_with_an_unknown_category(cli: CliHarness, tmp_path: Path) -> None:
    path = tmp_path / "items.csv"
    path.write_text(
        HEADER
        + "https://xenproject.org/a,A,,Announcment,,,,\n"
        + "https://xenproject.org/b,B,,release,,,,\n",
        encoding="utf-8",
    )
    result = cli.refused("queue", "import", str(path))
    assert "line 2: category: 'Announcment' is not a known category; did you mean " in (
        result.stderr
    )
    assert "line 3" not in result.stderr
    done = cli.json("queue", "import", str(path), "--skip-bad")
    assert [row["line"] for row in done["added"]] == [3]


# -- words to post ----------------------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


DAEMON_CONFIG = """\
database_url = "sqlite:///queue.db"
data_dir = "{data}"
timezone = "UTC"
log_format = "json"

[http]
listen = ""

[intake]
allow_private_addresses = true
connect_timeout = "2s"
deadline = "3s"

[[channels]]
name = "demo"
network = "outbox"
cron = "* * * * * *"
max_per_day = 1000
[channels.options]
path = "outbox.jsonl"
"""


@pytest.mark.slow  # seconds to minutes: left out of the fast run (README, Testing)
def test_a_link_added_offline_is_a_draft_and_the_daemon_never_posts_it(
    tmp_path: Path, clock: FakeClock
) -> None:
    config = tmp_path / "xensocial.toml"
    config.write_text(DAEMON_CONFIG.format(data=tmp_path / "data"), encoding="utf-8")
    config.chmod(0o600)
    cli = CliHarness(config, tmp_path / "data" / "queue.db", clock)
    cli.ok("db", "upgrade")
    offline = f"http://127.0.0.1:{_closed_port()}/post"
    result = cli.run("queue", "add", offline)  # the page cannot be read
    assert result.exit_code == 0, result.stderr
    assert "item 1 was added as a draft (no title or text" in one_line(result)
    assert result.stdout.startswith(f"Added item 1: {offline} -> demo (draft)")
    cli.ok("queue", "add", "https://xenproject.org/ok", "--title", "A post with words")

    env = {k: v for k, v in os.environ.items() if not k.startswith("XENSOCIAL_")}
    env.pop("NOTIFY_SOCKET", None)
    outbox = tmp_path / "data" / "outbox.jsonl"
    with (tmp_path / "daemon.log").open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "xensocial", "--config", str(config), "run"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not outbox.exists():
            time.sleep(0.1)
        time.sleep(3)  # three more slots: the draft is never taken
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(15)
    posted = [json.loads(line) for line in outbox.read_text().splitlines()]
    assert [p["item_id"] for p in posted] == [2], (tmp_path / "daemon.log").read_text()
    assert offline not in outbox.read_text()


def test_a_draft_without_words_cannot_be_approved_until_it_has_some(cli: CliHarness) -> None:
    cli.ok("queue", "add", "https://xenproject.org/", "--draft")
    cli.ok("queue", "add", "https://xenproject.org/b", "--title", "B", "--draft")
    result = cli.refused("queue", "approve", "2", "1")  # all or none
    assert one_line(result) == (
        "error: title: item 1 would be approved with no title or text: the daemon never posts "
        "a bare link; give it words first (`xensocial queue edit 1 --title ...`)"
    )
    cli.ok("queue", "edit", "1", "--text", "Words at last")
    cli.ok("queue", "approve", "1", "2")
    # And an approved item cannot lose its last words.
    cli.refused("queue", "edit", "1", "--text", "")
    cli.ok("queue", "edit", "1", "--title", "A title", "--text", "")


def test_an_import_makes_rows_without_words_drafts_and_draft_makes_them_all(
    cli: CliHarness, tmp_path: Path
) -> None:
    path = tmp_path / "items.csv"
    path.write_text(
        HEADER + "https://xenproject.org/a,A,,,,,,\nhttps://xenproject.org/bare,,,,,,,\n",
        encoding="utf-8",
    )
    out = cli.ok("queue", "import", str(path)).stdout
    assert (
        "Added 1 row(s) as drafts (no title or text: the daemon never posts a bare link): "
        "line(s) 3;" in out
    )
    assert [(i["url"], i["state"]) for i in cli.json("queue", "list")] == [
        ("https://xenproject.org/bare", "draft"),
        ("https://xenproject.org/a", "approved"),
    ]
    again = tmp_path / "more.csv"
    again.write_text(HEADER + "https://xenproject.org/c,C,,,,,,\n", encoding="utf-8")
    done = cli.json("queue", "import", str(again), "--draft")
    assert [row["item"]["state"] for row in done["added"]] == ["draft"]
    assert done["drafts_without_words"] == []


# -- --out ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("report", "monthly", "--out", "dec.docx"),
            "error: --out 'dec.docx': .docx is not a format this command writes; name the file "
            ".md, .markdown, .txt, .html, .htm, .csv, .json or .pdf, or leave the extension out",
        ),
        (
            ("report", "quarterly", "--format", "html", "--out", "q4.pdf"),
            "error: --out 'q4.pdf' names the pdf format, but --format html was asked for; "
            "name the file .html or .htm",
        ),
        (
            ("report", "monthly", "--format", "md", "--out", "dec.html"),
            "error: --out 'dec.html' names the html format, but --format md was asked for; "
            "name the file .md or .markdown or .txt",
        ),
        (
            ("export", "atom", "--out", "feed.json"),
            "error: --out 'feed.json': .json is not a format this command writes; name the file "
            ".atom or .xml, or leave the extension out",
        ),
        (
            ("export", "csv", "--what", "posts", "--out", "posts.xlsx"),
            "error: --out 'posts.xlsx': .xlsx is not a format this command writes; name the "
            "file .csv, or leave the extension out",
        ),
    ],
)
def test_an_out_file_naming_another_format_is_refused(
    cli: CliHarness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...],
    message: str,
) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)
    before = set(tmp_path.iterdir())
    result = cli.refused(*args)
    assert one_line(result).startswith(message)
    assert set(tmp_path.iterdir()) == before  # nothing written


def test_an_out_file_without_an_extension_takes_the_format_given(
    cli: CliHarness, tmp_path: Path
) -> None:
    target = tmp_path / "december"
    cli.ok("report", "monthly", "--format", "json", "--out", str(target))
    assert json.loads(target.read_text(encoding="utf-8"))["period"]
    cli.ok("report", "monthly", "--out", str(tmp_path / "dec.txt"))  # Markdown is text
    assert (tmp_path / "dec.txt").read_text(encoding="utf-8").startswith("# ")
