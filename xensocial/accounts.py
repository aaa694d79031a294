"""Console accounts: roles and what each allows, password hashing, and signing in (throttled).

One place for these decisions, called by `xensocial users ...` (the CLI) and by the web console:

- **roles**, each allowing what the one before allows and more: `viewer` reads; `editor` adds
  items and edits or cancels its own; `approver` approves, edits and cancels any item, pauses
  and resumes; `admin` also manages accounts (`allows`);
- **passwords** are hashed with Argon2id (argon2-cffi's defaults, memory-hard), never stored;
  a generated one has 20 random characters from an unambiguous alphabet;
- **signing in** (`sign_in`) is refused while the account name tried, or the address it comes
  from, has `login_attempts` failures within `login_window`: counted in the database, with the
  caller's clock, so every console process agrees and tests move time instead of sleeping.
  A refusal never says whether the name exists.
"""

from __future__ import annotations

import enum
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from content_queue.errors import InvalidItem
from content_queue.limits import MAX_ACTOR
from content_queue.plaintext import inert

if TYPE_CHECKING:
    from content_queue.accounts import AccountStore, AccountView

__all__ = [
    "ROLES",
    "Permission",
    "SignIn",
    "allows",
    "check_name",
    "check_password",
    "check_role",
    "generate_password",
    "hash_password",
    "sign_in",
    "verify_password",
]

ROLES = ("viewer", "editor", "approver", "admin")
MIN_PASSWORD = 12
_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_hasher = PasswordHasher()
# Checked against when the name tried has no account, so that a wrong name takes as long as a
# wrong password and the time of an answer does not tell which names exist.
_DUMMY_HASH = _hasher.hash("not a password anyone has")


class Permission(enum.StrEnum):
    """What a person may do in the console; `allows` says which roles may."""

    READ = "read"
    ADD = "add"  # add items; edit and cancel one's own
    REVIEW = "review"  # approve, edit and cancel anyone's items; pause and resume channels
    ADMIN = "admin"  # accounts


_LEAST_ROLE = {
    Permission.READ: "viewer",
    Permission.ADD: "editor",
    Permission.REVIEW: "approver",
    Permission.ADMIN: "admin",
}


def allows(role: str, permission: Permission) -> bool:
    """Whether `role` may do what `permission` names (an unknown role may do nothing)."""
    if role not in ROLES:
        return False
    return ROLES.index(role) >= ROLES.index(_LEAST_ROLE[permission])


def check_role(value: str) -> str:
    """`value` as a role; InvalidItem naming the roles otherwise."""
    role = value.strip().lower()
    if role not in ROLES:
        raise InvalidItem("role", f"{value!r} is not a role; the roles are {', '.join(ROLES)}")
    return role


def check_name(value: str) -> str:
    """An account name: printable, no spaces, at most MAX_ACTOR characters (it is what the audit
    log records as who acted)."""
    name = inert(value, "name").strip()
    if not name or len(name) > MAX_ACTOR or not name.isprintable() or " " in name:
        raise InvalidItem(
            "name", f"expected 1 to {MAX_ACTOR} printable characters without spaces, such as alice"
        )
    return name


def check_password(password: str) -> str:
    """InvalidItem unless `password` is long enough to be worth hashing."""
    if len(password) < MIN_PASSWORD:
        raise InvalidItem("password", f"must be at least {MIN_PASSWORD} characters long")
    return password


def generate_password() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(20))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class SignIn:
    """What a sign-in came to: the account, or why not (`throttled`: too many failures)."""

    account: AccountView | None
    throttled: bool = False

    @property
    def message(self) -> str:
        if self.throttled:
            return "Too many failed sign-ins; wait a few minutes and try again."
        return "" if self.account is not None else "Wrong name or password."


def sign_in(
    store: AccountStore,
    name: str,
    password: str,
    address: str,
    *,
    attempts: int,
    window: timedelta,
) -> SignIn:
    """Check `name` and `password`, unless sign-in is throttled for the name or the address
    (then the password is not even checked: a guesser learns nothing from a right one)."""
    counts = store.failures(name, address, window)
    if counts.account >= attempts or counts.address >= attempts:
        store.record_failure(name, address, window)
        return SignIn(None, throttled=True)
    account = store.get(name)
    if account is None:
        verify_password(_DUMMY_HASH, password)
    elif verify_password(account.password_hash, password):
        store.clear_failures(name)
        return SignIn(account)
    store.record_failure(name, address, window)
    return SignIn(None)
