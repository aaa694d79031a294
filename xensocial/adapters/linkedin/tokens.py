"""LinkedIn access tokens: renewed before they end where the app has a refresh token, warned
about where it has none.

LinkedIn member access tokens live 60 days. Apps approved for programmatic refresh tokens are
also given a refresh token (365 days from the member's authorization; renewing does not extend
it), which mints new access tokens: `POST https://www.linkedin.com/oauth/v2/accessToken`, form
`grant_type=refresh_token`, `refresh_token`, `client_id`, `client_secret` -> `{"access_token",
"expires_in", "refresh_token", "refresh_token_expires_in", "scope"}`; a refresh token LinkedIn
no longer honours is answered 400 `invalid_grant`.

- With the secrets `refresh_token`, `client_id` and `client_secret`, the access token is renewed
  at the first call less than `RENEW_BEFORE` (7 days) from its known end, or at the first call
  at all when its end is unknown (how old a configured token is cannot be told), and once more
  whenever LinkedIn answers 401 (the call was refused before anything was done, so it is simply
  sent again once). The new access token, its end, and a new refresh token when LinkedIn hands
  one out, are kept in the channel's state file (`_state.state_file`: mode 0600, replaced
  atomically, locked across processes so that two never renew at once) and registered for
  redaction; no value is ever logged. What is stored belongs to the configured refresh token:
  configure a new one and the stored tokens are set aside.
- Without a refresh token nothing can renew the token, so `warnings()` says so from `WARN_DAYS`
  (7) days before its known end. The end is LinkedIn's own answer when `channels verify` could
  ask it (token introspection, `POST /oauth/v2/introspectToken`, form `client_id`,
  `client_secret`, `token` -> `{"active", "status", "expires_at", "scope", ...}` with
  `expires_at` in epoch seconds; it needs the app's `client_id` and `client_secret`), kept in
  the state file and tied to the token it is about; else the option `token_expires_at`.

`warnings()` reads only the configuration and the state file: no network I/O.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import structlog

from content_queue.timeutil import Clock

from ...redaction import add_secrets
from .._options import parse_base_url
from .._state import StateFile
from ..base import AdapterError, AuthError, ChannelBlocked, RateLimited, TransientError

__all__ = [
    "OAUTH_URL",
    "RENEW_BEFORE",
    "WARN_DAYS",
    "TokenSettings",
    "Tokens",
    "parse_expires_at",
    "token_settings",
]

log = structlog.get_logger("xensocial.adapters.linkedin")

OAUTH_URL = "https://www.linkedin.com"
RENEW_BEFORE = timedelta(days=7)
WARN_DAYS = 7
_TOKEN_LIFE = timedelta(days=60)  # LinkedIn's documented lifetime, when an answer omits it
_RETRY_RENEWAL = timedelta(hours=1)  # after a failed early renewal, while the token still works
_ACCESS_TOKEN = "/oauth/v2/accessToken"
_INTROSPECT = "/oauth/v2/introspectToken"
_REAUTHORIZE = (
    "authorize the app again and set the new tokens in [channels.secrets] refresh_token and "
    "access_token"
)


@dataclass(frozen=True)
class TokenSettings:
    """The channel's tokens as configured. `renewable`: a refresh token (with the app's id and
    secret) is configured."""

    access_token: str
    refresh_token: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    expires_at: datetime | None = None  # [channels.options] token_expires_at
    oauth_base_url: str = OAUTH_URL

    @property
    def renewable(self) -> bool:
        return bool(self.refresh_token and self.client_id and self.client_secret)

    @property
    def can_introspect(self) -> bool:
        return bool(self.client_id and self.client_secret)


def parse_expires_at(value: object) -> datetime | None:
    """`token_expires_at` as an aware UTC datetime: an ISO date-time string (or a TOML
    date-time or date); a time without a zone is UTC. ValueError naming the option otherwise."""
    if value is None:
        return None
    at: datetime | None = None
    if isinstance(value, datetime):
        at = value
    elif isinstance(value, date):
        at = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        try:
            at = datetime.fromisoformat(value.strip())
        except ValueError:
            at = None
    if at is None:
        raise ValueError(
            "token_expires_at: expected an ISO date-time such as '2027-01-31T12:00:00Z', "
            f"got {value!r}"
        )
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def token_settings(
    name: str, options: Mapping[str, Any], secrets: Mapping[str, str]
) -> TokenSettings:
    """The channel's token settings. AuthError when a needed secret is missing (`access_token`;
    `client_id` and `client_secret` when `refresh_token` is set); ValueError for a bad option."""
    token = secrets.get("access_token")
    if not token:
        raise AuthError(f"channel {name!r}: secret 'access_token' is missing")
    refresh = secrets.get("refresh_token") or None
    client_id = secrets.get("client_id") or None
    client_secret = secrets.get("client_secret") or None
    if refresh:
        missing = [
            k for k, v in (("client_id", client_id), ("client_secret", client_secret)) if not v
        ]
        if missing:
            raise AuthError(
                f"channel {name!r}: secret {missing[0]!r} is missing (refresh_token needs "
                "client_id and client_secret, the app's credentials)"
            )
    return TokenSettings(
        access_token=token,
        refresh_token=refresh,
        client_id=client_id,
        client_secret=client_secret,
        expires_at=parse_expires_at(options.get("token_expires_at")),
        oauth_base_url=parse_base_url(options.get("oauth_base_url"), "oauth_base_url") or OAUTH_URL,
    )


class Tokens:
    """The access token to send, renewed when due; what is known of its end, for `warnings`."""

    def __init__(
        self,
        settings: TokenSettings,
        *,
        store: StateFile,
        clock: Clock,
        channel: str,
        timeout: float,
    ) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock
        self.channel = channel
        self.timeout = timeout
        # One renewal at a time in this process; the state file's lock does it across processes.
        self._lock = threading.Lock()
        self._retry_at: datetime | None = None
        self._registered: set[str] = set()
        self._notes: list[str] = []  # what `introspect` could not learn, for `warnings`

    # -- what is known, without network I/O ------------------------------------------------

    def _state(self) -> dict[str, Any]:
        return self.store.load() or {}

    def _renewed(self, state: Mapping[str, Any]) -> Mapping[str, Any] | None:
        """The stored renewal, if it belongs to the configured refresh token."""
        record = state.get("renewed")
        if not self.settings.renewable or not isinstance(record, Mapping):
            return None
        assert self.settings.refresh_token is not None
        if record.get("source") != _fingerprint(self.settings.refresh_token):
            return None  # renewed from a refresh token no longer configured
        token = record.get("access_token")
        return record if isinstance(token, str) and token else None

    def _access(self, state: Mapping[str, Any]) -> tuple[str, datetime | None]:
        """The access token in force, and its end when known."""
        renewed = self._renewed(state)
        if renewed is not None:
            token = str(renewed["access_token"])
            self._register(token, renewed.get("refresh_token"))
            return token, _time(renewed.get("expires_at"))
        token = self.settings.access_token
        seen = state.get("introspected")
        if isinstance(seen, Mapping) and seen.get("token") == _fingerprint(token):
            learned = _time(seen.get("expires_at"))
            if learned is not None:
                return token, learned
        return token, self.settings.expires_at

    def _register(self, *values: object) -> None:
        new = [v for v in values if isinstance(v, str) and v and v not in self._registered]
        if new:
            add_secrets(new)  # before anything could log them
            self._registered.update(new)

    def warnings(self) -> list[str]:
        """A line when the token in force (or, where tokens are renewed, the refresh token)
        ends within `WARN_DAYS` days or has ended; what `introspect` could not learn."""
        out = list(self._notes)
        now, state = self.clock(), self._state()
        soon = timedelta(days=WARN_DAYS)
        who = f"channel {self.channel!r}: linkedin"
        if self.settings.renewable:
            renewed = self._renewed(state)
            ends = _time(renewed.get("refresh_token_expires_at")) if renewed else None
            if ends is not None and ends - now <= soon:
                out.append(f"{who} refresh_token {_when(ends, now)}; {_REAUTHORIZE}")
            return out
        _, ends = self._access(state)
        if ends is not None and ends - now <= soon:
            out.append(
                f"{who} access_token {_when(ends, now)}, and without a refresh token it cannot "
                "be renewed; authorize the app again and set the new token in "
                "[channels.secrets] access_token (and its end in [channels.options] "
                "token_expires_at)"
            )
        return out

    # -- the token to send -----------------------------------------------------------------

    def current(self) -> str:
        """The access token to send, renewed first when due (then this does network I/O).

        An early renewal that fails while the token still works is logged and tried again an
        hour later; the call goes ahead with the token it has."""
        if not self.settings.renewable:
            return self.settings.access_token  # nothing can replace it: no file to read
        with self._lock:
            token, ends = self._access(self._state())
            now = self.clock()
            if not _due(ends, now):
                return token
            if self._retry_at is not None and now < self._retry_at:
                return token
            try:
                return self._renew(refused=None)
            except AdapterError as exc:
                if ends is not None and ends <= now:
                    raise
                self._retry_at = now + _RETRY_RENEWAL
                log.warning(
                    "linkedin_token_renewal_failed",
                    channel=self.channel,
                    error=str(exc),
                    expires_at=ends.isoformat() if ends else None,
                )
                return token

    def renew_refused(self, refused: str) -> str | None:
        """After LinkedIn refused `refused` (401): a new token to send instead, or None when
        there is no refresh token. Raises AuthError when LinkedIn refuses the renewal too."""
        if not self.settings.renewable:
            return None
        with self._lock:
            return self._renew(refused=refused)

    def _renew(self, *, refused: str | None) -> str:
        settings = self.settings
        assert settings.refresh_token is not None
        with self.store.locked():
            state = self._state()  # read again under the lock: another process may have renewed
            token, ends = self._access(state)
            now = self.clock()
            if refused is None and not _due(ends, now):
                return token
            if refused is not None and token != refused:
                return token
            renewed = self._renewed(state) or {}
            answer = self._post(
                _ACCESS_TOKEN,
                "renewing the LinkedIn access token",
                {
                    "grant_type": "refresh_token",
                    "refresh_token": str(renewed.get("refresh_token") or settings.refresh_token),
                    "client_id": str(settings.client_id),
                    "client_secret": str(settings.client_secret),
                },
                fix=_REAUTHORIZE + " (and check client_id and client_secret)",
            )
            new = answer.get("access_token")
            if not isinstance(new, str) or not new:
                raise TransientError("renewing the LinkedIn access token: no access_token")
            rotated = answer.get("refresh_token")
            if not isinstance(rotated, str) or rotated == settings.refresh_token:
                rotated = None  # the configured one stands: no copy of it is stored
            self._register(new, rotated)
            lives = _seconds(answer.get("expires_in")) or _TOKEN_LIFE
            refresh_lives = _seconds(answer.get("refresh_token_expires_in"))
            state["renewed"] = {
                "source": _fingerprint(settings.refresh_token),
                "access_token": new,
                "expires_at": (now + lives).isoformat(),
                "refresh_token": rotated or renewed.get("refresh_token"),
                "refresh_token_expires_at": (now + refresh_lives).isoformat()
                if refresh_lives
                else renewed.get("refresh_token_expires_at"),
            }
            self.store.save(state)
        self._retry_at = None
        log.info(
            "linkedin_token_renewed", channel=self.channel, expires_at=(now + lives).isoformat()
        )
        return new

    # -- introspection, for `channels verify` ----------------------------------------------

    def introspect(self) -> None:
        """Ask LinkedIn when the access token ends, and keep the answer for `warnings`.

        Only where the token cannot be renewed (else its end does not matter) and the app's
        `client_id` and `client_secret` are configured (the endpoint needs them). Best effort:
        what fails becomes a line of `warnings`, never an error of `verify`."""
        settings = self.settings
        if settings.renewable or not settings.can_introspect:
            return
        token = self.current()
        why = "could not read the access token's end from LinkedIn"
        try:
            answer = self._post(
                _INTROSPECT,
                "reading the access token's end",
                {
                    "client_id": str(settings.client_id),
                    "client_secret": str(settings.client_secret),
                    "token": token,
                },
                fix="check client_id and client_secret",
            )
        except ChannelBlocked as exc:
            self._notes.append(f"channel {self.channel!r}: {why}: {exc}")
            return
        except AdapterError as exc:
            self._notes.append(f"channel {self.channel!r}: {why} now: {exc}")
            return
        ends = _from_epoch(answer.get("expires_at"))
        status = str(answer.get("status") or ("active" if answer.get("active") else ""))
        if status and status != "active":
            self._notes.append(
                f"channel {self.channel!r}: LinkedIn says the access token is {status}"
            )
        if ends is None:
            self._notes.append(f"channel {self.channel!r}: {why}: no expires_at in its answer")
            return
        with self.store.locked():
            state = self._state()
            state["introspected"] = {"token": _fingerprint(token), "expires_at": ends.isoformat()}
            self.store.save(state)

    def _post(
        self, path: str, action: str, form: Mapping[str, str], *, fix: str
    ) -> Mapping[str, Any]:
        """One form POST to LinkedIn's OAuth server; its JSON answer, or our error tree."""
        import httpx

        url = self.settings.oauth_base_url + path
        try:
            with httpx.Client(timeout=self.timeout, follow_redirects=False) as client:
                response = client.post(url, data=dict(form), headers={"Accept": "application/json"})
        except httpx.TransportError as exc:
            raise TransientError(f"{action}: cannot reach LinkedIn ({type(exc).__name__})") from exc
        try:
            raw = response.json()
        except ValueError:
            raw = None
        data: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
        status = response.status_code
        if response.is_success:
            if not data:
                raise TransientError(f"{action}: the answer was not LinkedIn's JSON")
            return data
        code = str(data.get("error") or response.reason_phrase or "")
        detail = str(data.get("error_description") or "")
        text = f"{action}: HTTP {status} {code}".rstrip() + (f": {detail}" if detail else "")
        if status == 429:
            raise RateLimited(f"{text} (rate limited)")
        if status >= 500:
            raise TransientError(text)
        if status == 404:
            raise AuthError(
                f"{text} (is oauth_base_url {self.settings.oauth_base_url} LinkedIn's?)"
            )
        raise AuthError(f"{text} ({fix})")


def _fingerprint(secret: str) -> str:
    """Which configured secret a stored record belongs to, without storing that secret."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()[:24]


def _due(ends: datetime | None, now: datetime) -> bool:
    return ends is None or ends - now <= RENEW_BEFORE


def _when(ends: datetime, now: datetime) -> str:
    shown = ends.strftime("%Y-%m-%d %H:%M UTC")
    if ends <= now:
        return f"expired on {shown}"
    days = (ends - now).days
    left = "less than a day" if days == 0 else f"{days} day{'s' if days != 1 else ''}"
    return f"expires on {shown} (in {left})"


def _time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        return None
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _seconds(value: object) -> timedelta | None:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return timedelta(seconds=value)
    return None


def _from_epoch(value: object) -> datetime | None:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        return None
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        return None
