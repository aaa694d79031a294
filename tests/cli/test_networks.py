"""The network commands: `preview`, `channels verify`, and the fit check of `queue add`, `queue
edit` and `queue import`.

The X channel here is never called: preview and the fit check use the adapter class's limits
and need no credentials. `channels verify` talks to the fake Mastodon instance over real HTTP.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.conftest import CliHarness, write_config
from tests.conftest import FakeClock
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.server import FakeServer, Fault
from xensocial.text import measure

# Braces are doubled: write_config formats this text.
CONFIG = """\
database_url = "sqlite:///{db}"
data_dir = "{data}"
timezone = "Europe/Amsterdam"
auto_migrate = {auto_migrate}

[[channels]]
name = "demo"
network = "outbox"
slots = ["09:30"]
[channels.options]
path = "outbox.jsonl"

[[channels]]
name = "x-news"
network = "x"
slots = ["09:30", "15:00"]
template = "{{category}} · {{body}} {{url}} {{hashtags}}"
[channels.utm]
source = "x"
[channels.secrets]
consumer_key = "env:XS_TEST_X_CONSUMER_KEY"
consumer_secret = "env:XS_TEST_X_CONSUMER_SECRET"
access_token = "env:XS_TEST_X_ACCESS_TOKEN"
access_token_secret = "env:XS_TEST_X_ACCESS_TOKEN_SECRET"
"""

MASTODON = """
[[channels]]
name = "masto"
network = "mastodon"
slots = ["10:00"]
[channels.options]
api_base_url = "{url}"
[channels.secrets]
access_token = "env:XS_TEST_MASTODON_TOKEN"

