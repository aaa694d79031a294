"""The web console's tables: who may sign in (`users`), and the sign-ins that failed.

Kept in the database, not in a file, so every console process (several behind one proxy, or
beside the daemon's replicas) sees the same accounts and counts the same failed sign-ins:
throttling a password guesser must not depend on which process answered. The queue knows
nothing of what a role allows; `xensocial.accounts` decides that.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .schema_base import Base

__all__ = ["Account", "LoginFailure"]


class Account(Base):
    """A person who may sign in to the console: a unique name, a role and a password hash
    (Argon2id, made and checked by `xensocial.accounts`; never the password)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(100), default="")
    updated_at: Mapped[datetime]


class LoginFailure(Base):
    """One failed sign-in: which account name was tried, from which address, and when. Rows
    older than the throttling window are deleted as new ones are written."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account: Mapped[str] = mapped_column(String(100))
    address: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(index=True)

    __table_args__ = (
        Index("ix_login_failures_account_at", "account", "at"),
        Index("ix_login_failures_address_at", "address", "at"),
    )
