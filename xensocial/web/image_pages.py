"""An item's images, for the thumbnails of its page: served from the media folder by their
SHA-256, only to signed-in staff.

The file is found from the item's own record (`item_images`: its hash and type), never from a
path the request spells, so nothing outside the media folder can be asked for, and an image is
served only as part of an item that has it. It is sent with the type the record holds (read
from its bytes when it was added, `media.probe`) and `X-Content-Type-Options: nosniff`, so a
browser never takes it for anything else; the console's strict CSP (`img-src 'self'`) lets the
item page show it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..accounts import Permission
from ..media.store import MediaStore
from .auth import require
from .queue_pages import item_or_404

if TYPE_CHECKING:
    from .app import Console

__all__ = ["routes"]


async def item_image(request: Request) -> Response:
    require(request, Permission.READ)
    console: Console = request.app.state.console
    item_id = int(request.path_params["item_id"])
    wanted = str(request.path_params["sha256"])
    image = next((i for i in item_or_404(console, item_id).images if i.sha256 == wanted), None)
    if image is None:
        raise HTTPException(404, f"item {item_id} has no such image")
    path = MediaStore(console.settings.data_dir).path(image.sha256, image.mime)
    try:
        data = await run_in_threadpool(path.read_bytes)
    except FileNotFoundError:
        raise HTTPException(404, f"the file of image {wanted} is not in the media folder") from None
    return Response(
        data,
        media_type=image.mime,
        headers={"X-Content-Type-Options": "nosniff", "Content-Disposition": "inline"},
    )


routes = [Route("/items/{item_id:int}/images/{sha256}", item_image, methods=["GET"])]