[[channels]]
name = "masto-no-secret"
network = "mastodon"
slots = ["10:00"]
[channels.options]
api_base_url = "{url}"
"""

URL = "https://xenproject.org/blog/2026/xen-4-21-released"
# A link is never cut, and the outbox counts it in full: this one cannot fit its 5,000 characters.
LONG_URL = "https://xenproject.org/" + "a" * 5000


@pytest.fixture
def cli(tmp_path: Path, clock: FakeClock) -> CliHarness:
    harness = CliHarness(write_config(tmp_path, text=CONFIG), tmp_path / "data" / "queue.db", clock)
    harness.ok("db", "upgrade")
    return harness


def add(cli: CliHarness, *args: str) -> int:
    return int(cli.json("queue", "add", *args)["id"])


# -- preview -------------------------------------------------------------------------------


def test_preview_prints_the_text_and_its_length_against_the_limit(cli: CliHarness) -> None:
    item = add(cli, URL, "--title", "Xen 4.21 released", "--channel", "demo")
    out = cli.ok("preview", str(item), "--channel", "demo").stdout
    text = f"Xen 4.21 released\n\n{URL}"
    assert text in out
    assert f"Length: {len(text)} of 5000 characters" in out


def test_preview_renders_for_every_target_channel_the_way_each_counts(cli: CliHarness) -> None:
    title = "Xen 4.21 brings 日本語 support and much more " + "word " * 60
    item = add(cli, URL, "--title", title, "--tag", "xen")
    rows = {r["channel"]: r for r in cli.json("preview", str(item))}
    assert set(rows) == {"demo", "x-news"}
    x = rows["x-news"]
    assert x["url"] == f"{URL}?utm_source=x"
    assert x["text"].startswith("news · Xen 4.21 brings 日本語 support")
    assert f"… {URL}?utm_source=x" in x["text"]  # cut at a word, the link whole
    assert x["length"] == measure("x", x["text"]) <= 280 == x["limit"]
    assert x["unit"].startswith("weighted characters")
    assert rows["demo"]["length"] == len(rows["demo"]["text"])
    assert rows["demo"]["url"] == URL  # UTM parameters are per channel


def test_preview_refuses_unknown_items_and_channels(cli: CliHarness) -> None:
    item = add(cli, URL, "--title", "T", "--channel", "demo")
    assert (
        "no channel named 'nope'" in cli.refused("preview", str(item), "--channel", "nope").stderr
    )
    assert "999" in cli.refused("preview", "999").stderr


# -- the fit check ---------------------------------------------------------------------------


def test_queue_add_refuses_an_item_that_cannot_fit_a_target_channel(cli: CliHarness) -> None:
    result = cli.refused("queue", "add", LONG_URL, "--title", "T")
    assert "too long for channel 'demo' (outbox)" in result.stderr
    assert "counts 5023, over the limit of 5000" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    add(cli, URL, "--title", "T", "--text", "word " * 1500)  # words are cut to fit


def test_queue_edit_refuses_a_change_that_cannot_fit(cli: CliHarness) -> None:
    item = add(cli, URL, "--title", "Short")
    result = cli.refused("queue", "edit", str(item), "--url", LONG_URL)
    assert "too long for channel 'demo' (outbox)" in result.stderr
    changed = cli.json("queue", "edit", str(item), "--title", "Longer " * 80)
    assert changed["title"].startswith("Longer")  # words are cut to fit, so this is fine
    cli.ok("queue", "edit", str(item), "--priority", "3")  # no text change: nothing to check


def test_queue_import_refuses_rows_that_cannot_fit_with_their_line(
    cli: CliHarness, tmp_path: Path
) -> None:
    csv = tmp_path / "items.csv"
    csv.write_text(
        "url,title,category,channels\n"
        f"{URL}/1,One,news,\n"
        f"{LONG_URL}/2,Two,news,demo\n"
        f"{URL}/3,Three,news,x-news\n",
        encoding="utf-8",
    )
    result = cli.refused("queue", "import", str(csv))
    assert "1 bad row(s); nothing was imported" in result.stderr
    assert "line 3: too long for channel 'demo' (outbox)" in result.stderr
    done = cli.json("queue", "import", str(csv), "--skip-bad")
    assert [a["line"] for a in done["added"]] == [2, 4]
    [refused] = done["refused"]
    assert refused["line"] == 3 and "over the limit of 5000" in refused["message"]


# -- channels verify -----------------------------------------------------------------------


@pytest.fixture
def mastodon(tmp_path: Path, clock: FakeClock) -> Iterator[tuple[CliHarness, FakeMastodon]]:
    with FakeServer() as server:
        fake = FakeMastodon(server, clock=clock, followers=4321)
        text = CONFIG + MASTODON.replace("{url}", server.url)
        harness = CliHarness(
            write_config(tmp_path, text=text), tmp_path / "data" / "queue.db", clock
        )
        yield harness, fake


def test_verify_prints_the_account_and_its_followers(
    mastodon: tuple[CliHarness, FakeMastodon], monkeypatch: pytest.MonkeyPatch
) -> None:
    cli, fake = mastodon
    monkeypatch.setenv("XS_TEST_MASTODON_TOKEN", fake.token)
    out = cli.ok("channels", "verify", "masto").stdout
    host = fake.server.url.removeprefix("http://")
    assert f"masto (mastodon): OK, posting as @xen@{host}" in out
    assert "Followers: 4,321" in out
    found = cli.json("channels", "verify", "masto")
    assert (found["account"], found["followers"]) == (f"@xen@{host}", 4321)
    assert fake.statuses == []  # verifying posts nothing


def test_verify_with_refused_credentials_exits_1(
    mastodon: tuple[CliHarness, FakeMastodon], monkeypatch: pytest.MonkeyPatch
) -> None:
    cli, fake = mastodon
    monkeypatch.setenv("XS_TEST_MASTODON_TOKEN", fake.token)
    fake.revoke()
    result = cli.run("channels", "verify", "masto")
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("error: channel 'masto': credentials refused: ")
    assert len(result.stderr.strip().splitlines()) == 1


def test_verify_when_the_network_fails_exits_1(
    mastodon: tuple[CliHarness, FakeMastodon], monkeypatch: pytest.MonkeyPatch
) -> None:
    cli, fake = mastodon
    monkeypatch.setenv("XS_TEST_MASTODON_TOKEN", fake.token)
    fake.server.fault("GET", FakeMastodon.ME, Fault.respond(503, {"error": "down"}), times=5)
    result = cli.run("channels", "verify", "masto")
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("error: channel 'masto': cannot verify now: ")


def test_verify_names_a_missing_secret_never_a_value(
    cli: CliHarness,
    mastodon: tuple[CliHarness, FakeMastodon],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("XS_TEST_X_CONSUMER_KEY", "s3cr3t-value")
    for name in ("CONSUMER_SECRET", "ACCESS_TOKEN", "ACCESS_TOKEN_SECRET"):
        monkeypatch.delenv(f"XS_TEST_X_{name}", raising=False)
    result = cli.run("channels", "verify", "x-news")
    assert result.exit_code == 2, result.output
    assert "environment variable XS_TEST_X_CONSUMER_SECRET is not set" in result.stderr
    assert "s3cr3t" not in result.output
    # A secret the configuration does not give at all: the adapter names it.
    masto, _ = mastodon
    result = masto.run("channels", "verify", "masto-no-secret")
    assert result.exit_code == 2, result.output
    assert "secret 'access_token' is missing" in result.stderr


def test_verify_the_outbox_and_unknown_channels(cli: CliHarness) -> None:
    out = cli.ok("channels", "verify", "demo").stdout
    assert "demo (outbox): OK, posting as " in out and "Followers: unknown" in out
    assert "no channel named 'nope'" in cli.refused("channels", "verify", "nope").stderr


def test_every_network_command_has_help(cli: CliHarness) -> None:
    for args in (["preview"], ["channels", "verify"], ["adapters"]):
        out = cli.ok(*args, "--help").stdout
        assert "--json" in out and len(out.splitlines()) > 3
