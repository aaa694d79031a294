"""The Bluesky session, kept between processes: sign in once, refresh it, sign in again only
when the refresh is refused.

Why: `com.atproto.server.createSession` is limited per account (on bsky.social 30 per 5 minutes
and 300 a day), so signing in at every daemon start, `channels verify` and `metrics poll`, or a
daemon in a restart loop, can lock the account out for a day. The session (`accessJwt`,
`refreshJwt`, the account's DID and handle, and the PDS that issued it) is therefore kept in the
channel's state file, `<data_dir>/credentials/bluesky-<channel>.json` (`_state`: mode 0600 in a
0700 folder, replaced atomically), and:

- a process uses the session it holds, else the stored one, else creates one;
- an access token that is about to expire (its `exp` within 5 minutes, by the adapter's clock)
  or that the PDS refuses (`ExpiredToken`, `InvalidToken`, 401) is renewed with
  `refreshSession`; only when the refresh token is refused too (expired after 90 days,
  revoked with its app password) is a new session created;
- renewing happens under the file's lock and starts by reading the file again: when another
  process renewed meanwhile, its session is taken, so a refresh token (single use) is never
  spent twice and two processes never both sign in.

A stored session is used only for the handle and `api_base_url` it was made for: change either
and the next call signs in afresh. Tokens are secrets: nothing here logs, prints or puts them in
an error message; a file that cannot be read counts as no session (signing in again is always
correct, only slower). The SDK's own refresh (ahead of `exp`, by the wall clock, outside any
lock) is switched off in the client `client_class` builds, so every renewal goes through here.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from content_queue.timeutil import Clock

from ._bsky_errors import as_adapter_error, is_auth, sdk_errors, status
from ._state import StateFile
from .base import AdapterError, AuthError, Rejected, TransientError

__all__ = ["EARLY", "Session", "SessionKeeper", "client_class"]

EARLY = timedelta(minutes=5)  # renew an access token this long before it expires


@functools.cache
def client_class() -> Any:
    """The SDK's Client, without its own session refresh (see the module docstring)."""
    from atproto_client import Client  # type: ignore[import-untyped]  # no py.typed

    class _Client(Client):  # type: ignore[misc]  # the SDK's classes are untyped
        def _should_refresh_session(self) -> bool:
            return False

    return _Client


@dataclass(frozen=True)
class Session:
    """One session as the PDS issued it. `repr` leaves the tokens out."""

    did: str
    handle: str
    access_jwt: str
    refresh_jwt: str
    pds: str

    def __repr__(self) -> str:
        return f"Session(did={self.did!r}, handle={self.handle!r}, pds={self.pds!r})"

    @functools.cached_property
    def expires_at(self) -> datetime | None:
        """When the access token expires (its `exp`, read without checking the signature: only
        the PDS can check it, and it says so when it refuses the token); None if unreadable."""
        from atproto_server.auth.jwt import get_jwt_payload  # type: ignore[import-untyped]

        try:
            exp = get_jwt_payload(self.access_jwt).exp
        except Exception:  # noqa: BLE001 - any malformed token: let the PDS judge it
            return None
        return datetime.fromtimestamp(exp, UTC) if isinstance(exp, int) else None


