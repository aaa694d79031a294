"""A fake Bluesky PDS with one account, on the shared `FakeServer`, speaking XRPC over HTTP.

Endpoints (all under `/xrpc/`), with bodies shaped as the lexicons say:

- `POST com.atproto.server.createSession` `{"identifier", "password"}` -> `{"accessJwt",
  "refreshJwt", "handle", "did", "didDoc", "active"}`; a wrong password (or a revoked app
  password) -> 401 `{"error": "AuthenticationRequired", "message": "Invalid identifier or
  password"}`. `sessions_created` counts the sessions it made (the call bsky.social limits to
  30 per 5 minutes and 300 a day per account).
- `POST com.atproto.server.refreshSession` (Bearer refresh token) -> the same shape, new tokens;
  the old refresh token is spent. A spent or revoked one -> 400 `ExpiredToken`/`InvalidToken`.
  `refreshes` counts the sessions it renewed.
- `GET com.atproto.server.getSession` -> `{"handle", "did", "email", "emailConfirmed", "didDoc",
  "active"}`: answered by the PDS itself, AppView or not.
- `POST com.atproto.repo.createRecord` `{"repo", "collection", "record", "rkey"?}` -> `{"uri",
  "cid", "commit": {"cid", "rev"}, "validationStatus": "valid"}`. A post above 3,000 bytes or
  300 graphemes (the lexicon's `maxLength` and `maxGraphemes`, refused with the lexicon
  validator's own words), or with a facet whose byte range does not cut the UTF-8 text at its
  link or `#tag` -> 400 `InvalidRequest`; an existing `rkey` -> 500 `InternalServerError`, as
  the reference PDS answers. A `reply` must hold `root` and `parent` strong references (uri
  and cid), or 400 as the lexicon's validator refuses it.
- `POST com.atproto.repo.uploadBlob` (raw bytes) -> `{"blob": {"$type": "blob", "ref":
  {"$link": CID}, "mimeType", "size"}}`; a body above `upload_limit` -> 413 `PayloadTooLarge`.
  A post's `app.bsky.embed.images` is checked as the lexicon and PDS check it: at most four,
  each an uploaded blob of `image/*` up to 1,000,000 bytes, with a string `alt`, and an
  `aspectRatio` of positive integers when given (else 400 `InvalidRequest`).
- `GET com.atproto.repo.listRecords?repo&collection&limit&cursor` -> `{"records": [{"uri",
  "cid", "value"}], "cursor"}`, newest first (by record key).
- `GET app.bsky.feed.getAuthorFeed?actor&limit&cursor` -> `{"feed": [{"post": PostView}]}`.
- `GET app.bsky.feed.getPosts?uris=...` (at most 25) -> `{"posts": [PostView]}`, unknown URIs
  left out; more than 25 -> 400 `InvalidRequest`.
- `GET app.bsky.actor.getProfile?actor` -> a ProfileViewDetailed with `followersCount`.

The `app.bsky.*` methods are the AppView's, which the PDS proxies to: with `appview = False`
(a PDS with no AppView configured) they answer 501 `MethodNotImplemented`, as an XRPC server
answers a method it does not serve.

Tokens are JWT-shaped, their `iat` and `exp` from the fake's clock: an access token expires
two hours after it is issued, a refresh token after 90 days, and the server refuses an expired
one as `ExpiredToken` (400, as the Bluesky PDS answers), so a test moves the clock to expire
them. `expire_tokens()` makes the server refuse every access token issued so far at once,
`revoke()` refuses every token and the app password. Errors are XRPC errors: `{"error": NAME,
"message": TEXT}`. `rate_limited(reset)` builds the 429 with `ratelimit-*` headers. `posts` is
the fake's record of what was created (the judge).
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from .bluesky_records import invalid_images, invalid_post
from .server import FakeServer, Fault, Reply, Request

__all__ = ["BskyPost", "FakeBluesky", "rate_limited", "tid"]

_B32_SORT = "234567abcdefghijklmnopqrstuvwxyz"
_XRPC = "/xrpc/"


def tid(micros: int, clock_id: int = 0) -> str:
    """A TID (timestamp id): 53 bits of microseconds, 10 of clock id, base32-sortable."""
    n = (micros << 10) | (clock_id & 0x3FF)
    return "".join(_B32_SORT[(n >> (5 * i)) & 31] for i in reversed(range(13)))


def _cid(data: bytes) -> str:
    return "bafyrei" + base64.b32encode(hashlib.sha256(data).digest()).decode().lower()[:52]


def _iso(at: datetime) -> str:
    at = at.astimezone(UTC)
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def _jwt(claims: dict[str, Any]) -> str:
    def part(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    return f"{part({'typ': 'at+jwt', 'alg': 'ES256K'})}.{part(claims)}.c2lnbmF0dXJl"


def xrpc_error(status: int, error: str, message: str) -> Reply:
    return Reply(status, {"error": error, "message": message})


def rate_limited(reset: datetime) -> Fault:
    """The 429 a PDS answers once a limit is spent (its `ratelimit-reset` in epoch seconds)."""
    return Fault.respond(
        429,
        {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
        {
            "ratelimit-limit": "5000",
            "ratelimit-remaining": "0",
            "ratelimit-reset": str(int(reset.timestamp())),
            "ratelimit-policy": "5000;w=3600",
        },
    )


@dataclass
class BskyPost:
    rkey: str
    record: dict[str, Any]
    cid: str
    indexed_at: datetime
    likes: int = 0
    reposts: int = 0
    replies: int = 0
    quotes: int = 0
    uri: str = field(default="")

    @property
    def text(self) -> str:
        return str(self.record.get("text", ""))


class FakeBluesky:
    """One account on one PDS: install it on a server, point the adapter at `server.url`."""

    CREATE_SESSION = _XRPC + "com.atproto.server.createSession"
    REFRESH_SESSION = _XRPC + "com.atproto.server.refreshSession"
    CREATE_RECORD = _XRPC + "com.atproto.repo.createRecord"
    UPLOAD_BLOB = _XRPC + "com.atproto.repo.uploadBlob"
    LIST_RECORDS = _XRPC + "com.atproto.repo.listRecords"
    AUTHOR_FEED = _XRPC + "app.bsky.feed.getAuthorFeed"
    GET_POSTS = _XRPC + "app.bsky.feed.getPosts"
    GET_PROFILE = _XRPC + "app.bsky.actor.getProfile"
    GET_SESSION = _XRPC + "com.atproto.server.getSession"
    ACCESS_LIFETIME = timedelta(hours=2)
    REFRESH_LIFETIME = timedelta(days=90)

    def __init__(
        self,
        server: FakeServer,
        *,
        handle: str = "xen.bsky.social",
        password: str = "abcd-efgh-ijkl-mnop",
        followers: int = 4321,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.server, self.handle, self.password = server, handle, password
        self.followers, self.clock = followers, clock
        self.did = (
            "did:plc:"
            + base64.b32encode(hashlib.sha256(handle.encode()).digest())[:24].decode().lower()
        )
        self.posts: list[BskyPost] = []
        self.blobs: dict[str, bytes] = {}
        self.upload_limit = 50 * 1024 * 1024
        self.revoked = False
        self.appview = True
        self.sessions_created = 0
        self.refreshes = 0
        self._access: dict[str, datetime] = {}  # token -> when it expires
        self._refresh: dict[str, datetime] = {}
        self._serial = itertools.count(1)
        self._clock_id = itertools.count(1)
        routes: list[tuple[str, str, Callable[[Request], Reply]]] = [
            ("POST", self.CREATE_SESSION, self._create_session),
            ("POST", self.REFRESH_SESSION, self._refresh_session),
            ("GET", self.GET_SESSION, self._get_session),
            ("POST", self.CREATE_RECORD, self._create_record),
            ("POST", self.UPLOAD_BLOB, self._upload_blob),
            ("GET", self.LIST_RECORDS, self._list_records),
            ("GET", self.AUTHOR_FEED, self._appview(self._author_feed)),
            ("GET", self.GET_POSTS, self._appview(self._get_posts)),
            ("GET", self.GET_PROFILE, self._appview(self._get_profile)),
        ]
        for method, path, handler in routes:
            server.route(method, path, handler)

    # -- programming -----------------------------------------------------------------------

    def revoke(self) -> None:
        """The app password was revoked: it and every token issued with it stop working."""
        self.revoked = True

    def expire_tokens(self) -> None:
        """Every access token issued so far has expired; refresh tokens still work."""
        self._access.clear()

    def post(self, rkey: str) -> BskyPost:
        return next(p for p in self.posts if p.rkey == rkey)

    # -- entities --------------------------------------------------------------------------

    def _session(self) -> dict[str, Any]:
        now, n = self.clock(), next(self._serial)
        common = {"sub": self.did, "iat": int(now.timestamp()), "jti": f"t{n}"}
        access_exp, refresh_exp = now + self.ACCESS_LIFETIME, now + self.REFRESH_LIFETIME
        access = _jwt(
            {**common, "scope": "com.atproto.appPass", "exp": int(access_exp.timestamp())}
        )
        refresh = _jwt(
            {**common, "scope": "com.atproto.refresh", "exp": int(refresh_exp.timestamp())}
        )
        self._access[access] = access_exp
        self._refresh[refresh] = refresh_exp
        return {
            "accessJwt": access,
            "refreshJwt": refresh,
            "handle": self.handle,
            "did": self.did,
            "didDoc": self._did_doc(),
            "active": True,
        }

    def _did_doc(self) -> dict[str, Any]:
        return {
            "@context": ["https://www.w3.org/ns/did/v1"],
            "id": self.did,
            "alsoKnownAs": [f"at://{self.handle}"],
            "verificationMethod": [],
            "service": [
                {
                    "id": "#atproto_pds",
                    "type": "AtprotoPersonalDataServer",
                    "serviceEndpoint": self.server.url,
                }
            ],
        }

    def _author(self) -> dict[str, Any]:
        return {"did": self.did, "handle": self.handle, "displayName": "The Xen Project"}

    def _view(self, p: BskyPost) -> dict[str, Any]:
        view: dict[str, Any] = {
            "uri": p.uri,
            "cid": p.cid,
            "author": self._author(),
            "record": p.record,
            "replyCount": p.replies,
            "repostCount": p.reposts,
            "likeCount": p.likes,
            "quoteCount": p.quotes,
            "indexedAt": _iso(p.indexed_at),
            "labels": [],
        }
        external = (p.record.get("embed") or {}).get("external")
        if external:
            shown = {k: external[k] for k in ("uri", "title", "description")}
            if "thumb" in external:
                shown["thumb"] = f"{self.server.url}/img/{external['thumb']['ref']['$link']}"
            view["embed"] = {"$type": "app.bsky.embed.external#view", "external": shown}
        return view

    # -- routes ----------------------------------------------------------------------------

    def _auth(self, request: Request) -> Reply | None:
        header = request.headers.get("authorization", "")
        token = header.removeprefix("Bearer ")
        if not header.startswith("Bearer "):
            return xrpc_error(401, "AuthenticationRequired", "Authentication Required")
        if self.revoked:
            return xrpc_error(400, "InvalidToken", "Token has been revoked")
        expires = self._access.get(token)
        if expires is None or self.clock() >= expires:
            return xrpc_error(400, "ExpiredToken", "Token has expired")
        return None

    def _appview(self, handler: Callable[[Request], Reply]) -> Callable[[Request], Reply]:
        """`handler`, answered only while the PDS has an AppView to proxy to."""

        def proxied(request: Request) -> Reply:
            if not self.appview:
                return xrpc_error(501, "MethodNotImplemented", "Method Not Implemented")
            return handler(request)

        return proxied

    def _create_session(self, request: Request) -> Reply:
        body = request.json() or {}
        if (
            self.revoked
            or body.get("identifier") not in (self.handle, self.did)
            or body.get("password") != self.password
        ):
            return xrpc_error(401, "AuthenticationRequired", "Invalid identifier or password")
        self.sessions_created += 1
        return Reply(200, self._session())

    def _refresh_session(self, request: Request) -> Reply:
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if self.revoked:
            return xrpc_error(400, "InvalidToken", "Token has been revoked")
        expires = self._refresh.pop(token, None)  # spent, whatever the answer
        if expires is None or self.clock() >= expires:
            return xrpc_error(400, "ExpiredToken", "Token has expired")
        self.refreshes += 1
        return Reply(200, self._session())

    def _get_session(self, request: Request) -> Reply:
        denied = self._auth(request)
        if denied:
            return denied
        return Reply(
            200,
            {
                "handle": self.handle,
                "did": self.did,
                "email": "press@xenproject.example",
                "emailConfirmed": True,
                "didDoc": self._did_doc(),
                "active": True,
            },
        )

    def _create_record(self, request: Request) -> Reply:
        denied = self._auth(request)
        if denied:
            return denied
        body = request.json() or {}
        record = body.get("record") or {}
        if body.get("repo") not in (self.did, self.handle):
            return xrpc_error(400, "InvalidRequest", "Input/repo must be the session's account")
        if body.get("collection") != "app.bsky.feed.post" or record.get("$type") != (
            "app.bsky.feed.post"
        ):
            return xrpc_error(400, "InvalidRequest", "Invalid collection or $type")
        problem = invalid_post(record) or invalid_images(record, self.blobs)
        if problem:
            return xrpc_error(
                400, "InvalidRequest", f"Invalid app.bsky.feed.post record: {problem}"
            )
        now = self.clock()
        rkey = body.get("rkey") or tid(int(now.timestamp() * 1_000_000), next(self._clock_id))
        if any(p.rkey == rkey for p in self.posts):
            return xrpc_error(500, "InternalServerError", "Internal Server Error")
        cid = _cid(json.dumps(record, sort_keys=True).encode() + rkey.encode())
        p = BskyPost(rkey, record, cid, now, uri=f"at://{self.did}/app.bsky.feed.post/{rkey}")
        self.posts.append(p)
        return Reply(
            200,
            {
                "uri": p.uri,
                "cid": cid,
                "commit": {"cid": _cid(cid.encode()), "rev": tid(int(time.time() * 1e6))},
                "validationStatus": "valid",
            },
        )

    def _upload_blob(self, request: Request) -> Reply:
        denied = self._auth(request)
        if denied:
            return denied
        if len(request.body) > self.upload_limit:
            return xrpc_error(413, "PayloadTooLarge", "request entity too large")
        cid = _cid(request.body)
        self.blobs[cid] = request.body
        mime = request.headers.get("content-type", "application/octet-stream")
        return Reply(
            200,
            {
                "blob": {
                    "$type": "blob",
                    "ref": {"$link": cid},
                    "mimeType": mime,
                    "size": len(request.body),
                }
            },
        )

    def _page(self, request: Request) -> tuple[list[BskyPost], str | None]:
        limit = max(1, min(int(request.arg("limit", "50") or 50), 100))
        cursor = request.arg("cursor")
        newest_first = sorted(self.posts, key=lambda p: p.rkey, reverse=True)
        if cursor:
            newest_first = [p for p in newest_first if p.rkey < cursor]
        page = newest_first[:limit]
        return page, (page[-1].rkey if len(newest_first) > limit else None)

    def _list_records(self, request: Request) -> Reply:
        if request.arg("repo") not in (self.did, self.handle):
            return xrpc_error(400, "InvalidRequest", "Could not find repo")
        if request.arg("collection") != "app.bsky.feed.post":
            return Reply(200, {"records": []})
        page, cursor = self._page(request)
        body: dict[str, Any] = {
            "records": [{"uri": p.uri, "cid": p.cid, "value": p.record} for p in page]
        }
        if cursor:
            body["cursor"] = cursor
        return Reply(200, body)

    def _author_feed(self, request: Request) -> Reply:
        denied = self._auth(request)
        if denied:
            return denied
        page, cursor = self._page(request)
        body: dict[str, Any] = {"feed": [{"post": self._view(p)} for p in page]}
        if cursor:
            body["cursor"] = cursor
        return Reply(200, body)

    def _get_posts(self, request: Request) -> Reply:
        denied = self._auth(request)
        if denied:
            return denied
        uris = request.query.get("uris", [])
        if len(uris) > 25:
            return xrpc_error(
                400, "InvalidRequest", "Error: uris must not have more than 25 elements"
            )
        by_uri = {p.uri: p for p in self.posts}
        return Reply(200, {"posts": [self._view(by_uri[u]) for u in uris if u in by_uri]})

    def _get_profile(self, request: Request) -> Reply:
        denied = self._auth(request)
        if denied:
            return denied
        if request.arg("actor") not in (self.did, self.handle):
            return xrpc_error(400, "InvalidRequest", "Profile not found")
        return Reply(
            200,
            {
                **self._author(),
                "description": "Posts from the Xen Project",
                "followersCount": self.followers,
                "followsCount": 12,
                "postsCount": len(self.posts),
                "indexedAt": "2024-01-01T00:00:00.000Z",
                "labels": [],
            },
        )
