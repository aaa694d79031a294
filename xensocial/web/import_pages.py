"""Importing a CSV file in the console: the same import, and the same report, as `queue import`.

The uploaded file is written to a private temporary folder and imported by
`importing.import_csv`, in one transaction: with bad rows nothing is imported unless "import
the good rows" (`--skip-bad`) is ticked, and the page lists what was added, skipped as a
duplicate, made a draft for having no words, and refused, by line, in the CLI's words. An
editor's rows are imported as drafts, for an approver.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from content_queue.errors import ImportFailed, QueueError

from ..accounts import Permission, allows
from ..errors import BadInput
from ..importing import import_csv
from .auth import require
from .csrf import checked_form

if TYPE_CHECKING:
    from .app import Console

__all__ = ["routes"]

_CHUNK = 1 << 16


async def import_page(request: Request) -> Response:
    require(request, Permission.ADD)
    console: Console = request.app.state.console
    return console.render(request, "import.html", {"report": None})


async def _save(upload: UploadFile, folder: Path, limit: int) -> Path:
    """The upload in `folder`, copied up to `limit` + 1 bytes: one byte over is enough for the
    import's own size check to refuse it in its words."""
    path = folder / "upload.csv"
    copied = 0
    with path.open("wb") as out:
        while copied <= limit:
            chunk = await upload.read(_CHUNK)
            if not chunk:
                break
            out.write(chunk)
            copied += len(chunk)
    return path


async def import_file(request: Request) -> Response:
    console: Console = request.app.state.console
    form = await checked_form(request, file_limit=console.settings.imports.max_file_bytes)
    account = require(request, Permission.ADD)
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return console.render(
            request, "import.html", {"report": None, "error": "Choose a CSV file."}, status_code=400
        )
    name = upload.filename[:200]
    review = allows(account.role, Permission.REVIEW)
    try:
        with tempfile.TemporaryDirectory(prefix="xensocial-import-") as folder:
            path = await _save(upload, Path(folder), console.settings.imports.max_file_bytes)
            done = await run_in_threadpool(
                lambda: import_csv(
                    console.settings,
                    console.queue,
                    path,
                    by=account.name,
                    draft=not (review and form.get("approve") == "yes"),
                    skip_bad=form.get("skip_bad") == "yes",
                    allow_duplicate=False,
                    name=name,
                )
            )
    except ImportFailed as exc:
        context = {"report": None, "error": str(exc).splitlines()[0], "refused": exc.errors}
        return console.render(request, "import.html", context, status_code=400)
    except (QueueError, BadInput) as exc:
        return console.render(
            request, "import.html", {"report": None, "error": str(exc)}, status_code=400
        )
    return console.render(request, "import.html", {"report": done, "name": name})


routes = [
    Route("/import", import_page, methods=["GET"]),
    Route("/import", import_file, methods=["POST"]),
]
