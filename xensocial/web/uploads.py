"""Images sent with the add and edit forms: the request bounded before it is read, each file
then checked from its bytes by the CLI's rules, in its words (`media.attach.load_uploads`).

Why a bound of our own: Starlette caps each plain field (1 MiB) but spools uploaded files to
disk with no limit, so a client could send gigabytes. A body larger than `UPLOAD_LIMIT` (four
images of the most any network takes, Mastodon's 16 MiB, and a margin for the other fields)
is refused with 413 before it is parsed when its Content-Length says so, and as soon as the
count passes the limit when it does not (a chunked body). What the client says of a file, its
name and its type, decides nothing: the bytes do (`media.probe`). The name, cleaned and cut
short, only helps staff see which file a refusal is about.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request

from content_queue.limits import MAX_IMAGES

from ..adapters import media_limits
from ..errors import UsageError
from ..media.probe import MAX_FILE_BYTES

if TYPE_CHECKING:
    from starlette.types import Message

    from ..media.attach import LoadedImages

__all__ = [
    "FORM_MARGIN",
    "LARGEST_IMAGE",
    "TOO_LARGE",
    "UPLOAD_LIMIT",
    "bounded_form",
    "edited_images",
    "file_too_large",
    "form_images",
    "image_fields",
    "read_images",
]

FORM_MARGIN = 1024 * 1024
"""Room for a form's other fields and the multipart framing beside its files."""
# The most bytes any network takes in one image (an image over a network's own limit is
# re-encoded down to it at upload, so more would be sent for nothing).
LARGEST_IMAGE = max(getattr(media_limits, name).max_bytes or 0 for name in media_limits.__all__)
UPLOAD_LIMIT = MAX_IMAGES * LARGEST_IMAGE + FORM_MARGIN
TOO_LARGE = (
    f"The form is larger than {UPLOAD_LIMIT:,} bytes, the console's limit ({MAX_IMAGES} images "
    f"of at most {LARGEST_IMAGE:,} bytes, the most a network takes): nothing was saved; "
    "choose smaller images."
)
_NAME_LENGTH = 60


def file_too_large(limit: int) -> str:
    """The refusal of a CSV import's form larger than the import's own file limit allows."""
    return (
        f"The form is larger than {limit:,} bytes, more than the import's file limit "
        "(`[imports] max_file_size`) allows: nothing was imported."
    )


async def bounded_form(
    request: Request, limit: int = UPLOAD_LIMIT, too_large: str = TOO_LARGE
) -> FormData:
    """The POSTed form, parsed only while its body stays within `limit` (the images' by
    default); HTTPException(413, `too_large`) as soon as it does not."""
    declared = request.headers.get("content-length", "").strip()
    if declared and (not declared.isdigit() or int(declared) > limit):
        raise HTTPException(413, too_large)
    inner = request.receive
    seen = 0

    async def counted() -> Message:
        nonlocal seen
        message = await inner()
        seen += len(message.get("body", b""))
        if seen > limit:
            raise HTTPException(413, too_large)
        return message

    # Twice the images an item takes: a fifth image is then refused in the CLI's words.
    return await Request(request.scope, counted).form(max_files=2 * MAX_IMAGES, max_fields=100)


def _shown_name(filename: str | None) -> str:
    """The file's name as the client sent it, for a refusal only: its last part, without
    control characters, cut short (the page escapes it like any text)."""
    last = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    clean = " ".join("".join(c if c.isprintable() else " " for c in last).split())
    return clean if len(clean) <= _NAME_LENGTH else clean[: _NAME_LENGTH - 1] + "…"


async def form_images(form: FormData) -> list[tuple[str, bytes, str | None]]:
    """The images the form sends, in order, as `load_uploads` takes them: (how a refusal
    names it, `1 (photo.png)`; its bytes; its alt text, "" when "decorative" is ticked, None
    when neither is given). A file field left empty is no image; alt text for it is refused,
    as `--alt` with no `--image`."""
    alts = [str(a) for a in form.getlist("alt")]
    decorative = {str(d) for d in form.getlist("decorative")}
    out: list[tuple[str, bytes, str | None]] = []
    for n, upload in enumerate(form.getlist("image"), 1):
        alt = alts[n - 1].strip() if n <= len(alts) else ""
        data = await upload.read(MAX_FILE_BYTES + 1) if isinstance(upload, UploadFile) else b""
        if not data and not (isinstance(upload, UploadFile) and upload.filename):
            if alt:
                raise UsageError(f"alt text for image {n}, but no file was chosen for it")
            continue
        name = _shown_name(upload.filename if isinstance(upload, UploadFile) else None)
        label = f"{n} ({name})" if name else str(n)
        out.append((label, data, alt or ("" if str(n) in decorative else None)))
    return out


async def read_images(form: FormData) -> LoadedImages:
    """The form's images read and checked (`media.attach.load_uploads`), not stored yet."""
    return await _checked(await form_images(form))


async def edited_images(form: FormData) -> LoadedImages | None:
    """The images the edit form gives the item: those it sends (they replace the item's, as
    `queue edit --image` does), none when "remove all images" is ticked (`--no-images`), or
    None when it asks for neither (the item's images stay)."""
    uploads = await form_images(form)
    if form.get("no_images") == "yes":
        if uploads:
            raise UsageError('"Remove all images" removes them; choose no new image with it')
    elif not uploads:
        return None
    return await _checked(uploads)


async def _checked(uploads: list[tuple[str, bytes, str | None]]) -> LoadedImages:
    from starlette.concurrency import run_in_threadpool

    from ..media.attach import load_uploads

    return await run_in_threadpool(load_uploads, uploads)  # Pillow decodes: off the loop


def image_fields(form: FormData | None = None) -> dict[str, Any]:
    """What the image fields of the add and edit forms show: the limits, and, when a refused
    form is shown again, the alt texts and "decorative" boxes it sent (a browser never fills
    a file field again)."""
    alts = [str(a) for a in form.getlist("alt")] if form is not None else []
    ticked = [str(d) for d in form.getlist("decorative")] if form is not None else []
    return {
        "image_slots": range(1, MAX_IMAGES + 1),
        "image_alts": alts + [""] * (MAX_IMAGES - len(alts)),
        "image_decorative": ticked,
        "upload_limit": f"{UPLOAD_LIMIT / (1024 * 1024):.0f} MiB",
    }
