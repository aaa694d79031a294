"""A thread's replies on LinkedIn: the first comments under the page's post (Comments API).

LinkedIn has no threads; a reply (`Post.reply_to`) becomes a comment on the thread's post, in
order: `POST /rest/socialActions/{post urn}/comments` with the page as `actor`, the post as
`object` and the text as `message.text` (plain text: no "little text" escaping there),
answered 201 with the comment's URN in `x-restli-id` (w_organization_social). Looked for again
with `GET /rest/socialActions/{post urn}/comments` (r_organization_social), by the page's own
comment of that exact text: finding it is proof; not finding it is not (the adapter's lookups
are not reliable), so a comment in doubt goes to a person, as a post does.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ..base import Post, PublishResult, TransientError

if TYPE_CHECKING:
    from .api import RestClient

__all__ = ["find_comment", "post_comment"]


def _path(post: Post) -> str:
    assert post.reply_to is not None
    return f"/rest/socialActions/{quote(post.reply_to.root_id, safe='')}/comments"


def _url(post_urn: str, comment_urn: str) -> str:
    return f"https://www.linkedin.com/feed/update/{post_urn}/?commentUrn={quote(comment_urn)}"


def post_comment(api: RestClient, author: str, post: Post, now: datetime) -> PublishResult:
    """Comment `post.text` on the thread's post, as the page."""
    assert post.reply_to is not None
    root = post.reply_to.root_id
    action = "commenting on LinkedIn"
    body = {"actor": author, "object": root, "message": {"text": post.text}}
    response = api.request("POST", _path(post), action, body=body, posting=True)
    urn = response.headers.get("x-restli-id") if response is not None else None
    if not urn:
        raise TransientError(f"{action}: no x-restli-id in the answer", maybe_posted=True)
    return PublishResult(urn, _url(root, urn), now)


def find_comment(api: RestClient, author: str, post: Post, now: datetime) -> PublishResult | None:
    """The page's own comment of `post.text` on the thread's post, or None."""
    assert post.reply_to is not None
    action = "reading the post's comments"
    page = api.json(api.request("GET", _path(post), action), action)
    wanted = " ".join(post.text.split())
    for element in page.get("elements") or []:
        if not isinstance(element, Mapping) or element.get("actor") != author:
            continue
        message = element.get("message")
        text = message.get("text") if isinstance(message, Mapping) else None
        urn = element.get("$URN")
        if isinstance(text, str) and " ".join(text.split()) == wanted and urn:
            return PublishResult(
                str(urn), _url(post.reply_to.root_id, str(urn)), _when(element, now)
            )
    return None


def _when(element: Mapping[str, Any], default: datetime) -> datetime:
    created = element.get("created")
    ms = created.get("time") if isinstance(created, Mapping) else None
    if isinstance(ms, int) and not isinstance(ms, bool):
        return datetime.fromtimestamp(ms / 1000, tz=UTC)
    return default
