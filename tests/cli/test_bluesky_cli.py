"""Bluesky through the CLI: the 3,000-byte cap at `queue add` and in `preview`, and one sign-in
shared by two commands run as real processes against the fake PDS over real HTTP.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.conftest import CliHarness, write_config
from tests.conftest import FakeClock
from tests.fakes.bluesky import FakeBluesky
from tests.fakes.server import FakeServer
from xensocial.text import graphemes, utf8_size

# Braces are doubled: write_config formats this text.
CONFIG = """\
database_url = "sqlite:///{db}"
data_dir = "{data}"
timezone = "Europe/Amsterdam"
auto_migrate = {auto_migrate}

[[channels]]
name = "bsky"
network = "bluesky"
slots = ["09:30"]
template = "{{category}} {{title}} {{url}}"
[channels.options]
handle = "xen.bsky.social"
api_base_url = "URL"
link_cards = false
[channels.secrets]
app_password = "env:XS_TEST_BLUESKY_APP_PASSWORD"
"""
URL = "https://xenproject.org/blog/2026/xen-4-21-released"
FAMILY = "👨‍👩‍👧"  # one grapheme, 18 bytes


@pytest.fixture
def pds() -> Iterator[tuple[FakeServer, FakeBluesky]]:
    with FakeServer() as server:
        yield server, FakeBluesky(server, followers=77)  # the wall clock, as the processes'


@pytest.fixture
def cli(tmp_path: Path, clock: FakeClock, pds: tuple[FakeServer, FakeBluesky]) -> CliHarness:
    config = write_config(tmp_path, text=CONFIG.replace("URL", pds[0].url))
    harness = CliHarness(config, tmp_path / "data" / "queue.db", clock)
    harness.ok("db", "upgrade")
    return harness


def test_queue_add_refuses_a_post_over_3000_bytes_naming_the_count(
    tmp_path: Path, clock: FakeClock, pds: tuple[FakeServer, FakeBluesky]
) -> None:
    # The template's own words are never cut: 170 graphemes fit the 300, 3,060 bytes do not.
    fixed = FAMILY * 170
    text = CONFIG.replace("URL", pds[0].url).replace("{{category}}", fixed)
    cli = CliHarness(write_config(tmp_path, text=text), tmp_path / "data" / "queue.db", clock)
    cli.ok("db", "upgrade")
    result = cli.refused("queue", "add", URL, "--title", "Xen 4.21")
    minimal = f"{fixed} {URL}"
    assert graphemes(minimal) <= 300
    assert (
        f"too long for channel 'bsky' (bluesky): even shortened it counts "
        f"{utf8_size(minimal):,} bytes, over the limit of 3,000 bytes"
    ) in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert pds[1].sessions_created == 0  # checked offline: no network, no credentials


def test_a_title_that_is_one_long_word_of_emoji_is_cut_to_fit_the_bytes(
    cli: CliHarness,
) -> None:
    """199 graphemes of emoji pass the grapheme count, but their 3,582 bytes would be refused by
    the PDS: the title is cut, with an ellipsis, to what fits 3,000 bytes."""
    item = cli.json("queue", "add", URL, "--title", FAMILY * 199, "--category", "news")["id"]
    [row] = cli.json("preview", str(item))
    text = row["text"]
    assert text.startswith("news " + FAMILY) and f"… {URL}" in text
    assert (row["bytes"], row["byte_limit"]) == (utf8_size(text), 3000)
    assert 3000 - 18 < row["bytes"] <= 3000  # as many as fit: one more would not
    assert row["length"] == graphemes(text) <= 300
    out = cli.ok("preview", str(item)).stdout
    assert f"Length: {row['length']} of 300 graphemes" in out
    assert f"Size:   {row['bytes']:,} bytes of 3,000" in out


def test_preview_shows_the_bytes_only_where_the_network_caps_them(cli: CliHarness) -> None:
    item = cli.json("queue", "add", URL, "--title", "Xen 4.21 ü")["id"]
    [row] = cli.json("preview", str(item))
    assert row["bytes"] == utf8_size(row["text"]) == len(row["text"]) + 1
    assert "bytes of 3,000" in cli.ok("preview", str(item)).stdout


def _xs(config: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "xensocial", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env},
    )


def test_two_commands_in_a_row_sign_in_once(
    cli: CliHarness, pds: tuple[FakeServer, FakeBluesky], tmp_path: Path
) -> None:
    server, fake = pds
    env = {"XS_TEST_BLUESKY_APP_PASSWORD": fake.password}
    verified = _xs(cli.config, env, "channels", "verify", "bsky")
    assert verified.returncode == 0, verified.stderr
    assert "posting as @xen.bsky.social" in verified.stdout
    polled = _xs(cli.config, env, "metrics", "poll", "--now", "--json")
    assert polled.returncode == 0, polled.stderr
    assert json.loads(polled.stdout)[0]["followers"] == 77
    assert fake.sessions_created == 1  # the second process used the first one's session
    assert len(server.requests("POST", FakeBluesky.CREATE_SESSION)) == 1

    kept = tmp_path / "data" / "credentials" / "bluesky-bsky.json"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    stored = json.loads(kept.read_text())
    for token in (stored["accessJwt"], stored["refreshJwt"]):  # never printed or logged
        for stream in (verified.stdout, verified.stderr, polled.stdout, polled.stderr):
            assert token not in stream
