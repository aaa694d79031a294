"""LinkedIn's versioned REST API over httpx: one request, and every failure as our error tree.

Every request carries `Authorization: Bearer` (the token `Tokens` says is in force),
`LinkedIn-Version` and `X-Restli-Protocol-Version: 2.0.0`; URNs in query strings are
percent-encoded by hand, as Rest.li 2.0 wants (the `:` too). A 401 with a refresh token
configured renews the token and sends the request once more: LinkedIn checks the token before
it does anything, so nothing was done the first time.

Errors: 401 → AuthError (token invalid, expired or revoked; LinkedIn tokens live 60 days);
403 → AuthError (a permission or the page role is missing); 426 (the `LinkedIn-Version` is
retired) → ChannelBlocked naming the version, the day it ended, `[channels.options]
api_version` and `channels resume`; 404 on an endpoint that must exist → AuthError naming
`api_base_url` and `organization_id` (each of these pauses the channel, its items wait);
429 → RateLimited (LinkedIn's limits are daily and it rarely says when they lift: `reset_at`
comes from `Retry-After` when sent, else None); 5xx and lost connections → TransientError
(`maybe_posted` for a POST that may have landed); 422 DUPLICATE_POST → Rejected(duplicate);
other 4xx → Rejected.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from content_queue.timeutil import Clock

from .. import versions
from ..base import (
    AdapterError,
    AuthError,
    ChannelBlocked,
    RateLimited,
    Rejected,
    TransientError,
)
from .tokens import Tokens

if TYPE_CHECKING:
    import httpx

__all__ = ["API_URL", "RestClient", "retired_version"]

API_URL = "https://api.linkedin.com"
_MAX_CONNECT_SECONDS = 10.0
_GONE = (404, 410)


class RestClient:
    """Requests to one organization's LinkedIn API; the httpx client is built on first use."""

    def __init__(
        self,
        *,
        channel: str,
        base_url: str,
        api_version: str,
        organization_id: str,
        tokens: Tokens,
        timeout: float,
        clock: Clock,
    ) -> None:
        self.channel = channel
        self.base_url = base_url
        self.api_version = api_version
        self.organization_id = organization_id
        self.tokens = tokens
        self.timeout = timeout
        self.clock = clock

    @cached_property
    def _http(self) -> httpx.Client:
        import httpx

        return httpx.Client(
            base_url=self.base_url,
            timeout=httpx.Timeout(self.timeout, connect=min(self.timeout, _MAX_CONNECT_SECONDS)),
            headers={"LinkedIn-Version": self.api_version, "X-Restli-Protocol-Version": "2.0.0"},
            follow_redirects=False,
        )

    def request(
        self,
        method: str,
        path: str,
        action: str,
        *,
        query: Mapping[str, object] | None = None,
        body: Mapping[str, Any] | None = None,
        content: bytes | None = None,
        content_type: str | None = None,
        posting: bool = False,
        gone_ok: bool = False,
    ) -> httpx.Response | None:
        """One request (`path` on the API, or an absolute URL LinkedIn gave); every failure as
        our error tree. None: 404/410 when `gone_ok`."""
        import httpx

        if query:
            path += "?" + "&".join(f"{k}={quote(str(v), safe='')}" for k, v in query.items())
        token = self.tokens.current()
        for attempt in range(2):
            headers = {"Authorization": f"Bearer {token}"}
            if content_type:
                headers["Content-Type"] = content_type
            try:
                response = self._http.request(
                    method, path, json=body, content=content, headers=headers
                )
            except httpx.TransportError as exc:
                raise _transport_error(exc, action, posting) from exc
            if response.status_code == 401 and attempt == 0:
                renewed = self.tokens.renew_refused(token)
                if renewed is not None:
                    token = renewed
                    continue
            break
        if response.is_success:
            return response
        if gone_ok and response.status_code in _GONE:
            return None
        raise self._error(response, action, posting)

    def json(self, response: httpx.Response | None, action: str) -> Mapping[str, Any]:
        try:
            data = response.json() if response is not None else None
        except ValueError:
            data = None
        if not isinstance(data, Mapping):
            raise TransientError(f"{action}: the answer was not LinkedIn's JSON")
        return data

    def same_origin(self, url: str) -> bool:
        """Whether `url` may be sent our token: LinkedIn's own https hosts, or the configured
        API's (a proxy, a test server). An upload URL is LinkedIn's answer, but a token is not
        handed to whatever host an answer names."""
        parts, ours = urlsplit(url), urlsplit(self.base_url)
        if (parts.scheme, parts.netloc) == (ours.scheme, ours.netloc):
            return True
        host = (parts.hostname or "").lower()
        return parts.scheme == "https" and (
            host == "linkedin.com" or host.endswith(".linkedin.com")
        )

    def _error(self, response: httpx.Response, action: str, posting: bool) -> AdapterError:
        status = response.status_code
        try:
            raw = response.json()
        except ValueError:
            raw = None
        body: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
        code = body.get("code")
        message = str(body.get("message") or response.reason_phrase or "no message")
        text = f"{action}: HTTP {status}" + (f" {code}" if code else "") + f": {message}"
        if status == 401:
            return AuthError(f"{text} (authorize again: LinkedIn tokens expire after 60 days)")
        if status == 403:
            return AuthError(
                f"{text} (the token needs w_organization_social, r_organization_social and "
                f"rw_organization_admin, from an admin of organization {self.organization_id})"
            )
        if status == 426:
            return ChannelBlocked(f"{text}; {retired_version(self.api_version, self.channel)}")
        if status == 429:
            return RateLimited(f"{text} (rate limited)", reset_at=self._retry_after(response))
        if status >= 500:
            return TransientError(text, maybe_posted=posting)
        if status == 404:
            return AuthError(
                f"{text} (is api_base_url {self.base_url} LinkedIn's API, and organization_id "
                f"{self.organization_id} the page?)"
            )
        if _is_duplicate(body, message):
            return Rejected(text, duplicate=True)
        return Rejected(text)

    def _retry_after(self, response: httpx.Response) -> datetime | None:
        raw = (response.headers.get("retry-after") or "").strip()
        if not raw:
            return None
        if raw.isdigit():
            return self.clock() + timedelta(seconds=int(raw))
        try:
            return parsedate_to_datetime(raw).astimezone(UTC)
        except (TypeError, ValueError, IndexError):
            return None  # a malformed header is no reason to fail differently

    def close(self) -> None:
        if "_http" in self.__dict__:  # never built: nothing to close
            self._http.close()


