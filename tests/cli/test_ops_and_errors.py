"""`db`, `adapters`, `health`, `run`; the global options; errors as exit codes; help text."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

import xensocial
from tests.cli.conftest import CliHarness, write_config
from tests.conftest import FakeClock
from xensocial.cli import cli as root


def _fresh(tmp_path: Path, clock: FakeClock, *, auto_migrate: bool = True) -> CliHarness:
    return CliHarness(
        write_config(tmp_path, auto_migrate=auto_migrate), tmp_path / "data" / "queue.db", clock
    )


def test_db_upgrade_and_status(tmp_path: Path, clock: FakeClock) -> None:
    h = _fresh(tmp_path, clock)
    status = h.json("db", "status")
    assert status["revision"] is None and status["up_to_date"] is False and status["head"]
    assert "run `xensocial db upgrade`" in h.ok("db", "status").stdout
    head = status["head"]
    assert (
        h.ok("db", "upgrade").stdout
        == f"Upgraded the database from revision none (empty) to {head}.\n"
    )
    assert h.ok("db", "upgrade").stdout == f"The database is already at revision {head}.\n"
    h.ok("queue", "add", "https://example.org/a", "--title", "A")
    status = h.json("db", "status")
    assert status["up_to_date"] is True and status["items"] == {"approved": 1}
    assert status["database"] == f"sqlite:///{h.db}"
    assert f"Revision: {head} (up to date)" in h.ok("db", "status").stdout


def test_auto_migrate_upgrades_on_first_use(tmp_path: Path, clock: FakeClock) -> None:
    h = _fresh(tmp_path, clock)
    result = h.ok("queue", "list")
    assert "Upgraded the database from revision none (empty)" in result.stderr
    assert "auto_migrate is on" in result.stderr
    assert result.stdout == "No items.\n"
    assert h.ok("queue", "list").stderr == ""  # only once


def test_without_auto_migrate_commands_ask_for_db_upgrade(tmp_path: Path, clock: FakeClock) -> None:
    h = _fresh(tmp_path, clock, auto_migrate=False)
    result = h.run("queue", "add", "https://example.org/a")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: the database is at revision none (empty)")
    assert "run `xensocial db upgrade` first" in result.stderr
    h.ok("db", "upgrade")
    h.ok("queue", "add", "https://example.org/a")


def test_adapters(cli: CliHarness) -> None:
    found = {a["name"]: a for a in cli.json("adapters")}
    assert found["outbox"] == {
        "name": "outbox",
        "target": "xensocial.adapters.outbox:OutboxAdapter",
        "distribution": "xensocial",
        "version": xensocial.__version__,
        "loads": True,
        "error": None,
    }
    table = cli.ok("adapters").stdout.splitlines()
    assert table[0].split() == ["NAME", "TARGET", "FROM", "LOADS"]


def test_run_returns_the_daemons_exit_code(tmp_path: Path, clock: FakeClock) -> None:
    # A dry run never migrates: on an empty database the daemon refuses to start (exit 1).
    h = _fresh(tmp_path, clock)
    result = h.run("run", "--dry-run")
    assert result.exit_code == 1
    assert "db upgrade" in result.stderr
    assert not h.db.exists() or "alembic_version" not in h.dump()


def test_bad_configuration_is_one_line_exit_2(tmp_path: Path, clock: FakeClock) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('timezone = "Mars/Olympus"\n')
    result = CliHarness(config, tmp_path / "x.db", clock).run("queue", "list")
    assert result.exit_code == 2
    assert (
        result.stderr
        == f"error: {config}: timezone: 'Mars/Olympus' is not a known time zone; expected e.g. 'UTC' or 'Europe/Amsterdam'\n"
    )
    missing = CliHarness(tmp_path / "none.toml", tmp_path / "x.db", clock).run("queue", "list")
    assert (
        missing.exit_code == 2
        and missing.stderr == f"error: {tmp_path / 'none.toml'}: no such file\n"
    )


def test_runtime_failure_is_one_line_exit_1_and_debug_shows_the_traceback(
    tmp_path: Path, clock: FakeClock
) -> None:
    config = tmp_path / "pg.toml"
    config.write_text(
        'database_url = "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2"\n'
        f'data_dir = "{tmp_path}"\n'
        '[[channels]]\nname = "demo"\nnetwork = "outbox"\nslots = ["09:30"]\n'
    )
    h = CliHarness(config, tmp_path / "x.db", clock)
    result = h.run("queue", "list")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: the database failed: ")
    assert len(result.stderr.strip().splitlines()) == 1
    debug = h.run("--debug", "queue", "list")
    assert debug.exit_code == 1 and "Traceback (most recent call last)" in debug.stderr


def test_usage_errors_exit_2(cli: CliHarness) -> None:
    for args in (["nope"], ["queue"], ["queue", "add"], ["channels", "pause", "--bogus"]):
        result = cli.run(*args)
        assert result.exit_code == 2, args
    assert cli.run("nope").stderr.startswith("error: No such command 'nope'")


def test_version_and_help(cli: CliHarness) -> None:
    assert cli.ok("--version").stdout.strip() == "xensocial, version 0.1.0"
    assert "Add URL to the queue" in cli.ok("queue", "add", "--help").stdout


def _walk(command: click.Command, path: str) -> list[tuple[str, click.Command]]:
    found = [(path, command)]
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            found += _walk(sub, f"{path} {name}")
    return found


def test_every_command_and_group_has_help() -> None:
    commands = _walk(root, "xensocial")
    assert len(commands) >= 20
    for path, command in commands:
        assert command.help and command.help.strip(), f"{path} has no help text"
        for param in command.params:
            if isinstance(param, click.Option) and param.name not in {"help", "version"}:
                assert param.help, f"{path} {param.opts} has no help text"


def test_config_from_the_environment(
    tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from tests.cli.conftest import _Entry
    from xensocial.cli import App

    config = write_config(tmp_path)
    monkeypatch.setenv("XENSOCIAL_CONFIG", str(config))
    result = CliRunner().invoke(_Entry(App(clock=clock)), ["queue", "add", "https://example.org/e"])  # type: ignore[arg-type]
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "data" / "queue.db").exists()
