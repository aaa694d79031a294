"""Accounts, for admins: add one (with a password the admin types), change a role, remove one.

The same functions as `xensocial users ...` (`accounts.check_name`, `check_role`,
`check_password`, `hash_password`; `AccountStore`, which writes the audit entry under the
admin's name). An admin cannot remove their own account or take away their own admin role, so
the console is never left without one by a slip.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from content_queue.errors import QueueError

from ..accounts import ROLES, Permission, check_name, check_password, check_role, hash_password
from ..errors import BadInput
from .auth import require
from .csrf import checked_form

if TYPE_CHECKING:
    from .app import Console

__all__ = ["routes"]


def _console(request: Request) -> Console:
    console: Console = request.app.state.console
    return console


def _page(request: Request, *, error: str = "", notice: str = "") -> Response:
    require(request, Permission.ADMIN)
    console = _console(request)
    return console.render(
        request,
        "users.html",
        {"accounts": console.accounts.list(), "roles": ROLES, "error": error, "notice": notice},
        status_code=400 if error else 200,
    )


async def users_page(request: Request) -> Response:
    return _page(request)


async def add_user(request: Request) -> Response:
    form = await checked_form(request)
    admin = require(request, Permission.ADMIN)
    try:
        name = check_name(str(form.get("name", "")))
        role = check_role(str(form.get("role", "")))
        password = check_password(str(form.get("password", "")))
        _console(request).accounts.add(name, role, hash_password(password), by=admin.name)
    except (QueueError, BadInput) as exc:
        return _page(request, error=str(exc))
    return RedirectResponse("/admin/users", status_code=303)


async def set_role(request: Request) -> Response:
    form = await checked_form(request)
    admin = require(request, Permission.ADMIN)
    name = str(request.path_params["name"])
    try:
        role = check_role(str(form.get("role", "")))
        if name == admin.name and role != "admin":
            raise BadInput("you cannot take the admin role from your own account")
        _console(request).accounts.set_role(name, role, by=admin.name)
    except (QueueError, BadInput) as exc:
        return _page(request, error=str(exc))
    return RedirectResponse("/admin/users", status_code=303)


async def remove_user(request: Request) -> Response:
    await checked_form(request)
    admin = require(request, Permission.ADMIN)
    name = str(request.path_params["name"])
    try:
        if name == admin.name:
            raise BadInput("you cannot remove your own account")
        _console(request).accounts.remove(name, by=admin.name)
    except (QueueError, BadInput) as exc:
        return _page(request, error=str(exc))
    return RedirectResponse("/admin/users", status_code=303)


routes = [
    Route("/admin/users", users_page, methods=["GET"]),
    Route("/admin/users", add_user, methods=["POST"]),
    Route("/admin/users/{name}/role", set_role, methods=["POST"]),
    Route("/admin/users/{name}/remove", remove_user, methods=["POST"]),
]