class SessionKeeper:
    """The session of one channel: held in memory, kept in its state file, renewed once due.

    `ensure(client)` and `renew(client, refused)` leave `client` (built by `client_class`)
    holding a usable session and return it; they raise only adapter errors: AuthError when the
    app password itself is refused, TransientError or RateLimited when the PDS cannot answer."""

    def __init__(
        self, state: StateFile, *, identifier: str, password: str, service: str, clock: Clock
    ) -> None:
        self._state = state
        self._identifier, self._password, self._service = identifier, password, service
        self._clock = clock
        self._held: Session | None = None
        self._in_client: Session | None = None
        self._lock = threading.Lock()  # one renewal at a time in this process too

    @property
    def held(self) -> Session | None:
        return self._held

    def ensure(self, client: Any) -> Session:
        """A session that is not about to expire: the one held, else the stored one, else a
        renewed one."""
        with self._lock:
            held = self._held
            if held is not None and not self._expiring(held):
                return self._use(client, held)
            with self._locked():
                stored = self._load()
                if stored is not None and not self._expiring(stored):
                    return self._use(client, stored)
                return self._renew(client, stored or held)

    def renew(self, client: Any, refused: str) -> Session:
        """A new session after the PDS refused the access token `refused`."""
        with self._lock, self._locked():
            stored = self._load()
            if stored is not None and stored.access_jwt != refused and not self._expiring(stored):
                return self._use(client, stored)  # another process renewed it meanwhile
            return self._renew(client, stored or self._held)

    # -- steps -----------------------------------------------------------------------------

    def _expiring(self, session: Session) -> bool:
        expires = session.expires_at
        return expires is not None and self._clock() >= expires - EARLY

    def _use(self, client: Any, session: Session) -> Session:
        if self._in_client is not session:
            from atproto_client.client.session import (  # type: ignore[import-untyped]
                Session as SdkSession,
            )

            sdk = SdkSession(
                session.handle, session.did, session.access_jwt, session.refresh_jwt, session.pds
            )
            client.login(session_string=sdk.encode(), fetch_bsky_profile=False)  # no request
            self._in_client = session
        self._held = session
        return session

    def _renew(self, client: Any, session: Session | None) -> Session:
        """refreshSession with `session`'s refresh token; createSession when that is refused
        (or there is no session at all)."""
        if session is not None:
            self._use(client, session)
            try:
                client._refresh_and_set_session()  # noqa: SLF001 - the SDK has no public refresh
            except sdk_errors() as exc:
                if not is_auth(exc):
                    raise as_adapter_error(exc, "refreshing the Bluesky session", False) from exc
            else:
                return self._keep(client)
        self._forget()
        try:
            client.login(self._identifier, self._password, fetch_bsky_profile=False)
        except sdk_errors() as exc:
            raise self._sign_in_error(exc) from exc
        return self._keep(client)

    def _sign_in_error(self, exc: BaseException) -> AdapterError:
        if status(exc) == 404:
            return AuthError(
                f"signing in to Bluesky: {self._service} answers 404: "
                "is api_base_url a PDS or entryway?"
            )
        error = as_adapter_error(exc, f"signing in to Bluesky as {self._identifier}", False)
        return AuthError(str(error)) if isinstance(error, Rejected) else error

    def _keep(self, client: Any) -> Session:
        """Hold the client's new session and store it for the next process."""
        sdk = client._session  # noqa: SLF001 - where the SDK keeps the session it was given
        session = Session(
            did=str(sdk.did),
            handle=str(sdk.handle),
            access_jwt=str(sdk.access_jwt),
            refresh_jwt=str(sdk.refresh_jwt),
            pds=str(sdk.pds_endpoint or self._service),
        )
        self._in_client = self._held = session
        try:
            self._state.save(
                {
                    "identifier": self._identifier,
                    "service": self._service,
                    "did": session.did,
                    "handle": session.handle,
                    "accessJwt": session.access_jwt,
                    "refreshJwt": session.refresh_jwt,
                    "pds": session.pds,
                }
            )
        except OSError as exc:
            raise TransientError(
                f"keeping the Bluesky session in {self._state.path}: {exc.strerror or exc}"
            ) from None
        return session

    def _forget(self) -> None:
        self._held = self._in_client = None
        # A file that cannot be removed reads as no session anyway once refused, and is
        # replaced on saving.
        with suppress(OSError):
            self._state.clear()

    def _load(self) -> Session | None:
        value = self._state.load()
        if value is None:
            return None
        if (value.get("identifier"), value.get("service")) != (self._identifier, self._service):
            return None  # made for another account or PDS: the configuration changed
        fields = [value.get(k) for k in ("did", "handle", "accessJwt", "refreshJwt", "pds")]
        if not all(isinstance(f, str) and f for f in fields):
            return None
        did, handle, access, refresh, pds = (str(f) for f in fields)
        held = self._held
        if held is not None and held.access_jwt == access:
            return held  # the same session: keep the object (and its place in the client)
        return Session(did, handle, access, refresh, pds)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """The state file's lock; a data directory that cannot hold it is a TransientError."""
        with ExitStack() as stack:
            try:
                stack.enter_context(self._state.locked())
            except OSError as exc:
                raise TransientError(
                    f"locking the Bluesky session in {self._state.path}: {exc.strerror or exc}"
                ) from None
            yield
