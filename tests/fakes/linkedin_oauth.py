"""LinkedIn's OAuth server, faked: the access tokens it has issued, refresh and introspection.

The fake REST API (`tests.fakes.linkedin`) asks `check(token)` whether a bearer token is good;
this module answers by its own record, against the test's clock, so a test moves time and
watches a token run out. Routes, with bodies shaped like LinkedIn's documented ones:

- `POST /oauth/v2/accessToken` (form `grant_type=refresh_token`, `refresh_token`, `client_id`,
  `client_secret`) -> `{"access_token", "expires_in", "refresh_token",
  "refresh_token_expires_in", "scope"}`: a new 60-day access token; the refresh token keeps its
  end (LinkedIn does not extend it). A wrong client -> 401 `invalid_client`; an unknown,
  expired or revoked refresh token -> 400 `invalid_grant`. With `rotate = True` a new refresh
  token is handed out each time (the old one stops working).
- `POST /oauth/v2/introspectToken` (form `client_id`, `client_secret`, `token`) -> `{"active",
  "client_id", "authorized_at", "created_at", "status", "expires_at", "scope", "auth_type"}`,
  times in epoch seconds; an unknown token -> `{"active": false}`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from .server import FakeServer, Reply, Request

__all__ = ["ACCESS_TOKEN_LIFE", "FakeLinkedInOAuth"]

ACCESS_TOKEN_LIFE = timedelta(days=60)
REFRESH_TOKEN_LIFE = timedelta(days=365)
SCOPE = "r_organization_social,rw_organization_admin,w_organization_social"


class FakeLinkedInOAuth:
    """The tokens of one app and one member: `access_tokens` and `refresh_tokens`, each to its
    end; `revoked` tokens are refused as revoked."""

    ACCESS_TOKEN = "/oauth/v2/accessToken"
    INTROSPECT = "/oauth/v2/introspectToken"

    def __init__(
        self,
        server: FakeServer,
        *,
        clock: Callable[[], datetime],
        token: str,
        client_id: str = "li-app-id",
        client_secret: str = "li-app-secret",
    ) -> None:
        self.clock, self.client_id, self.client_secret = clock, client_id, client_secret
        now = clock()
        self.access_tokens: dict[str, datetime] = {token: now + ACCESS_TOKEN_LIFE}
        self.created: dict[str, datetime] = {token: now}
        self.refresh_tokens: dict[str, datetime] = {}
        self.revoked: set[str] = set()
        self.rotate = False
        self._numbers = itertools.count(2)
        server.route("POST", self.ACCESS_TOKEN, self._refresh)
        server.route("POST", self.INTROSPECT, self._introspect)

    def issue_refresh_token(
        self, token: str = "li-refresh", *, lives: timedelta | None = None
    ) -> str:
        self.refresh_tokens[token] = self.clock() + (lives or REFRESH_TOKEN_LIFE)
        return token

    def expire(self, token: str, at: datetime) -> None:
        self.access_tokens[token] = at

    def check(self, token: str) -> str | None:
        """None when `token` is good now; else LinkedIn's 401 code for it."""
        if token in self.revoked:
            return "REVOKED_ACCESS_TOKEN"
        ends = self.access_tokens.get(token)
        if ends is None:
            return "INVALID_ACCESS_TOKEN"
        if ends <= self.clock():
            return "EXPIRED_ACCESS_TOKEN"
        return None

    def _client_ok(self, form: dict[str, str]) -> bool:
        return (form.get("client_id"), form.get("client_secret")) == (
            self.client_id,
            self.client_secret,
        )

    def _refresh(self, request: Request) -> Reply:
        form = request.form
        if form.get("grant_type") != "refresh_token":
            return _oauth_error(400, "unsupported_grant_type", "grant_type is not supported")
        if not self._client_ok(form):
            return _oauth_error(401, "invalid_client", "Client authentication failed")
        refresh = form.get("refresh_token", "")
        ends = self.refresh_tokens.get(refresh)
        now = self.clock()
        if ends is None or ends <= now or refresh in self.revoked:
            return _oauth_error(
                400,
                "invalid_grant",
                "The provided authorization grant or refresh token is invalid, expired or revoked",
            )
        token = f"li-token-{next(self._numbers)}"
        self.access_tokens[token] = now + ACCESS_TOKEN_LIFE
        self.created[token] = now
        if self.rotate:
            del self.refresh_tokens[refresh]
            refresh = f"li-refresh-{next(self._numbers)}"
            self.refresh_tokens[refresh] = ends
        return Reply(
            200,
            {
                "access_token": token,
                "expires_in": int(ACCESS_TOKEN_LIFE.total_seconds()),
                "refresh_token": refresh,
                "refresh_token_expires_in": int((ends - now).total_seconds()),
                "scope": SCOPE,
            },
        )

    def _introspect(self, request: Request) -> Reply:
        form = request.form
        if not self._client_ok(form):
            return _oauth_error(401, "invalid_client", "Client authentication failed")
        token = form.get("token", "")
        if token not in self.access_tokens:
            return Reply(200, {"active": False})
        problem = self.check(token)
        status = {"REVOKED_ACCESS_TOKEN": "revoked", "EXPIRED_ACCESS_TOKEN": "expired"}
        created = int(self.created.get(token, self.clock()).timestamp())
        return Reply(
            200,
            {
                "active": problem is None,
                "client_id": self.client_id,
                "authorized_at": created,
                "created_at": created,
                "status": status.get(problem or "", "active"),
                "expires_at": int(self.access_tokens[token].timestamp()),
                "scope": SCOPE,
                "auth_type": "3L",
            },
        )


def _oauth_error(status: int, code: str, description: str) -> Reply:
    body: dict[str, Any] = {"error": code, "error_description": description}
    return Reply(status, body)
