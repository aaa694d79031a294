"""The CSRF token: one random value per session, in every form, checked on every POST.

The token lives in the signed session cookie (`auth`), and each form carries it in a hidden
field named `csrf`. A POST whose field does not match is refused with 403 before the handler
does anything: a page on another site can make a browser send our cookie (SameSite=Lax lets a
top-level form POST through on some browsers' first two minutes), but cannot read the token.
Signing in gets a new token, so one planted before cannot be used after.
"""

from __future__ import annotations

import secrets
from typing import Any

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request

__all__ = ["FIELD", "REFUSAL", "checked_form", "new_token", "token"]

FIELD = "csrf"
REFUSAL = (
    "This form did not come from this console, or has expired (no valid CSRF token): "
    "reload the page and try again."
)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token(request: Request) -> str:
    """The session's token, made on first use (the session cookie carries it)."""
    session: dict[str, Any] = request.state.session
    if not isinstance(session.get("c"), str):
        session["c"] = new_token()
    value: str = session["c"]
    return value


async def checked_form(
    request: Request, *, images: bool = False, file_limit: int | None = None
) -> FormData:
    """The POSTed form, once its token matched the session's; HTTPException(403) otherwise.
    A form that sends `images` is read within the upload limit, one that sends a file of at
    most `file_limit` bytes within that and a margin (`uploads.bounded_form`): Starlette
    would otherwise spool a file of any size to disk before we see it."""
    if images or file_limit is not None:
        from .uploads import FORM_MARGIN, bounded_form, file_too_large

        if file_limit is None:
            form = await bounded_form(request)
        else:
            bound = file_limit + FORM_MARGIN
            form = await bounded_form(request, bound, file_too_large(bound))
    else:
        form = await request.form()
    sent = form.get(FIELD)
    expected = request.state.session.get("c")
    if not (
        isinstance(sent, str)
        and isinstance(expected, str)
        and secrets.compare_digest(sent.encode(), expected.encode())
    ):
        raise HTTPException(403, REFUSAL)
    return form
