"""`create_app`: the console's Starlette application, with what every page shares.

`Console` holds what a request needs (the settings, the database, the clock, the templates);
the routes are the page modules' (`queue_pages`, `edit_pages`, `image_pages`,
`import_pages`, `calendar_pages`, `channel_pages`, `report_pages`, `admin_pages`) and sign-in's (`auth`). Errors
become pages: a refusal the service makes (`BadInput`, the queue's `QueueError`) is shown with
its own message, as the CLI prints it; 403 and 404 with theirs; anything else is a generic
500 (the details go to the log, never to the page).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..accounts import Permission, allows
from ..errors import BadInput
from ..timeinput import local_time
from . import (
    admin_pages,
    calendar_pages,
    channel_pages,
    edit_pages,
    image_pages,
    import_pages,
    queue_pages,
    report_pages,
)
from .auth import SessionMiddleware, SignInNeeded, login, login_page, logout, user
from .csrf import token
from .proxy import TrustedProxy

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from content_queue.accounts import AccountStore
    from content_queue.queue import ContentQueue
    from content_queue.timeutil import Clock

    from ..config import Settings

__all__ = ["Console", "create_app", "secret_key"]

_HERE = Path(__file__).resolve().parent


_MIN_SECRET = 32
_MESSAGES = frozenset({"message", "error"})  # context keys holding a refusal's words


def _long_enough(key: str, where: str) -> str:
    """`key`, unless it is too short to sign anything (an empty file left by a crash, a
    placeholder): then BadInput naming where it came from, never its value."""
    if len(key) < _MIN_SECRET:
        raise BadInput(
            f"the web console's session key in {where} is {len(key)} characters long; it needs "
            f"{_MIN_SECRET} or more (delete the file to have a new one made)"
        )
    return key


def secret_key(data_dir: Path) -> str:
    """The key that signs session cookies: `XENSOCIAL_WEB_SECRET`, else a random one kept in
    `DATA_DIR/web-secret` (made on first start, mode 0600), so sessions outlive a restart and
    every console process on the same data folder signs alike."""
    given = os.environ.get("XENSOCIAL_WEB_SECRET", "")
    if given:
        return _long_enough(given, "XENSOCIAL_WEB_SECRET")
    path = data_dir / "web-secret"
    try:
        return _long_enough(path.read_text(encoding="ascii").strip(), str(path))
    except FileNotFoundError:
        pass
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another console made it first: use theirs
        return _long_enough(path.read_text(encoding="ascii").strip(), str(path))
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(key)
    return key


def _href(value: str | None) -> str:
    """A link target only if it is http(s): a `javascript:` URL in an item or an answer from a
    network must not become a link that runs script when clicked."""
    text = (value or "").strip()
    return text if text.lower().startswith(("http://", "https://")) else "#"


@dataclass
class Console:
    """What every request reads: the settings, the database, the clock, the templates."""

    settings: Settings
    engine: Engine
    clock: Clock
    secret: str
    env: Environment = field(
        default_factory=lambda: Environment(
            loader=PackageLoader("xensocial.web", "templates"),
            autoescape=select_autoescape(default=True, default_for_string=True),
        )
    )

    def __post_init__(self) -> None:
        self.env.filters["local"] = self._local
        self.env.filters["href"] = _href

    def _local(self, value: datetime | None) -> str:
        """A stored UTC time in the configuration's zone, as the CLI shows it."""
        return local_time(value, self.settings.timezone)

    @property
    def idle_seconds(self) -> float:
        return self.settings.web.idle_timeout.total_seconds()

    @cached_property
    def queue(self) -> ContentQueue:
        from content_queue.queue import ContentQueue

        return ContentQueue(
            self.engine,
            clock=self.clock,
            evergreen_categories=self.settings.editorial.evergreen_categories,
        )

    @cached_property
    def accounts(self) -> AccountStore:
        from content_queue.accounts import AccountStore

        return AccountStore(self.engine, self.clock)

    def without_paths(self, message: Any) -> Any:
        """A refusal as staff see it: the configuration's own path (which the CLI's words name,
        "no channel named 'x' in /etc/xensocial/xensocial.toml") said as "the configuration",
        so no page shows where the server keeps its files."""
        if isinstance(message, str) and self.settings.source:
            return message.replace(self.settings.source, "the configuration")
        return message

    def render(
        self,
        request: Request,
        template: str,
        context: dict[str, Any],
        *,
        status_code: int = 200,
    ) -> HTMLResponse:
        account = user(request)
        shared = {
            "request": request,
            "user": account,
            "csrf": token(request),
            "can_add": account is not None and allows(account.role, Permission.ADD),
            "can_review": account is not None and allows(account.role, Permission.REVIEW),
            "is_admin": account is not None and allows(account.role, Permission.ADMIN),
            "zone": self.settings.timezone,
        }
        shown = {k: self.without_paths(v) if k in _MESSAGES else v for k, v in context.items()}
        html = self.env.get_template(template).render({**shared, **shown})
        return HTMLResponse(html, status_code=status_code)


async def _home(request: Request) -> Response:
    return RedirectResponse("/queue", status_code=303)


def _error_page(request: Request, status: int, message: str) -> Response:
    console: Console = request.app.state.console
    return console.render(
        request, "error.html", {"status": status, "message": message}, status_code=status
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return _error_page(request, exc.status_code, str(exc.detail))


async def _sign_in_needed(request: Request, exc: Exception) -> Response:
    if request.method == "GET":
        return RedirectResponse("/login", status_code=303)
    return _error_page(request, 401, "Sign in first.")


async def _server_error(request: Request, exc: Exception) -> Response:
    import structlog

    structlog.get_logger("xensocial.web").exception("web.request_failed", path=request.url.path)
    return HTMLResponse("Something went wrong; the console's log says what.", status_code=500)


def create_app(settings: Settings, engine: Engine, *, clock: Clock, secret: str) -> Starlette:
    """The console, on `engine` (already at the schema's head), with `clock` for every time it
    reads (sessions, throttling, the queue). A SQLite file is read through a memory map
    (`content_queue.db.map_for_reads`): the console's pages are reads."""
    from content_queue.db import map_for_reads

    map_for_reads(engine)
    routes = [
        Route("/", _home),
        Route("/login", login_page, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        *queue_pages.routes,
        *edit_pages.routes,
        *image_pages.routes,
        *import_pages.routes,
        *admin_pages.routes,
        *calendar_pages.routes,
        *channel_pages.routes,
        *report_pages.routes,
        Mount("/static", StaticFiles(directory=_HERE / "static"), name="static"),
    ]
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(TrustedProxy, trusted=settings.web.trusted_proxies),
            Middleware(SessionMiddleware),
        ],
        exception_handlers={
            HTTPException: _http_error,
            SignInNeeded: _sign_in_needed,
            Exception: _server_error,
        },
    )
    app.state.console = Console(settings, engine, clock, secret)
    return app
