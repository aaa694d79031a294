"""`xensocial notify test` and `notify list` in process, and a bad `[[notify]]` refused."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from content_queue import Ledger, make_engine
from tests.cli.conftest import CONFIG, CliHarness, write_config
from tests.conftest import FakeClock
from tests.fakes.notify import Smtp, message_id, receivers
from tests.fakes.server import FakeServer, Fault
from xensocial.config import load_settings
from xensocial.notify.job import NotifyJob


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with FakeServer() as fake:
        receivers(fake)
        yield fake


def harness(tmp_path: Path, clock: FakeClock, extra: str) -> CliHarness:
    cli = CliHarness(
        write_config(tmp_path, text=CONFIG + extra), tmp_path / "data" / "queue.db", clock
    )
    cli.ok("db", "upgrade")
    return cli


def hooks(server: FakeServer) -> str:
    return (
        f'\n[[notify]]\nname = "hook"\nkind = "webhook"\nurl = "{server.url}/hook"\n'
        f'\n[[notify]]\nname = "room-hook"\nkind = "webhook"\nurl = "{server.url}/hook"\n'
        'events = ["channel_paused"]\nmin_severity = "critical"\n'
    )


def test_notify_test_sends_to_each_target(
    tmp_path: Path, clock: FakeClock, server: FakeServer
) -> None:
    cli = harness(tmp_path, clock, hooks(server))
    result = cli.ok("notify", "test")
    assert result.stdout.splitlines() == ["hook (webhook): sent", "room-hook (webhook): sent"]
    assert [r.json()["event"] for r in server.requests("POST", "/hook")] == ["test", "test"]
    assert cli.ok("notify", "test", "room-hook").stdout == "room-hook (webhook): sent\n"


def test_notify_test_exits_1_when_a_target_fails(
    tmp_path: Path, clock: FakeClock, server: FakeServer
) -> None:
    cli = harness(tmp_path, clock, hooks(server))
    server.fault("POST", "/hook", Fault.respond(503))
    result = cli.run("notify", "test")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "hook (webhook): FAILED: target 'hook': the webhook target answered HTTP 503",
        "room-hook (webhook): sent",
    ]
    assert "1 of 2 target(s) failed" in result.stderr


def test_notify_test_of_an_unknown_target_is_refused(
    tmp_path: Path, clock: FakeClock, server: FakeServer
) -> None:
    result = harness(tmp_path, clock, hooks(server)).refused("notify", "test", "pager")
    assert result.stderr == (
        f"error: no notification target named 'pager' in {tmp_path / 'xensocial.toml'} "
        "(targets: hook, room-hook)\n"
    )


def test_notify_test_mails_through_smtp(tmp_path: Path, clock: FakeClock) -> None:
    with Smtp() as smtp:
        extra = (
            f'\n[[notify]]\nname = "mail"\nkind = "email"\nhost = "127.0.0.1"\nport = {smtp.port}\n'
            'security = "none"\nfrom = "bot@example.org"\nto = ["comms@example.org"]\n'
        )
        cli = harness(tmp_path, clock, extra)
        assert cli.ok("notify", "test").stdout == "mail (email): sent\n"
        clock.advance(seconds=1)
        cli.ok("notify", "test")  # a second test is a new mail, not a repeat
    first, second = smtp.messages
    assert first["Subject"] == "[xensocial] info: test message to mail"
    assert message_id(first) != message_id(second)


def test_notify_list_shows_targets_events_and_deliveries(
    tmp_path: Path, clock: FakeClock, server: FakeServer
) -> None:
    cli = harness(tmp_path, clock, hooks(server))
    engine = make_engine(f"sqlite:///{cli.db}")
    try:
        ledger = Ledger(engine, clock)
        ledger.claim_slot("demo", clock(), "host-a")
        ledger.pause("demo", "auth failed: token revoked", by="host-a")
        NotifyJob(load_settings(cli.config), engine, clock=clock).run_once()
    finally:
        engine.dispose()
    text = cli.ok("notify", "list").stdout
    assert "hook       webhook  info" in text
    assert "room-hook  webhook  critical      1d      channel_paused" in text
    assert "channel_paused:demo  critical  on" in text
    data = json.loads(cli.ok("notify", "list", "--json").stdout)
    paused = [n for n in data["notifications"] if n["event"] == "channel_paused:demo"]
    assert sorted((n["target"], n["phase"], n["state"]) for n in paused) == [
        ("hook", "start", "sent"),
        ("room-hook", "start", "sent"),
    ]
    # queue_dry is a warning: the critical-only target was not told of it.
    dry = [n["target"] for n in data["notifications"] if n["event"].startswith("queue_dry")]
    assert dry and set(dry) == {"hook"}


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        ('\n[[notify]]\nname = "x"\nkind = "pager"\n', "notify[0].kind: expected one of email"),
        (
            '\n[[notify]]\nname = "x"\nkind = "slack"\n[notify.secrets]\nurl = "https://hooks.slack.com/T/B/C"\n',
            "never written inline",
        ),
        ('\n[alerts]\ncheck_every = "soon"\n', "alerts.check_every"),
    ],
)
def test_a_bad_notify_table_is_one_line_exit_2(
    tmp_path: Path, clock: FakeClock, extra: str, says: str
) -> None:
    cli = CliHarness(
        write_config(tmp_path, text=CONFIG + extra), tmp_path / "data" / "queue.db", clock
    )
    for command in (("notify", "list"), ("notify", "test")):
        result = cli.run(*command)
        assert result.exit_code == 2, result.stdout
        assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
        assert says in result.stderr
        assert "hooks.slack.com" not in result.stderr
