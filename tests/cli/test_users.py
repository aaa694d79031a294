"""`xensocial users ...`: the web console's accounts, made and changed from the command line."""

from __future__ import annotations

import re

from click.testing import CliRunner

from content_queue.accounts import AccountStore
from content_queue.db import make_engine
from xensocial.accounts import verify_password
from xensocial.cli import App

from .conftest import CliHarness, _Entry


def _store(cli: CliHarness) -> AccountStore:
    return AccountStore(make_engine(f"sqlite:///{cli.db}"))


def test_add_prints_a_generated_password_once_and_stores_only_its_hash(cli: CliHarness) -> None:
    out = cli.ok("users", "add", "alice", "--role", "editor").stdout
    password = re.search(r"Password \(shown once\): (\S+)", out)
    assert password is not None and len(password.group(1)) == 20
    account = _store(cli).get("alice")
    assert account is not None and account.role == "editor"
    assert password.group(1) not in cli.dump()  # only the Argon2id hash is stored
    assert account.password_hash.startswith("$argon2id$")
    assert verify_password(account.password_hash, password.group(1))
    assert cli.json("users", "list") == [
        {"name": "alice", "role": "editor", "created_by": "tester"}
    ]
    assert "account-add" in cli.ok("log").stdout


def test_password_from_stdin(cli: CliHarness) -> None:
    app = App(config_path=str(cli.config), clock=cli.clock, user="tester")
    result = CliRunner().invoke(
        _Entry(app),  # type: ignore[arg-type]
        ["users", "add", "bob", "--role", "admin", "--password-stdin"],
        input="a long enough password\n",
    )
    assert result.exit_code == 0, result.stderr
    assert "Password" not in result.stdout
    account = _store(cli).get("bob")
    assert account is not None and verify_password(account.password_hash, "a long enough password")


def test_refusals_change_nothing(cli: CliHarness) -> None:
    cli.ok("users", "add", "alice", "--role", "editor")
    assert "'boss' is not a role" in cli.refused("users", "add", "carol", "--role", "boss").stderr
    assert "already exists" in cli.refused("users", "add", "alice", "--role", "viewer").stderr
    assert "without spaces" in cli.refused("users", "add", "a b", "--role", "viewer").stderr
    assert "no account named 'nobody'" in cli.refused("users", "remove", "nobody").stderr
    assert "no account named 'nobody'" in cli.refused("users", "role", "nobody", "admin").stderr


def test_role_change_and_removal(cli: CliHarness) -> None:
    cli.ok("users", "add", "alice", "--role", "editor")
    assert "now approver" in cli.ok("users", "role", "alice", "approver").stdout
    assert "already approver" in cli.ok("users", "role", "alice", "approver").stdout
    assert "Removed account alice" in cli.ok("users", "remove", "alice").stdout
    assert cli.json("users", "list") == []
    log = cli.ok("log").stdout
    assert "account-role" in log and "account-remove" in log
