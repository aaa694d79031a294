"""LinkedIn's Comments API (socialActions), faked, for the fake REST API in `tests.fakes.linkedin`.

- `POST /rest/socialActions/{URN}/comments` with `{"actor": URN, "object": URN, "message":
  {"text"}}` -> 201 with the comment (`$URN`, `id`, `actor`, `object`, `message`, `created`) and
  its URN in `x-restli-id`, as LinkedIn answers; an actor other than the page -> 403; a post the
  fake does not have -> 404; an empty text -> 422;
- `GET /rest/socialActions/{URN}/comments` -> `{"paging", "elements"}`, oldest first.

`comments` records each: the post it is on, its actor and its text.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from .server import FakeServer, Reply, Request

if TYPE_CHECKING:
    from .linkedin import FakeLinkedIn

__all__ = ["FakeLinkedInComments", "LinkedInComment"]


@dataclass
class LinkedInComment:
    urn: str
    post: str
    actor: str
    text: str
    created_at: datetime


class FakeLinkedInComments:
    """The Comments API of the page `api` fakes."""

    COMMENTS = "/rest/socialActions/:urn/comments"

    def __init__(self, server: FakeServer, api: FakeLinkedIn) -> None:
        self.api = api
        self.comments: list[LinkedInComment] = []
        self._ids = itertools.count(7300000000000000001)
        server.route("POST", self.COMMENTS, self._create)
        server.route("GET", self.COMMENTS, self._list)

    def _entity(self, c: LinkedInComment) -> dict[str, Any]:
        return {
            "$URN": c.urn,
            "id": c.urn.rsplit(",", 1)[-1].rstrip(")"),
            "actor": c.actor,
            "object": c.post,
            "message": {"text": c.text},
            "created": {"actor": c.actor, "time": int(c.created_at.timestamp() * 1000)},
        }

    def _create(self, request: Request) -> Reply:
        from .linkedin import error

        denied = self.api.check(request, "w_organization_social")
        if denied:
            return denied
        post = unquote(request.params["urn"])
        body = request.json() or {}
        if body.get("actor") != self.api.urn:
            return Reply(403, error(403, "ACCESS_DENIED", "Not enough permissions", 100))
        if not any(p.id == post for p in self.api.posts):
            return Reply(404, error(404, "NOT_FOUND", f"Not Found: {post}", 404))
        text = (body.get("message") or {}).get("text")
        if not isinstance(text, str) or not text.strip():
            return Reply(422, error(422, "UNPROCESSABLE_ENTITY", "message.text is required", 422))
        activity = post.rsplit(":", 1)[-1]
        urn = f"urn:li:comment:(urn:li:activity:{activity},{next(self._ids)})"
        comment = LinkedInComment(urn, post, self.api.urn, text, self.api.clock())
        self.comments.append(comment)
        self.api.post(post).comments += 1
        return Reply(201, self._entity(comment), {"x-restli-id": urn})

    def _list(self, request: Request) -> Reply:
        denied = self.api.check(request, "r_organization_social")
        if denied:
            return denied
        post = unquote(request.params["urn"])
        found = [self._entity(c) for c in self.comments if c.post == post]
        return Reply(200, {"paging": {"start": 0, "count": len(found)}, "elements": found})
