"""The web console's accounts and failed sign-ins, stored (`accounts_schema`) and audited.

Every change to an account (added, removed, its role or password changed) is written with its
audit entry in one transaction, under the name of whoever made it, as the queue's changes are.
What a role allows, how passwords are hashed and when sign-in is throttled are the service's
decisions (`xensocial.accounts`); this module stores names, roles, hashes and failure times.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from .accounts_schema import Account, LoginFailure
from .audit import Action, record
from .db import make_sessionmaker
from .errors import AccountExists, AccountNotFound
from .timeutil import Clock, system_clock

__all__ = ["AccountStore", "AccountView", "FailureCounts"]


@dataclass(frozen=True)
class AccountView:
    """An account as read (the hash is there for checking a password, never for showing)."""

    name: str
    role: str
    password_hash: str
    created_at: datetime
    created_by: str


@dataclass(frozen=True)
class FailureCounts:
    """Failed sign-ins within the window: for the account name tried, and from the address."""

    account: int
    address: int


def _view(row: Account) -> AccountView:
    return AccountView(row.name, row.role, row.password_hash, row.created_at, row.created_by)


class AccountStore:
    """Accounts and failed sign-ins, on an engine or a session factory (the CLI's one
    transaction, `xensocial.cli.transaction`)."""

    def __init__(self, db: Engine | sessionmaker[Session], clock: Clock = system_clock) -> None:
        self._sessions = make_sessionmaker(db) if isinstance(db, Engine) else db
        self._clock = clock

    def get(self, name: str) -> AccountView | None:
        with self._sessions() as s:
            row = s.scalar(select(Account).where(Account.name == name))
            return _view(row) if row is not None else None

    def list(self) -> list[AccountView]:
        with self._sessions() as s:
            return [_view(r) for r in s.scalars(select(Account).order_by(Account.name))]

    def count(self) -> int:
        with self._sessions() as s:
            return int(s.scalar(select(func.count()).select_from(Account)) or 0)

    def add(self, name: str, role: str, password_hash: str, *, by: str) -> AccountView:
        """Add an account; AccountExists when the name is taken."""
        now = self._clock()
        with self._sessions.begin() as s:
            if s.scalar(select(Account.id).where(Account.name == name)) is not None:
                raise AccountExists(name)
            row = Account(
                name=name,
                role=role,
                password_hash=password_hash,
                created_at=now,
                created_by=by,
                updated_at=now,
            )
            s.add(row)
            record(s, Action.ACCOUNT_ADD, actor=by, at=now, detail=f"{name} as {role}")
            return _view(row)

    def remove(self, name: str, *, by: str) -> None:
        """Remove an account; AccountNotFound when there is none of that name."""
        now = self._clock()
        with self._sessions.begin() as s:
            row = self._row(s, name)
            s.delete(row)
            record(s, Action.ACCOUNT_REMOVE, actor=by, at=now, detail=f"{name} ({row.role})")

    def set_role(self, name: str, role: str, *, by: str) -> bool:
        """Give `name` the role `role`; False (and nothing written) when it already has it."""
        now = self._clock()
        with self._sessions.begin() as s:
            row = self._row(s, name)
            if row.role == role:
                return False
            record(s, Action.ACCOUNT_ROLE, actor=by, at=now, detail=f"{name}: {row.role} -> {role}")
            row.role, row.updated_at = role, now
            return True

    def set_password(self, name: str, password_hash: str, *, by: str) -> None:
        now = self._clock()
        with self._sessions.begin() as s:
            row = self._row(s, name)
            row.password_hash, row.updated_at = password_hash, now
            record(s, Action.ACCOUNT_PASSWORD, actor=by, at=now, detail=name)

    @staticmethod
    def _row(s: Session, name: str) -> Account:
        row = s.scalar(select(Account).where(Account.name == name))
        if row is None:
            raise AccountNotFound(name)
        return row

    # -- failed sign-ins ---------------------------------------------------------------------

    def failures(self, account: str, address: str, window: timedelta) -> FailureCounts:
        """How many sign-ins failed for `account`, and from `address`, within `window`."""
        since = self._clock() - window
        with self._sessions() as s:
            recent = LoginFailure.at > since
            by_account = s.scalar(
                select(func.count()).where(LoginFailure.account == account, recent)
            )
            by_address = s.scalar(
                select(func.count()).where(LoginFailure.address == address, recent)
            )
            return FailureCounts(int(by_account or 0), int(by_address or 0))

    def record_failure(self, account: str, address: str, window: timedelta) -> None:
        """Record one failed sign-in, and forget those older than `window` (they no longer
        count, and the table must not grow with every guess ever made)."""
        now = self._clock()
        with self._sessions.begin() as s:
            s.execute(delete(LoginFailure).where(LoginFailure.at <= now - window))
            s.add(LoginFailure(account=account[:100], address=address[:100], at=now))

    def clear_failures(self, account: str) -> None:
        """Forget the failures of `account` (after it signed in: its owner knows the password).
        Those of the address stay: one address guessing many accounts is still throttled."""
        with self._sessions.begin() as s:
            s.execute(delete(LoginFailure).where(or_(LoginFailure.account == account)))
