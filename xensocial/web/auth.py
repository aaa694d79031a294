"""Who is asking: signed session cookies, signing in and out, and what each role may do.

The session is a cookie signed with the console's secret (itsdangerous): `u`, the account's
name once signed in; `c`, the CSRF token (`csrf`); `t`, when the session was last used. It is
`HttpOnly` (no script reads it), `SameSite=Lax`, and `Secure` when the request came over HTTPS
(through a proxy on loopback, uvicorn takes the scheme from `X-Forwarded-Proto`). A session
unused for `[web] idle_timeout` is signed out; `t` is read with the console's clock, so tests
move time. Every request reads the account again, so a removed account or a changed role takes
effect at once.

Signing in is `accounts.sign_in`: throttled per account name and per address, in the database.
Or a reverse proxy on a trusted address signs people in itself and names them in `[web]
sso_header` (`proxy`): the console takes the name, if it has an account, with that role.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from itsdangerous import BadSignature, URLSafeSerializer
from starlette.exceptions import HTTPException
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from ..accounts import Permission, allows, sign_in
from ..errors import XensocialError
from .csrf import checked_form, new_token
from .proxy import PROXIED

if TYPE_CHECKING:
    from content_queue.accounts import AccountView

    from .app import Console

__all__ = [
    "COOKIE",
    "SessionMiddleware",
    "SignInNeeded",
    "login",
    "login_page",
    "logout",
    "require",
    "user",
]

COOKIE = "xensocial_session"
_SALT = "xensocial-web-session"
_SECURITY_HEADERS = {
    # No inline script or style, nothing from elsewhere, never framed.
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
        "object-src 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class SignInNeeded(XensocialError):
    """Raised by `require` without a signed-in account: the app answers with the sign-in page."""


def _console(request: Request) -> Console:
    console: Console = request.app.state.console
    return console


class SessionMiddleware(BaseHTTPMiddleware):
    """Reads the session cookie into `request.state.session` (and the account into
    `request.state.user`), writes it back after the response, and adds the security headers."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        console = _console(request)
        serializer = URLSafeSerializer(console.secret, salt=_SALT)
        session: dict[str, Any] = {}
        raw = request.cookies.get(COOKIE)
        if raw:
            try:
                loaded = serializer.loads(raw)
                session = loaded if isinstance(loaded, dict) else {}
            except BadSignature:
                session = {}
        now = console.clock().timestamp()
        request.state.expired = False
        if session.get("u") and now - float(session.get("t", 0)) > console.idle_seconds:
            session.pop("u", None)
            session["c"] = new_token()
            request.state.expired = True
        request.state.session = session
        request.state.user = None
        static = request.url.path.startswith("/static/")
        sso = console.settings.web.sso_header
        named = request.headers.get(sso, "").strip() if sso and request.scope.get(PROXIED) else ""
        if named and not static:  # the proxy signed them in: its word, for a known account
            if console.accounts.get(named) is None:
                return PlainTextResponse(
                    f"The proxy signed in {named!r}, who has no account here; an admin adds "
                    "one with `xensocial users add NAME --role ROLE`.",
                    status_code=403,
                    headers=_SECURITY_HEADERS,
                )
            session["u"] = named
        if session.get("u") and not static:
            request.state.user = console.accounts.get(str(session["u"]))
            if request.state.user is None:  # removed since: signed out
                session.pop("u", None)
        response = await call_next(request)
        for name, value in _SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if not static and session:
            session["t"] = now
            response.set_cookie(
                COOKIE,
                serializer.dumps(session),
                httponly=True,
                samesite="lax",
                secure=request.url.scheme == "https",
                path="/",
            )
        return response


def user(request: Request) -> AccountView | None:
    account: AccountView | None = request.state.user
    return account


def require(request: Request, permission: Permission) -> AccountView:
    """The signed-in account, if its role allows `permission`; SignInNeeded when nobody is
    signed in, HTTPException(403) naming the role when the role does not allow it."""
    account = user(request)
    if account is None:
        raise SignInNeeded
    if not allows(account.role, permission):
        raise HTTPException(
            403, f"Your role ({account.role}) does not allow this: {_NEEDS[permission]}."
        )
    return account


_NEEDS = {
    Permission.READ: "reading needs an account",
    Permission.ADD: "adding and changing items needs the editor role or above",
    Permission.REVIEW: "approving needs the approver role or above",
    Permission.ADMIN: "managing accounts needs the admin role",
}


async def login_page(request: Request) -> Response:
    if user(request) is not None:
        return RedirectResponse("/queue", status_code=303)
    notice = (
        "Your session ended after a while unused; sign in again." if request.state.expired else ""
    )
    return _console(request).render(request, "login.html", {"notice": notice, "name": ""})


async def login(request: Request) -> Response:
    form = await checked_form(request)
    console = _console(request)
    name = str(form.get("name", "")).strip()[:100]
    password = str(form.get("password", ""))
    address = request.client.host if request.client is not None else "unknown"
    result = sign_in(
        console.accounts,
        name,
        password,
        address,
        attempts=console.settings.web.login_attempts,
        window=console.settings.web.login_window,
    )
    if result.account is None:
        status = 429 if result.throttled else 401
        return console.render(
            request, "login.html", {"error": result.message, "name": name}, status_code=status
        )
    session = request.state.session
    session.clear()  # a new session: nothing planted before signing in survives it
    session["u"] = result.account.name
    session["c"] = new_token()
    return RedirectResponse("/queue", status_code=303)


async def logout(request: Request) -> Response:
    await checked_form(request)
    request.state.session.clear()
    request.state.session["c"] = new_token()
    return RedirectResponse("/login", status_code=303)
