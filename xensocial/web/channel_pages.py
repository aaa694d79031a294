"""Channels and feeds: each channel's state (paused and why, last post, next slot, what its
adapter warns of, a token near its end), pause and resume with a reason, verify the credentials
live (`channel_status.verify_channel`, as `channels verify`); each feed's last poll and its
errors.

The figures are `channel_status.channel_overviews` and `feed_status`, what `channels list` and
`feeds list` print; pausing and resuming are the ledger's `pause` and `resume`, as
`channels pause` and `channels resume` call them, with the reason made inert the same way
(`plaintext.inert`) and the person's name in the audit log. Approvers pause and resume; every
account reads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from content_queue.errors import QueueError

from ..accounts import Permission
from ..errors import BadInput
from .auth import require
from .csrf import checked_form

if TYPE_CHECKING:
    from .app import Console

__all__ = ["routes"]

_DONE = {"paused": "Paused.", "resumed": "Resumed.", "unchanged": "Nothing to change."}


def _console(request: Request) -> Console:
    console: Console = request.app.state.console
    return console


def _read(console: Console) -> dict[str, object]:
    from content_queue import Ledger
    from content_queue.sources import FeedStore

    from ..channel_status import channel_overviews, feed_status

    ledger = Ledger(console.engine, console.clock)
    feeds = FeedStore(console.engine, console.clock).list_feeds()
    return {
        "overviews": channel_overviews(console.settings, ledger, console.clock),
        "feeds": [feed_status(f) for f in feeds],
    }


async def channels_page(request: Request, *, error: str = "", notice: str = "") -> Response:
    require(request, Permission.READ)
    console = _console(request)
    context = await run_in_threadpool(_read, console)
    notice = notice or _DONE.get(request.query_params.get("done", ""), "")
    return console.render(
        request,
        "channels.html",
        {**context, "error": error, "notice": notice},
        status_code=400 if error else 200,
    )


def _channel(console: Console, request: Request) -> str:
    """The configured channel the path names (UsageError naming the channels otherwise)."""
    return console.settings.channel(str(request.path_params["name"])).name


async def pause(request: Request) -> Response:
    from content_queue import Ledger
    from content_queue.plaintext import inert

    form = await checked_form(request)
    person = require(request, Permission.REVIEW)
    console = _console(request)
    try:
        name = _channel(console, request)
        given = str(form.get("reason", "")).strip()
        why = inert(given, "reason").strip() if given else f"paused by {person.name}"
        done = Ledger(console.engine, console.clock).pause(name, why, by=person.name)
    except (BadInput, QueueError) as exc:
        return await channels_page(request, error=str(exc))
    return RedirectResponse(f"/channels?done={'paused' if done else 'unchanged'}", 303)


async def resume(request: Request) -> Response:
    from content_queue import Ledger

    await checked_form(request)
    person = require(request, Permission.REVIEW)
    console = _console(request)
    try:
        name = _channel(console, request)
        done = Ledger(console.engine, console.clock).resume(name, by=person.name)
    except (BadInput, QueueError) as exc:
        return await channels_page(request, error=str(exc))
    return RedirectResponse(f"/channels?done={'resumed' if done else 'unchanged'}", 303)


def _verify(console: Console, name: str) -> str:
    """`channels verify NAME`'s check and its words: who the channel posts as, or BadInput
    with why it could not be verified."""
    from ..adapters.factory import build_adapter
    from ..channel_status import verify_channel

    channel = console.settings.channel(name)
    verified = verify_channel(
        channel,
        lambda c: build_adapter(console.settings, c, clock=console.clock, warn=lambda _: None),
    )
    if verified.problem is not None or verified.account is None:
        raise BadInput(verified.problem or f"channel {name!r}: no account")
    account = verified.account
    followers = "unknown" if account.followers is None else f"{account.followers:,}"
    said = f"{name} ({channel.network}): OK, posting as {account.account}; followers: {followers}"
    return " ".join([said, *(f"Warning: {w}" for w in verified.warnings)])


async def verify(request: Request) -> Response:
    """Ask the channel's network, live, who its credentials post as (approvers: it uses the
    channel's secrets)."""
    await checked_form(request)
    require(request, Permission.REVIEW)
    console = _console(request)
    try:
        said = await run_in_threadpool(_verify, console, _channel(console, request))
    except BadInput as exc:
        return await channels_page(request, error=str(exc))
    return await channels_page(request, notice=said)


routes = [
    Route("/channels", channels_page, methods=["GET"]),
    Route("/channels/{name}/pause", pause, methods=["POST"]),
    Route("/channels/{name}/resume", resume, methods=["POST"]),
    Route("/channels/{name}/verify", verify, methods=["POST"]),
]
