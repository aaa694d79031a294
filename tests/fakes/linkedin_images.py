"""LinkedIn's Images API, faked, for the fake REST API in `tests.fakes.linkedin`.

- `POST /rest/images?action=initializeUpload` with `{"initializeUploadRequest": {"owner":
  URN}}` -> `{"value": {"uploadUrlExpiresAt", "uploadUrl", "image": "urn:li:image:..."}}`
  (an owner other than the page -> 403);
- `PUT uploadUrl` with the bytes and the bearer token -> 201 with an empty body.

`images` records each registered image: its owner, and its bytes and their type once PUT. The
fake REST API accepts an article `thumbnail` only when it names an uploaded image of its page,
and so a post's `content.media` (`{"id", "altText"}`) or `content.multiImage.images` (two to
twenty of them; `post_media`): each an uploaded image of the page, its `altText` at most 4,086
characters, else 422. A PUT body above `upload_limit` -> 413.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .server import FakeServer, Reply, Request

if TYPE_CHECKING:
    from .linkedin import FakeLinkedIn

__all__ = ["FakeLinkedInImages", "LinkedInImage"]


@dataclass
class LinkedInImage:
    """One image registered with initializeUpload; `data` once its bytes were PUT."""

    urn: str
    owner: str
    upload_path: str
    data: bytes | None = None
    content_type: str | None = None


class FakeLinkedInImages:
    """The Images API of the page `api` fakes."""

    IMAGES = "/rest/images"
    UPLOAD = "/dms-uploads/:asset/uploaded-image/0"

    def __init__(self, server: FakeServer, api: FakeLinkedIn) -> None:
        self.api = api
        self.images: dict[str, LinkedInImage] = {}
        self._assets = itertools.count(1)
        self.upload_limit = 50 * 1024 * 1024
        server.route("POST", self.IMAGES, self._initialize_upload)
        server.route("PUT", self.UPLOAD, self._upload)

    def _initialize_upload(self, request: Request) -> Reply:
        denied = self.api.check(request, "w_organization_social")
        if denied:
            return denied
        if request.arg("action") != "initializeUpload":
            return Reply(400, _error(400, "ILLEGAL_ARGUMENT", "unknown action"))
        body = request.json()
        owner = (body or {}).get("initializeUploadRequest", {}).get("owner")
        if owner != self.api.urn:
            return Reply(403, _error(403, "ACCESS_DENIED", f"Not enough permissions for {owner}"))
        asset = f"D4E10AQH{next(self._assets):08d}"
        urn = f"urn:li:image:{asset}"
        path = self.UPLOAD.replace(":asset", asset)
        self.images[urn] = LinkedInImage(urn, owner, path)
        expires = self.api.clock().timestamp() + 24 * 3600
        return Reply(
            200,
            {
                "value": {
                    "uploadUrlExpiresAt": int(expires * 1000),
                    "uploadUrl": f"{self.api.server.url}{path}?ca=vector_feedshare&cn=uploads"
                    f"&m=AQ{asset}&app=201094746&sync=0&v=beta&ut=2yUDo",
                    "image": urn,
                }
            },
        )

    def _upload(self, request: Request) -> Reply:
        auth = request.headers.get("authorization", "")
        if self.api.oauth.check(auth.removeprefix("Bearer ")) is not None:
            return Reply(401, _error(401, "INVALID_ACCESS_TOKEN", "Invalid access token", 65600))
        if len(request.body) > self.upload_limit:
            return Reply(413, _error(413, "REQUEST_ENTITY_TOO_LARGE", "the image is too large"))
        found = [i for i in self.images.values() if i.upload_path == request.path]
        if not found or not request.body:
            return Reply(400, _error(400, "ILLEGAL_ARGUMENT", "no such upload, or no bytes"))
        found[0].data = request.body
        found[0].content_type = request.headers.get("content-type")
        return Reply(201, None)

    def post_media(self, content: dict[str, Any]) -> tuple[tuple[str, str], ...] | Reply:
        """The (image URN, alt text) pairs a post's content names, or LinkedIn's 422."""
        if "media" in content:
            named = [content["media"]]
        elif "multiImage" in content:
            named = list((content["multiImage"] or {}).get("images") or [])
            if not 2 <= len(named) <= 20:
                return Reply(422, _error(422, "UNPROCESSABLE_ENTITY", "2 to 20 images"))
        else:
            return ()
        out = []
        for entry in named:
            urn, alt = entry.get("id"), entry.get("altText", "")
            image = self.images.get(urn)
            if image is None or image.owner != self.api.urn or image.data is None:
                return Reply(422, _error(422, "UNPROCESSABLE_ENTITY", f"{urn} is not uploaded"))
            if not isinstance(alt, str) or len(alt) > 4086:
                return Reply(422, _error(422, "UNPROCESSABLE_ENTITY", "altText too long"))
            out.append((urn, alt))
        return tuple(out)


def _error(status: int, code: str, message: str, service_code: int | None = None) -> object:
    from .linkedin import error  # (imported here: `linkedin` imports this module)

    return error(status, code, message, service_code)
