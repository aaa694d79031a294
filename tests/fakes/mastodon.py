"""A fake Mastodon instance with one account, on the shared `FakeServer`.

It answers what the Mastodon adapter asks, with bodies shaped like Mastodon's entities:

- `POST /api/v1/statuses` (form `status`, optional `in_reply_to_id`: a reply, to a status
  that must exist, else 404; header `Idempotency-Key`) -> a Status. A repeated
  Idempotency-Key from the same token answers the status it already made and creates nothing,
  as Mastodon does (it keeps keys for an hour; the fake keeps them for its life). A text over
  `max_characters` (each link counting 23) -> 422 `{"error": "Validation failed: Text character
  limit of N exceeded"}`;
- `GET /api/v1/statuses/:id` -> a Status with `favourites_count`, `reblogs_count`,
  `replies_count`; unknown -> 404 `{"error": "Record not found"}`;
- `GET /api/v1/accounts/verify_credentials` -> a CredentialAccount;
- `GET /api/v1/accounts/:id/statuses?limit=&max_id=` -> Statuses, newest first;
- `GET /api/v2/instance` -> an Instance with `configuration.statuses.max_characters` and
  `configuration.media_attachments` (`media_config`);
  `GET /api/v1/instance` -> its version (Mastodon.py reads it to choose the media endpoint);
- `POST /api/v2/media` (multipart `file`, `description`) -> a MediaAttachment: 200 with its
  `url`, or 202 with `url` null while the instance "processes" it (`processing_reads`: how many
  reads of `GET /api/v1/media/:id` still answer 206 with `url` null); a file above
  `upload_limit` bytes -> 413, as the instance's proxy refuses a body too large;
- `POST /api/v1/statuses` with `media_ids[]`: each must be this account's, processed (else
  422 "Cannot attach files that have not finished processing"), and not in another status (else
  422): the status carries them as `media_attachments`, each with its `description`.

Authentication is `Authorization: Bearer TOKEN`; a wrong or revoked token -> 401
`{"error": "The access token is invalid"}`. `rate_limited(reset)` builds the 429 fault Mastodon
sends (`X-RateLimit-*` headers). `statuses` is the fake's record of what was created.
"""

from __future__ import annotations

import html
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

from .multipart import parts
from .server import FakeServer, Fault, Reply, Request

__all__ = ["FakeMastodon", "MastoMedia", "MastoStatus", "rate_limited"]

_URL = re.compile(r"https?://[^\s<>\"]+")


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def rate_limited(reset: datetime) -> Fault:
    """The 429 Mastodon answers once an account's limit is spent."""
    return Fault.respond(
        429,
        {"error": "Too many requests"},
        {
            "X-RateLimit-Limit": "300",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": _iso(reset),
        },
    )


def _linkify(text: str) -> str:
    """Plain text as Mastodon renders it: paragraphs, line breaks, links split in spans."""

    def link(m: re.Match[str]) -> str:
        url = m.group(0)
        scheme, _, rest = url.partition("://")
        return (
            f'<a href="{url}" target="_blank" rel="nofollow noopener noreferrer" translate="no">'
            f'<span class="invisible">{scheme}://</span><span class="ellipsis">{rest[:30]}</span>'
            f'<span class="invisible">{rest[30:]}</span></a>'
        )

    paragraphs = []
    for para in text.split("\n\n"):
        escaped = html.escape(para, quote=False)
        paragraphs.append("<p>" + _URL.sub(link, escaped).replace("\n", "<br />") + "</p>")
    return "".join(paragraphs)


@dataclass
class MastoStatus:
    id: str
    text: str
    created_at: datetime
    idempotency_key: str | None
    favourites: int = 0
    reblogs: int = 0
    replies: int = 0
    in_reply_to_id: str | None = None  # a thread's part: the status it answers
    media_ids: tuple[str, ...] = ()


@dataclass
class MastoMedia:
    """One uploaded file: its bytes, as the client sent them, and its description."""

    id: str
    data: bytes
    mime: str
    description: str
    reads_left: int  # reads answering `url` null before it is processed
    status_id: str | None = None


