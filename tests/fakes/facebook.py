"""A fake Facebook Graph API for one Page, on the shared `FakeServer`.

It answers what the Facebook adapter asks, shaped as Graph documents it:

- `POST /{version}/{page_id}/feed` (form: message, link, access_token) -> `{"id": "PAGE_POST"}`;
  the same message twice in a row -> error 506 "Duplicate status message", as Graph does;
  `attached_media[i]` (`{"media_fbid": ID}`) names unpublished photos of the Page: an unknown
  or already published one -> error 100; `link` with them -> error 100, as Graph refuses;
- `POST /{version}/{page_id}/photos` (multipart: source, published, alt_text_custom,
  access_token) -> `{"id": PHOTO}`; a body above `upload_limit` -> HTTP 413 (a page that is
  not Graph's, as the front end sends); `photos` is the fake's record of them;
- `GET /{version}/{page_id}/posts?fields=...&since=...&limit=...&after=...` -> `{"data": [...],
  "paging": {"cursors": {"before", "after"}, "next"}}`, newest first;
- `GET /{version}/{id}?fields=...` -> the Page (id, name, followers_count, link) or a post with
  `shares` (left out when nobody shared, as Graph does), `reactions` and `comments` each with
  `summary.total_count`, and, for `insights.metric(NAME)`, the `insights` edge of Page post
  insights (`data: [{name, period: "lifetime", values: [{value}], title, description, id}]`;
  `data` empty for a post with `views=None`, as for a Page under 100 likes); an unknown id ->
  error 100/33. Metrics Meta retired in 2025 (`post_impressions*`) or never had -> error 100
  "The value must be a valid insights metric"; `insights_refusal` (an error body) is what a
  token without `read_insights` gets instead of the whole post.
- `POST /{version}/{post_id}/comments` (form: message) -> `{"id": "POST_COMMENT"}`, a comment
  on a post the fake has (else error 100/33); `GET /{version}/{post_id}/comments` -> `{"data":
  [{id, message, created_time, permalink_url}]}`, oldest first, as Graph orders comments;
- A version in `retired` -> error 2635 "You are calling a deprecated version", for every call.

Errors are Graph's error object, `{"error": {"message", "type", "code", "error_subcode",
"fbtrace_id"}}`, sent with HTTP 400 (`graph_error` builds one for faults). The token travels as
`access_token` in the query or the form; `revoke()` makes it answer error 190 (expired, subcode
463) from then on. `posts` is the fake's record of what was created.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from .multipart import parts
from .server import FakeServer, Reply, Request

__all__ = ["FakeFacebook", "FbComment", "FbPhoto", "FbPost", "graph_error"]


def _index(key: str) -> int:
    return int(key[len("attached_media[") : -1])


def graph_error(
    code: int,
    message: str,
    *,
    type: str = "OAuthException",
    subcode: int | None = None,
) -> dict[str, Any]:
    """A Graph error body, as Graph sends it."""
    error: dict[str, Any] = {
        "message": message,
        "type": type,
        "code": code,
        "fbtrace_id": "AbCdEfGhIjK",
    }
    if subcode is not None:
        error["error_subcode"] = subcode
    return {"error": error}


@dataclass
class FbPost:
    id: str
    message: str
    link: str | None
    created_time: datetime
    reactions: int = 0
    comments: int = 0
    shares: int = 0
    views: int | None = 0  # post_total_media_view_unique; None: Graph has no figure
    photos: tuple[str, ...] = ()


@dataclass
class FbPhoto:
    id: str
    data: bytes
    mime: str
    alt: str
    published: bool


VIEW_METRICS = {
    "post_total_media_view_unique": "Lifetime: The number of people who saw your post.",
    "post_media_view": "Lifetime: The number of times your post was on screen.",
}


@dataclass
class FbComment:
    id: str
    post_id: str
    message: str
    created_time: datetime


LATEST = "v27.0"  # what the refusal of a retired version names, as Graph's does
_INSIGHTS = re.compile(r"^insights\.metric\(([a-z_]+)\)$")


class FakeFacebook:
    """Graph for one Page: install it on a server, point the adapter at `server.url`."""

    def __init__(
        self,
        server: FakeServer,
        *,
        page_id: str = "1029384756",
        token: str = "page-token",
        name: str = "Xen Project",
        followers: int = 4321,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        retired: Collection[str] = (),
    ) -> None:
        self.server, self.page_id, self.token = server, page_id, token
        self.name, self.followers, self.clock = name, followers, clock
        self.retired = set(retired)
        self.posts: list[FbPost] = []
        self.comments: list[FbComment] = []
        self.revoked = False
        self.insights_refusal: dict[str, Any] | None = None
        self._ids = itertools.count(5550001)
        self.photos: dict[str, FbPhoto] = {}
        self.upload_limit = 4 * 1024 * 1024 + 4096
        server.route("POST", "/:version/:id/feed", self._feed)
        server.route("POST", "/:version/:id/photos", self._photo)
        server.route("GET", "/:version/:id/posts", self._list)
        server.route("POST", "/:version/:id/comments", self._comment)
        server.route("GET", "/:version/:id/comments", self._comments)
        server.route("GET", "/:version/:id", self._object)

    FEED = "/:version/:id/feed"
    PHOTOS = "/:version/:id/photos"
    POSTS = "/:version/:id/posts"
    COMMENTS = "/:version/:id/comments"
    OBJECT = "/:version/:id"

    def revoke(self) -> None:
        self.revoked = True

    def post(self, post_id: str) -> FbPost:
        return next(p for p in self.posts if p.id == post_id)

    def _auth(self, token: str | None, request: Request) -> Reply | None:
        version = request.params["version"]
        if version in self.retired:
            return Reply(
                400,
                graph_error(
                    2635,
                    "(#2635) You are calling a deprecated version of the Ads API. Please update "
                    f"to the latest version: {LATEST}.",
                ),
            )
        if token != self.token:
            return Reply(
                400, graph_error(190, "Invalid OAuth access token - Cannot parse access token")
            )
        if self.revoked:
            return Reply(
                400,
                graph_error(
                    190,
                    "Error validating access token: Session has expired on Sunday, 01-Jun-25 "
                    "10:00:00 PDT.",
                    subcode=463,
                ),
            )
        return None

    def _feed(self, request: Request) -> Reply:
        form = request.form
        denied = self._auth(form.get("access_token"), request)
        if denied:
            return denied
        if request.params["id"] != self.page_id:
            return Reply(
                400,
                graph_error(
                    100, "Unsupported post request.", type="GraphMethodException", subcode=33
                ),
            )
        message = form.get("message", "")
        if not message and not form.get("link"):
            return Reply(
                400, graph_error(100, "(#100) Missing message or attachment", subcode=1349125)
            )
        if self.posts and self.posts[-1].message == message:
            return Reply(400, graph_error(506, "(#506) Duplicate status message"))
        attached = self._attached(form)
        if isinstance(attached, Reply):
            return attached
        post = FbPost(
            id=f"{self.page_id}_{next(self._ids)}",
            message=message,
            link=form.get("link"),
            created_time=self.clock(),
            photos=attached,
        )
        for photo_id in attached:
            self.photos[photo_id].published = True
        self.posts.append(post)
        return Reply(200, {"id": post.id})

    def _comment(self, request: Request) -> Reply:
        form = request.form
        denied = self._auth(form.get("access_token"), request)
        if denied:
            return denied
        post_id = request.params["id"]
        if not any(p.id == post_id for p in self.posts):
            return Reply(
                400,
                graph_error(
                    100, "Unsupported post request.", type="GraphMethodException", subcode=33
                ),
            )
        if not form.get("message"):
            return Reply(400, graph_error(100, "(#100) Missing message or attachment"))
        comment = FbComment(
            f"{post_id.split('_')[-1]}_{next(self._ids)}", post_id, form["message"], self.clock()
        )
        self.comments.append(comment)
        self.post(post_id).comments += 1
        return Reply(200, {"id": comment.id})

    def _comments(self, request: Request) -> Reply:
        denied = self._auth(request.arg("access_token"), request)
        if denied:
            return denied
        data = [
            {
                "id": c.id,
                "message": c.message,
                "created_time": c.created_time.strftime("%Y-%m-%dT%H:%M:%S+0000"),
                "permalink_url": f"https://www.facebook.com/{c.post_id}?comment_id={c.id}",
            }
            for c in self.comments
            if c.post_id == request.params["id"]
        ]
        return Reply(200, {"data": data})

    def _attached(self, form: dict[str, str]) -> tuple[str, ...] | Reply:
        """The photo ids `attached_media[i]` names, in order, or Graph's refusal."""
        keys = sorted((k for k in form if k.startswith("attached_media[")), key=_index)
        ids = tuple(str(json.loads(form[k]).get("media_fbid")) for k in keys)
        if ids and form.get("link"):
            return Reply(400, graph_error(100, "(#100) link and attached_media cannot be mixed"))
        for photo_id in ids:
            photo = self.photos.get(photo_id)
            if photo is None or photo.published:
                return Reply(400, graph_error(100, f"(#100) Invalid media_fbid {photo_id}"))
        return ids

    def _photo(self, request: Request) -> Reply:
        if len(request.body) > self.upload_limit:
            return Reply(413, b"<html><body>Request Entity Too Large</body></html>")
        fields = parts(request)
        token = fields["access_token"].text if "access_token" in fields else None
        denied = self._auth(token, request)
        if denied:
            return denied
        source = fields.get("source")
        if request.params["id"] != self.page_id or source is None:
            return Reply(400, graph_error(324, "(#324) Requires upload file"))
        photo = FbPhoto(
            id=str(next(self._ids)),
            data=source.data,
            mime=source.content_type or "",
            alt=fields["alt_text_custom"].text if "alt_text_custom" in fields else "",
            published=fields["published"].text != "false" if "published" in fields else True,
        )
        self.photos[photo.id] = photo
        return Reply(200, {"id": photo.id})

    def _list(self, request: Request) -> Reply:
        denied = self._auth(request.arg("access_token"), request)
        if denied:
            return denied
        since = int(request.arg("since", "0") or 0)
        limit = int(request.arg("limit", "25") or 25)
        after = request.arg("after")
        start = int(base64.b64decode(after).decode()) if after else 0
        newest_first = [p for p in reversed(self.posts) if p.created_time.timestamp() >= since]
        window = newest_first[start : start + limit]
        body: dict[str, Any] = {
            "data": [
                {
                    "id": p.id,
                    "message": p.message,
                    "created_time": p.created_time.strftime("%Y-%m-%dT%H:%M:%S+0000"),
                    "permalink_url": f"https://www.facebook.com/{p.id.replace('_', '/posts/')}",
                }
                for p in window
            ]
        }
        if window:
            end = str(start + len(window)).encode()
            body["paging"] = {
                "cursors": {
                    "before": base64.b64encode(str(start).encode()).decode(),
                    "after": base64.b64encode(end).decode(),
                }
            }
            if start + len(window) < len(newest_first):
                query = {k: v[0] for k, v in request.query.items()}
                query["after"] = body["paging"]["cursors"]["after"]
                body["paging"]["next"] = f"{self.server.url}{request.path}?{urlencode(query)}"
        return Reply(200, body)

    def _object(self, request: Request) -> Reply:
        denied = self._auth(request.arg("access_token"), request)
        if denied:
            return denied
        object_id = request.params["id"]
        fields = (request.arg("fields") or "").split(",")
        if object_id == self.page_id:
            page = {
                "id": self.page_id,
                "name": self.name,
                "followers_count": self.followers,
                "link": f"https://www.facebook.com/{self.page_id}",
            }
            return Reply(200, {k: v for k, v in page.items() if k == "id" or k in fields})
        found = [p for p in self.posts if p.id == object_id]
        if not found:
            return Reply(
                400,
                graph_error(
                    100,
                    f"Unsupported get request. Object with ID '{object_id}' does not exist, "
                    "cannot be loaded due to missing permissions, or does not support this "
                    "operation.",
                    type="GraphMethodException",
                    subcode=33,
                ),
            )
        post = found[0]
        body: dict[str, Any] = {"id": post.id}
        asked = [m.group(1) for f in fields if (m := _INSIGHTS.match(f))]
        if asked and self.insights_refusal is not None:
            return Reply(400, self.insights_refusal)
        if asked and asked[0] not in VIEW_METRICS:
            return Reply(400, graph_error(100, "(#100) The value must be a valid insights metric"))
        if asked:
            body["insights"] = self._insights(post, asked[0], request)
        if "shares" in fields and post.shares:
            body["shares"] = {"count": post.shares}
        if "reactions.summary(true)" in fields:
            body["reactions"] = {
                "data": [],
                "summary": {"total_count": post.reactions, "viewer_reaction": "NONE"},
            }
        if "comments.summary(true)" in fields:
            body["comments"] = {
                "data": [],
                "summary": {"order": "ranked", "total_count": post.comments, "can_comment": True},
            }
        return Reply(200, body)

    def _insights(self, post: FbPost, metric: str, request: Request) -> dict[str, Any]:
        version = request.params["version"]
        data = []
        if post.views is not None:
            data.append(
                {
                    "name": metric,
                    "period": "lifetime",
                    "values": [{"value": post.views}],
                    "title": "Lifetime Post Views" if metric == "post_media_view" else "Viewers",
                    "description": VIEW_METRICS[metric],
                    "id": f"{post.id}/insights/{metric}/lifetime",
                }
            )
        base = f"{self.server.url}/{version}/{post.id}/insights?metric={metric}"
        return {"data": data, "paging": {"previous": f"{base}&since=0", "next": f"{base}&until=0"}}