def retired_version(version: str, channel: str) -> str:
    """What to say when LinkedIn no longer serves `version`: the version, the day it ended
    (`versions.end_of`), and what to change (`versions.how_to_move_on`, the wording the
    warning before the end uses too)."""
    key = versions.DEFAULTS["linkedin"][0]
    end = versions.end_of("linkedin", version.split(".")[0])  # a patch YYYYMM.RR ends with it
    when = ""
    if end is not None:
        when = f" (end date {'about ' if end.estimated else ''}{end.ends.isoformat()})"
    fix = versions.how_to_move_on("linkedin", version)
    return (
        f"LinkedIn no longer serves {key} {version}{when}: {fix}, "
        f"then `xensocial channels resume {channel}`"
    )


def _transport_error(exc: httpx.TransportError, action: str, posting: bool) -> TransientError:
    """`exc` as a TransientError; maybe_posted only when a POST may have reached LinkedIn."""
    import httpx

    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
        return TransientError(f"{action}: cannot connect ({type(exc).__name__})")
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.ProxyError):
        return TransientError(f"{action}: cannot send ({type(exc).__name__})")
    if isinstance(exc, httpx.ReadTimeout):
        return TransientError(f"{action}: no answer in time (read timeout)", maybe_posted=posting)
    return TransientError(
        f"{action}: the connection failed after sending ({type(exc).__name__})",
        maybe_posted=posting,
    )


def _is_duplicate(body: Mapping[str, Any], message: str) -> bool:
    """LinkedIn's 422 for repeated content: `errorDetails.inputErrors[].code` DUPLICATE_POST,
    with "Content is a duplicate of urn:li:share:..." as the message."""
    if body.get("code") == "DUPLICATE_POST" or "DUPLICATE_POST" in message:
        return True
    details = body.get("errorDetails")
    errors = details.get("inputErrors") if isinstance(details, Mapping) else None
    if isinstance(errors, list) and any(
        isinstance(e, Mapping) and e.get("code") == "DUPLICATE_POST" for e in errors
    ):
        return True
    return "content is a duplicate" in message.lower()