class FakeMastodon:
    """One account on one instance: install it on a server, point the adapter at `server.url`."""

    STATUSES = "/api/v1/statuses"
    STATUS = "/api/v1/statuses/:id"
    ME = "/api/v1/accounts/verify_credentials"
    ACCOUNT_STATUSES = "/api/v1/accounts/:id/statuses"
    INSTANCE = "/api/v2/instance"
    INSTANCE_V1 = "/api/v1/instance"
    MEDIA = "/api/v2/media"
    MEDIA_ONE = "/api/v1/media/:id"

    def __init__(
        self,
        server: FakeServer,
        *,
        token: str = "masto-token",
        username: str = "xen",
        followers: int = 987,
        max_characters: int = 500,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.server, self.token, self.username = server, token, username
        self.followers, self.max_characters, self.clock = followers, max_characters, clock
        self.account_id = "109876543210"
        self.statuses: list[MastoStatus] = []
        self.revoked = False
        self._ids = itertools.count(113000000000000001)
        self._keys: dict[str, str] = {}
        self.media: list[MastoMedia] = []
        self.processing_reads = 0  # reads a new upload answers `url` null (0: processed at once)
        self.upload_limit = 16 * 1024 * 1024
        # What `/api/v2/instance` says of images (Mastodon's defaults; `description_limit` is
        # Mastodon 4.4's): a test lowers them to see the adapter read them before uploading.
        self.media_config: dict[str, object] = {
            "supported_mime_types": ["image/jpeg", "image/png", "image/gif", "image/webp"],
            "description_limit": 1500,
            "image_size_limit": 16777216,
            "image_matrix_limit": 33177600,
            "video_size_limit": 103809024,
            "video_frame_rate_limit": 120,
            "video_matrix_limit": 8294400,
        }
        self._media_ids = itertools.count(113500000000000001)
        server.route("POST", self.STATUSES, self._create)
        server.route("GET", self.STATUS, self._status)
        server.route("GET", self.ME, self._me)
        server.route("GET", self.ACCOUNT_STATUSES, self._list)
        server.route("GET", self.INSTANCE, self._instance)
        server.route("GET", self.INSTANCE_V1, self._instance_v1)
        server.route("POST", self.MEDIA, self._upload)
        server.route("GET", self.MEDIA_ONE, self._media_one)

    def revoke(self) -> None:
        self.revoked = True

    def status(self, status_id: str) -> MastoStatus:
        return next(s for s in self.statuses if s.id == status_id)

    def upload(self, media_id: str) -> MastoMedia:
        return next(m for m in self.media if m.id == media_id)

    def _attachment(self, m: MastoMedia) -> dict[str, Any]:
        ready = m.reads_left <= 0
        return {
            "id": m.id,
            "type": "image",
            "url": f"{self.server.url}/system/media/{m.id}" if ready else None,
            "preview_url": f"{self.server.url}/system/media/{m.id}/small",
            "remote_url": None,
            "text_url": None,
            "meta": {},
            "description": m.description,
            "blurhash": None,
        }

    # -- entities --------------------------------------------------------------------------

    def _account(self) -> dict[str, Any]:
        return {
            "id": self.account_id,
            "username": self.username,
            "acct": self.username,
            "display_name": "The Xen Project",
            "locked": False,
            "bot": True,
            "created_at": "2022-11-01T00:00:00.000Z",
            "note": "<p>Posts from the Xen Project</p>",
            "url": f"{self.server.url}/@{self.username}",
            "avatar": f"{self.server.url}/avatars/original/missing.png",
            "header": f"{self.server.url}/headers/original/missing.png",
            "followers_count": self.followers,
            "following_count": 12,
            "statuses_count": len(self.statuses),
            "last_status_at": None,
            "emojis": [],
            "fields": [],
        }

    def _entity(self, s: MastoStatus) -> dict[str, Any]:
        return {
            "id": s.id,
            "created_at": _iso(s.created_at),
            "in_reply_to_id": s.in_reply_to_id,
            "in_reply_to_account_id": self.account_id if s.in_reply_to_id else None,
            "sensitive": False,
            "spoiler_text": "",
            "visibility": "public",
            "language": "en",
            "uri": f"{self.server.url}/users/{self.username}/statuses/{s.id}",
            "url": f"{self.server.url}/@{self.username}/{s.id}",
            "replies_count": s.replies,
            "reblogs_count": s.reblogs,
            "favourites_count": s.favourites,
            "edited_at": None,
            "content": _linkify(s.text),
            "reblog": None,
            "application": {"name": "xensocial", "website": None},
            "account": self._account(),
            "media_attachments": [self._attachment(self.upload(i)) for i in s.media_ids],
            "mentions": [],
            "tags": [],
            "emojis": [],
            "card": None,
            "poll": None,
        }

    # -- routes ----------------------------------------------------------------------------

    def _auth(self, request: Request) -> Reply | None:
        if request.headers.get("authorization") != f"Bearer {self.token}" or self.revoked:
            return Reply(401, {"error": "The access token is invalid"})
        return None

    def _create(self, request: Request) -> Reply:
        denied = self._auth(request)
        if denied:
            return denied
        key = request.headers.get("idempotency-key")
        if key and key in self._keys:
            return Reply(200, self._entity(self.status(self._keys[key])))
        text = request.form.get("status", "")
        length = len(_URL.sub("x" * 23, text))
        if not text.strip():
            return Reply(422, {"error": "Validation failed: Text can't be blank"})
        if length > self.max_characters:
            return Reply(
                422,
                {
                    "error": "Validation failed: Text character limit of "
                    f"{self.max_characters} exceeded"
                },
            )
        parent = request.form.get("in_reply_to_id") or None
        if parent is not None and not any(s.id == parent for s in self.statuses):
            return Reply(404, {"error": "Record not found"})  # Mastodon: the parent is unknown
        media_ids = tuple(parse_qs(request.body.decode()).get("media_ids[]", []))
        for media_id in media_ids:
            found = [m for m in self.media if m.id == media_id]
            if not found or found[0].status_id is not None:
                return Reply(422, {"error": f"Validation failed: media {media_id} cannot be used"})
            if found[0].reads_left > 0:
                return Reply(
                    422,
                    {
                        "error": "Cannot attach files that have not finished processing. "
                        "Try again in a moment!"
                    },  # fmt: skip
                )
        status = MastoStatus(
            str(next(self._ids)),
            text,
            self.clock(),
            key,
            in_reply_to_id=parent,
            media_ids=media_ids,
        )
        for media_id in media_ids:
            self.upload(media_id).status_id = status.id
        self.statuses.append(status)
        if key:
            self._keys[key] = status.id
        return Reply(200, self._entity(status))

    def _status(self, request: Request) -> Reply:
        denied = self._auth(request)
        if denied:
            return denied
        found = [s for s in self.statuses if s.id == request.params["id"]]
        if not found:
            return Reply(404, {"error": "Record not found"})
        return Reply(200, self._entity(found[0]))

    def _me(self, request: Request) -> Reply:
        denied = self._auth(request)
        if denied:
            return denied
        account = self._account()
        account["source"] = {"privacy": "public", "sensitive": False, "language": "en", "note": ""}
        return Reply(200, account)

    def _list(self, request: Request) -> Reply:
        denied = self._auth(request)
        if denied:
            return denied
        if request.params["id"] != self.account_id:
            return Reply(404, {"error": "Record not found"})
        limit = min(int(request.arg("limit", "20") or 20), 40)
        max_id = request.arg("max_id")
        newest_first = sorted(self.statuses, key=lambda s: int(s.id), reverse=True)
        if max_id:
            newest_first = [s for s in newest_first if int(s.id) < int(max_id)]
        return Reply(200, [self._entity(s) for s in newest_first[:limit]])

    def _upload(self, request: Request) -> Reply:
        denied = self._auth(request)
        if denied:
            return denied
        if len(request.body) > self.upload_limit:
            return Reply(413, b"<html><body><h1>413 Request Entity Too Large</h1></body></html>")
        fields = parts(request)
        if "file" not in fields:
            return Reply(422, {"error": "Validation failed: File can't be blank"})
        f = fields["file"]
        description = fields["description"].text if "description" in fields else ""
        media = MastoMedia(
            str(next(self._media_ids)),
            f.data,
            f.content_type or "",
            description,
            self.processing_reads,
        )
        self.media.append(media)
        return Reply(202 if media.reads_left > 0 else 200, self._attachment(media))

    def _media_one(self, request: Request) -> Reply:
        denied = self._auth(request)
        if denied:
            return denied
        found = [m for m in self.media if m.id == request.params["id"]]
        if not found:
            return Reply(404, {"error": "Record not found"})
        media = found[0]
        reply = Reply(206 if media.reads_left > 0 else 200, self._attachment(media))
        media.reads_left -= 1
        return reply

    def _instance_v1(self, request: Request) -> Reply:
        return Reply(200, {"uri": self.server.url.split("://", 1)[1], "version": "4.3.2"})

    def _instance(self, request: Request) -> Reply:
        host = self.server.url.split("://", 1)[1]
        return Reply(
            200,
            {
                "domain": host,
                "title": "Fake Social",
                "version": "4.3.2",
                "source_url": "https://github.com/mastodon/mastodon",
                "description": "A fake instance for tests",
                "usage": {"users": {"active_month": 3}},
                "languages": ["en"],
                "api_versions": {"mastodon": 6},
                "configuration": {
                    "urls": {"streaming": f"ws://{host}"},
                    "accounts": {"max_featured_tags": 10},
                    "statuses": {
                        "max_characters": self.max_characters,
                        "max_media_attachments": 4,
                        "characters_reserved_per_url": 23,
                    },
                    "media_attachments": self.media_config,
                    "polls": {"max_options": 4},
                },
                "registrations": {"enabled": False, "approval_required": False},
                "contact": {"email": "admin@example.org"},
                "rules": [],
            },
        )
