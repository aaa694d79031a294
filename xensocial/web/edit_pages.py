"""Editing an item in the console: the fields of `queue edit`, checked as it checks them.

The form shows the item's values; what differs when it comes back is the edit
(`forms.edit_changes`), checked by `item_actions.check_edit` and made by the queue's
`edit_item`, as `xensocial queue edit` does: a partly posted item changes only on the channels
it is not out on yet (the page says which), and a new URL on an item out anywhere is refused.
Images sent with the form replace the item's, "Remove all images" removes them
(`uploads.edited_images`, `queue edit --image`/`--no-images`); the edit and its images are
made by `item_actions.edit_item`, the function the CLI's edit calls.
Editors edit their own items; approvers and admins any.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from content_queue.errors import QueueError

from ..accounts import Permission
from ..errors import BadInput
from ..item_actions import edit_item, edit_reach
from ..item_rules import known_categories
from .auth import require
from .csrf import checked_form
from .forms import edit_changes, shown_time
from .queue_pages import item_or_404, may_change
from .uploads import edited_images, image_fields

if TYPE_CHECKING:
    from .app import Console

__all__ = ["routes"]

_FIELDS: tuple[str, ...] = ("url", "title", "text", "category", "tags", "priority")
_FIELDS += ("not_before", "expires_at", "publish_at", "event_at")


def _page(
    request: Request, fields: dict[str, str], *, error: str = "", form: FormData | None = None
) -> Response:
    from ..media.describe import describe

    console: Console = request.app.state.console
    item_id = int(request.path_params["item_id"])
    images = item_or_404(console, item_id).images
    return console.render(
        request,
        "edit.html",
        {
            "item_id": item_id,
            "fields": fields,
            "categories": known_categories(console.settings),
            "images": [describe(image, n) for n, image in enumerate(images, 1)],
            **image_fields(form),
            "error": error,
        },
        status_code=400 if error else 200,
    )


def _allowed(request: Request) -> tuple[Console, int]:
    account = require(request, Permission.ADD)
    console: Console = request.app.state.console
    item_id = int(request.path_params["item_id"])
    if not may_change(account, item_or_404(console, item_id)):
        raise HTTPException(403, f"Your role ({account.role}) may edit only your own items.")
    return console, item_id


async def edit_page(request: Request) -> Response:
    console, item_id = _allowed(request)
    item = item_or_404(console, item_id)
    zone = console.settings.timezone
    fields = {
        "url": item.url,
        "title": item.title,
        "text": item.text,
        "category": item.category,
        "tags": " ".join(item.tags),
        "priority": str(item.priority),
        "not_before": shown_time(item.not_before, zone),
        "expires_at": shown_time(item.expires_at, zone),
        "publish_at": shown_time(item.publish_at, zone),
        "event_at": shown_time(item.event_at, zone),
    }
    return _page(request, fields)


async def edit(request: Request) -> Response:
    form = await checked_form(request, images=True)
    console, item_id = _allowed(request)
    account = require(request, Permission.ADD)
    fields = {k: str(form.get(k, "")) for k in _FIELDS}
    now = console.clock()
    try:
        changes = edit_changes(console.settings, item_or_404(console, item_id), fields, now)
        loaded = await edited_images(form)
        if not changes and loaded is None:
            return RedirectResponse(f"/items/{item_id}?done=unchanged", status_code=303)
        edited, _, changed = await run_in_threadpool(
            lambda: edit_item(
                console.settings, console.queue, now, item_id, changes, loaded, by=account.name
            )
        )
    except (QueueError, BadInput) as exc:
        return _page(request, fields, error=str(exc), form=form)
    if not changed:
        return RedirectResponse(f"/items/{item_id}?done=unchanged", status_code=303)
    done = "edited-partly" if edited.kept else "edited"
    response = RedirectResponse(f"/items/{item_id}?done={done}", status_code=303)
    if edited.kept:  # which channels it reached: said on the item page (`queue_pages.DONE`)
        request.state.session["reach"] = edit_reach(edited)
    return response


routes = [
    Route("/items/{item_id:int}/edit", edit_page, methods=["GET"]),
    Route("/items/{item_id:int}/edit", edit, methods=["POST"]),
]
