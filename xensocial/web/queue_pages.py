"""The queue's pages: the list, an item with its deliveries and history, adding a link with its
preview per network, approving and cancelling.

Each action calls what the CLI's command calls (`adding.add_item`, `item_actions.check_ids` and
`check_approvable`, the queue's `approve_many` and `cancel`, `rendering.preview_post`), so a
refusal is the CLI's refusal, shown in the page. Images sent with the add form are read and
checked as `--image` reads them (`uploads.read_images`) and stored once the item is added. Who may do what is `accounts.allows`: a viewer
reads; an editor adds (as drafts) and cancels its own items; an approver approves and cancels
any item, and may add items approved at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from content_queue.errors import ItemNotFound, QueueError

from ..accounts import Permission, allows
from ..errors import BadInput
from ..item_actions import check_approvable, check_ids
from ..item_rules import known_categories
from .auth import require
from .csrf import checked_form
from .forms import new_item, split_words

if TYPE_CHECKING:
    from content_queue.accounts import AccountView
    from content_queue.views import ItemImage, ItemView

    from ..config import Settings
    from ..rendering import Renderable
    from .app import Console

__all__ = ["DONE", "item_or_404", "may_change", "previews", "routes"]

PAGE_SIZE = 50
# What an action did, shown on the page it leads to (by code: a page never shows words a
# link's query string made up).
DONE = {
    "approved": "Approved.",
    "already-approved": "It was already approved.",
    "cancelled": "Cancelled.",
    "already-cancelled": "It was already cancelled.",
    "all-out": "It is already published on every channel: nothing was left to stop.",
    "added": "Added.",
    "edited": "Saved.",
    "edited-partly": "Saved.",
    "unchanged": "Nothing to change: it already has these values.",
    "drafted": "Added as a draft: it has no title or text (the daemon never posts a bare "
    "link). Give it words before it is approved.",
}
_STATES = (
    "draft",
    "approved",
    "cancelled",
    "pending",
    "publishing",
    "published",
    "failed",
    "unknown",
)


def _console(request: Request) -> Console:
    console: Console = request.app.state.console
    return console


def previews(
    settings: Settings,
    item: Renderable,
    channels: list[str],
    own_texts: dict[str, str] | None = None,
    images: Sequence[ItemImage] = (),
) -> list[dict[str, Any]]:
    """`rendering.preview_post` for each channel (in its own words where `own_texts` has some,
    with the item's `images`, as `xensocial preview` shows them); a channel the item cannot be
    posted on gets the refusal `queue add` would print, instead of a text."""
    from ..media.describe import preview_lines
    from ..rendering import TextTooLong, preview_post

    out: list[dict[str, Any]] = []
    for name in channels:
        try:
            own = (own_texts or {}).get(name)
            row = preview_post(settings, item, name, own_text=own, images=images)
        except (TextTooLong, BadInput, ValueError) as exc:
            out.append({"channel": name, "error": str(exc)})
            continue
        out.append({**row, "image_lines": preview_lines(images, row)})
    return out


async def queue_list(request: Request) -> Response:
    require(request, Permission.READ)
    console = _console(request)
    q = request.query_params
    state = q.get("state") or None
    channel = q.get("channel") or None
    category = q.get("category") or None
    search = (q.get("q") or "").strip()[:200] or None
    try:
        page = max(int(q.get("page", "1")), 1)
        min_priority = int(q["priority"]) if q.get("priority") else None
    except ValueError:
        raise HTTPException(400, "page and priority must be whole numbers") from None
    error = ""
    items: list[ItemView] = []
    try:
        if channel is not None:
            console.settings.channel(channel)
        items = console.queue.list_items(
            state=state,
            channel=channel,
            category=category,
            search=search,
            min_priority=min_priority,
            limit=PAGE_SIZE + 1,
            offset=(page - 1) * PAGE_SIZE,
        )
    except (QueueError, BadInput) as exc:
        error = str(exc)
    return console.render(
        request,
        "queue.html",
        {
            "items": items[:PAGE_SIZE],
            "more": len(items) > PAGE_SIZE,
            "page": page,
            "filters": {
                "state": state or "",
                "channel": channel or "",
                "category": category or "",
                "q": search or "",
                "priority": "" if min_priority is None else str(min_priority),
            },
            "states": _STATES,
            "channels": console.settings.channel_names,
            "categories": known_categories(console.settings),
            "error": error,
            "query": lambda n: urlencode(
                {**{k: v for k, v in request.query_params.items() if k != "page"}, "page": n}
            ),
        },
        status_code=400 if error else 200,
    )


def item_or_404(console: Console, item_id: int) -> ItemView:
    try:
        return console.queue.get(item_id)
    except ItemNotFound as exc:
        raise HTTPException(404, str(exc)) from None


def may_change(account: AccountView, item: ItemView) -> bool:
    """Approvers change any item; editors their own."""
    if allows(account.role, Permission.REVIEW):
        return True
    return allows(account.role, Permission.ADD) and item.created_by == account.name


def _item_page(request: Request, item_id: int, *, error: str = "", notice: str = "") -> Response:
    from content_queue.audit import AuditLog

    from ..media.describe import describe

    account = require(request, Permission.READ)
    console = _console(request)
    item = item_or_404(console, item_id)
    known = console.settings.channel_names
    history = AuditLog(console.engine).entries(item_id=item_id, limit=100)
    return console.render(
        request,
        "item.html",
        {
            "item": item,
            "previews": previews(
                console.settings,
                item,
                [d.channel for d in item.deliveries if d.channel in known],
                {d.channel: d.text_override for d in item.deliveries if d.text_override},
                item.images,
            ),
            "history": history,
            "described": [describe(image, n) for n, image in enumerate(item.images, 1)],
            "may_change": may_change(account, item),
            "error": error,
            "notice": notice or _done(request),
        },
        status_code=400 if error else 200,
    )


def _done(request: Request) -> str:
    """What the action that led here did (`DONE`), and after an edit of a partly posted item,
    which channels it reached (kept in the session for this one page)."""
    said = DONE.get(request.query_params.get("done", ""), "")
    reach = request.state.session.pop("reach", None)
    if said and isinstance(reach, str):
        said += " " + reach
    return said


async def item_page(request: Request) -> Response:
    return _item_page(request, int(request.path_params["item_id"]))


async def approve(request: Request) -> Response:
    await checked_form(request)
    account = require(request, Permission.REVIEW)
    console = _console(request)
    item_id = int(request.path_params["item_id"])
    try:
        check_ids(console.queue, [item_id], "approved")
        check_approvable(console.queue, [item_id])
        [(_, changed)] = console.queue.approve_many([item_id], by=account.name)
    except (QueueError, BadInput) as exc:
        return _item_page(request, item_id, error=str(exc))
    done = "approved" if changed else "already-approved"
    return RedirectResponse(f"/items/{item_id}?done={done}", status_code=303)


async def cancel(request: Request) -> Response:
    await checked_form(request)
    account = require(request, Permission.ADD)
    console = _console(request)
    item_id = int(request.path_params["item_id"])
    if not may_change(account, item_or_404(console, item_id)):
        raise HTTPException(403, f"Your role ({account.role}) may cancel only your own items.")
    try:
        check_ids(console.queue, [item_id], "cancelled")
        item, changed = console.queue.cancel(item_id, by=account.name)
    except (QueueError, BadInput) as exc:
        return _item_page(request, item_id, error=str(exc))
    done = "cancelled" if changed else "already-cancelled"
    if not changed and item.state != "cancelled":
        done = "all-out"
    return RedirectResponse(f"/items/{item_id}?done={done}", status_code=303)


def _draft(fields: dict[str, str]) -> Any:
    from ..rendering import Draft

    return Draft(
        fields.get("url", "").strip(),
        fields.get("title", "").strip(),
        fields.get("text", "").strip(),
        fields.get("category", "").strip() or "news",
        split_words(fields.get("tags", "")),
    )


def _add_context(console: Console, fields: dict[str, str], channels: list[str]) -> dict[str, Any]:
    settings = console.settings
    chosen = [c for c in channels if c in settings.channel_names] or settings.channel_names
    shown = previews(settings, _draft(fields), chosen) if fields.get("url") else []
    return {
        "fields": fields,
        "chosen": chosen,
        "channels": settings.channel_names,
        "categories": known_categories(settings),
        "previews": shown,
    }


async def add_page(request: Request) -> Response:
    """The add form (`?url=` fills the link in; nothing is fetched by a GET, which another site
    could make a signed-in browser send)."""
    require(request, Permission.ADD)
    url = request.query_params.get("url", "").strip()[:2000]
    return _add_form(request, url)


async def read_page(request: Request) -> Response:
    """The add form with the page's title and description, read through the guarded fetcher
    (`adding.fetch_page`), to edit before adding: a POST, with the form's CSRF token."""
    form = await checked_form(request)
    require(request, Permission.ADD)
    url = str(form.get("url", "")).strip()[:2000]
    return _add_form(request, url, meta=await _fetch(request, url))


async def _fetch(request: Request, url: str) -> tuple[Any, str, str]:
    """(metadata or None, why the page gave no words, a refusal)."""
    from content_queue.urls import validate_url

    from ..adding import fetch_page

    try:
        validate_url(url)
        meta, unread = await run_in_threadpool(fetch_page, _console(request).settings, url)
    except (QueueError, BadInput) as exc:
        return None, "", str(exc)
    return meta, unread, ""


def _add_form(request: Request, url: str, meta: tuple[Any, str, str] | None = None) -> Response:
    from .uploads import image_fields

    console = _console(request)
    fields = {"url": url, "title": "", "text": "", "category": "", "tags": "", "priority": "0"}
    page, unread, error = meta if meta is not None else (None, "", "")
    if page is not None:
        fields["title"] = page.title or ""
        fields["text"] = page.description or ""
    return console.render(
        request,
        "add.html",
        {**_add_context(console, fields, []), **image_fields(), "error": error, "notice": unread},
        status_code=400 if error else 200,
    )


async def add(request: Request) -> Response:
    from ..adding import add_item
    from .uploads import image_fields, read_images

    form = await checked_form(request, images=True)
    account = require(request, Permission.ADD)
    console = _console(request)
    keys: tuple[str, ...] = ("url", "title", "text", "category", "tags", "priority")
    keys += ("not_before", "expires", "at", "event_date")
    fields = {k: str(form.get(k, "")) for k in keys}
    channels = [str(c) for c in form.getlist("channel")]
    # An editor's items wait for an approver; an approver may add one approved at once.
    draft = not (allows(account.role, Permission.REVIEW) and form.get("approve") == "yes")
    said: list[str] = []
    try:
        loaded = await read_images(form)  # read and checked, stored only once it is added
        new = new_item(
            console.settings,
            url=fields["url"],
            title=fields["title"],
            text=fields["text"],
            category=fields["category"],
            tags=fields["tags"],
            channels=channels,
            priority_text=fields["priority"],
            not_before=fields["not_before"],
            expires=fields["expires"],
            at=fields["at"],
            event_date=fields["event_date"],
            draft=draft,
            by=account.name,
            now=console.clock(),
            images=loaded.items,
        )
        added = await run_in_threadpool(
            lambda: add_item(
                console.settings,
                console.queue,
                new,
                fetch_words=not new.title,
                allow_duplicate=False,
                say=said.append,
            )
        )
    except (QueueError, BadInput) as exc:
        context = {**_add_context(console, fields, channels), **image_fields(form)}
        return console.render(request, "add.html", {**context, "error": str(exc)}, status_code=400)
    # After every check, as `queue add` does: refused input leaves no file behind.
    await run_in_threadpool(loaded.store, console.settings.data_dir)
    done = "drafted" if added.drafted else "added"
    return RedirectResponse(f"/items/{added.item.id}?done={done}", status_code=303)


async def preview(request: Request) -> Response:
    """The per-network preview of the add form's fields, as JSON, for `static/preview.js`."""
    require(request, Permission.ADD)
    console = _console(request)
    q = request.query_params
    fields = {k: q.get(k, "")[:20000] for k in ("url", "title", "text", "category", "tags")}
    context = _add_context(console, fields, q.getlist("channel"))
    return JSONResponse(context["previews"])


routes = [
    Route("/queue", queue_list, methods=["GET"]),
    Route("/items/{item_id:int}", item_page, methods=["GET"]),
    Route("/items/{item_id:int}/approve", approve, methods=["POST"]),
    Route("/items/{item_id:int}/cancel", cancel, methods=["POST"]),
    Route("/add", add_page, methods=["GET"]),
    Route("/add", add, methods=["POST"]),
    Route("/add/read", read_page, methods=["POST"]),
    Route("/preview", preview, methods=["GET"]),
]
