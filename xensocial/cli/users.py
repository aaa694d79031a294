"""`xensocial users ...`: the web console's accounts (docs/web.md).

The first admin account is made here (`users add NAME --role admin`); after that, admins can
manage accounts in the console as well. A password is generated and printed once, or read from
standard input with `--password-stdin` (never from an argument: those show in `ps` and in shell
history). Names, roles, hashing and the audit entry are decided in `xensocial.accounts` and
`content_queue.accounts`, which the console calls too.
"""

from __future__ import annotations

import sys

import click

from ..errors import UsageError
from ..tables import format_table
from .app import App, pass_app
from .output import echo, emit_json, local_time, unchanged

__all__ = ["users"]


def _password(from_stdin: bool) -> tuple[str, bool]:
    """The password, and whether it was generated (then it is printed, once)."""
    from ..accounts import check_password, generate_password

    if not from_stdin:
        return generate_password(), True
    text = sys.stdin.readline().rstrip("\r\n")
    if not text:
        raise UsageError("--password-stdin: standard input gave no password")
    return check_password(text), False


_ROLE_HELP = "viewer (reads), editor (adds items), approver (approves, pauses), admin (accounts)."


@click.group()
def users() -> None:
    """Accounts of the web console (`xensocial web`) and their roles."""


@users.command("add")
@click.argument("name")
@click.option("--role", required=True, help=_ROLE_HELP)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@pass_app
def add(app: App, name: str, role: str, password_stdin: bool) -> None:
    """Add an account; prints a generated password once (unless --password-stdin)."""
    from content_queue.accounts import AccountStore

    from ..accounts import check_name, check_role, hash_password

    name, role = check_name(name), check_role(role)
    password, generated = _password(password_stdin)
    AccountStore(app.sessions, app.clock).add(name, role, hash_password(password), by=app.user)
    echo(f"Added account {name} ({role}).")
    if generated:
        echo(f"Password (shown once): {password}")


@users.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of accounts.")
@pass_app
def list_(app: App, as_json: bool) -> None:
    """List the accounts and their roles."""
    from content_queue.accounts import AccountStore

    accounts = AccountStore(app.sessions, app.clock).list()
    if as_json:
        emit_json([{"name": a.name, "role": a.role, "created_by": a.created_by} for a in accounts])
        return
    if not accounts:
        echo("No accounts. Add one with `xensocial users add NAME --role admin`.")
        return
    zone = app.settings.timezone
    rows = [(a.name, a.role, local_time(a.created_at, zone), a.created_by) for a in accounts]
    echo(format_table(("NAME", "ROLE", "CREATED", "BY"), rows))


@users.command("remove")
@click.argument("name")
@pass_app
def remove(app: App, name: str) -> None:
    """Remove an account (its sessions end at their next request)."""
    from content_queue.accounts import AccountStore

    AccountStore(app.sessions, app.clock).remove(name, by=app.user)
    echo(f"Removed account {name}.")


@users.command("role")
@click.argument("name")
@click.argument("role")
@pass_app
def role(app: App, name: str, role: str) -> None:
    """Give account NAME the role ROLE (viewer, editor, approver, admin)."""
    from content_queue.accounts import AccountStore

    from ..accounts import check_role

    if AccountStore(app.sessions, app.clock).set_role(name, check_role(role), by=app.user):
        echo(f"Account {name} is now {check_role(role)}.")
    else:
        unchanged(f"Account {name}", f"is already {check_role(role)}")


@users.command("password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@pass_app
def password(app: App, name: str, password_stdin: bool) -> None:
    """Set a new password for NAME; prints a generated one once (unless --password-stdin)."""
    from content_queue.accounts import AccountStore

    from ..accounts import hash_password

    new, generated = _password(password_stdin)
    AccountStore(app.sessions, app.clock).set_password(name, hash_password(new), by=app.user)
    echo(f"Set a new password for {name}.")
    if generated:
        echo(f"Password (shown once): {new}")
