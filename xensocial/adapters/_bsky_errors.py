"""What the atproto SDK raises, as the adapter's errors (`xensocial.adapters.base`).

The SDK raises its own exceptions with the XRPC error body (`{"error": "ExpiredToken",
"message": ...}`) on `exc.response.content`, and lets httpx's transport errors through. The
Bluesky adapter and its session keeper (`_bsky_session`) both ask the same questions of them:
was the token refused (`is_auth`), and what does this failure mean for a post
(`as_adapter_error`): 429 → RateLimited with the `ratelimit-reset` time; 5xx and transport
failures → TransientError (`maybe_posted` when a create may have landed: a read timeout or a
dropped connection, not a refused connection); a refused token → AuthError; 400
`InvalidRequest` and other 4xx → Rejected.
"""

from __future__ import annotations

from .base import AdapterError, AuthError, RateLimited, Rejected, TransientError

__all__ = ["AUTH_ERRORS", "as_adapter_error", "is_auth", "sdk_errors", "status", "xrpc_error"]

AUTH_ERRORS = frozenset(
    {"ExpiredToken", "InvalidToken", "AuthenticationRequired", "AuthMissing", "BadJwt"}
)


def sdk_errors() -> tuple[type[BaseException], ...]:
    """What an SDK call raises on failure (an `except` evaluates this only when one is raised)."""
    import httpx
    from atproto_core.exceptions import AtProtocolError  # type: ignore[import-untyped]

    return (AtProtocolError, httpx.HTTPError)


def xrpc_error(exc: BaseException) -> str | None:
    """The XRPC error name (`{"error": "ExpiredToken", ...}`) of a refused call, if any."""
    response = getattr(exc, "response", None)
    content = getattr(response, "content", None)
    name = getattr(content, "error", None)
    return name if isinstance(name, str) else None


def status(exc: BaseException) -> int | None:
    """The HTTP status of a refused call; None when no answer came."""
    response = getattr(exc, "response", None)
    code = getattr(response, "status_code", None)
    return code if isinstance(code, int) else None


def is_auth(exc: BaseException) -> bool:
    """True when the PDS refused the token (or the password), whatever the status it used:
    the Bluesky PDS answers an expired access token with 400 `ExpiredToken`."""
    from atproto_client import exceptions as xrpc  # type: ignore[import-untyped]

    return isinstance(exc, xrpc.UnauthorizedError) or xrpc_error(exc) in AUTH_ERRORS


def _sent_nothing(exc: BaseException) -> bool:
    """True when `exc` proves the request never left (it failed while connecting)."""
    import httpx

    cause = exc if isinstance(exc, httpx.HTTPError) else exc.__cause__
    return isinstance(cause, httpx.ConnectError | httpx.ConnectTimeout | httpx.UnsupportedProtocol)


def as_adapter_error(exc: BaseException, action: str, posting: bool) -> AdapterError:
    """`exc` (from the SDK or httpx, raised while `action`) as one of our errors."""
    from atproto_client import exceptions as xrpc

    code = status(exc)
    text = f"{action}: HTTP {exc}"  # the SDK's text: the status, the XRPC error and message
    if isinstance(exc, xrpc.RateLimitExceededError) or code == 429:
        reset = getattr(exc, "reset_at", None)
        return RateLimited(f"{action}: rate limited (HTTP 429)", reset_at=reset)
    if is_auth(exc):
        return AuthError(text)
    if code is None:  # no answer: a transport failure, a timeout, an unreadable body
        if _sent_nothing(exc):
            return TransientError(f"{action}: cannot connect ({_cause_name(exc)})")
        what = "no answer in time (read timeout)" if _timed_out(exc) else _cause_name(exc)
        return TransientError(f"{action}: {what}", maybe_posted=posting)
    if code >= 500:
        return TransientError(text, maybe_posted=posting)
    if code == 409:  # a conflicting concurrent write: the create did not happen
        return TransientError(text)
    return Rejected(text)


def _timed_out(exc: BaseException) -> bool:
    import httpx
    from atproto_client import exceptions as xrpc

    return isinstance(exc, xrpc.InvokeTimeoutError | httpx.TimeoutException)


def _cause_name(exc: BaseException) -> str:
    cause = exc.__cause__ if exc.__cause__ is not None else exc
    return type(cause).__name__
