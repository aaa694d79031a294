"""A fake LinkedIn REST API with one organization page, on the shared `FakeServer`.

It answers what the LinkedIn adapter asks, with bodies shaped like LinkedIn's documented ones:

- `POST /rest/posts` (JSON: author, commentary, visibility, distribution, lifecycleState,
  content.article) -> 201 with an empty body and the new post's URN in `x-restli-id`. The
  commentary is parsed as "little text": an unescaped reserved character (`\\ | { } @ [ ] ( )
  < > # * _ ~`) outside a hashtag template is refused (422), where LinkedIn would read it as
  markup. An article needs `source` and `title`; its `thumbnail`, when given, must be an image
  of this page whose bytes were uploaded (else 422). A post with the same commentary and article
  as an earlier one -> 422 DUPLICATE_POST (`errorDetails.inputErrors[].code`, "Content is a
  duplicate of urn:li:share:..."). An author other than the page -> 403 ACCESS_DENIED; text
  over 3000 characters -> 422;
- `POST /rest/images?action=initializeUpload` (`{"initializeUploadRequest": {"owner": URN}}`)
  -> `{"value": {"uploadUrlExpiresAt", "uploadUrl", "image": "urn:li:image:..."}}`; then
  `PUT uploadUrl` with the bytes (and the bearer token) -> 201. `images` records each: its
  owner, its bytes and their type once uploaded;
- `GET /rest/posts?q=author&author=URN&count=&start=&sortBy=` -> `{"paging", "elements"}`,
  most recently modified first;
- `GET /rest/socialActions/URN` -> `likesSummary`, `commentsSummary`; unknown -> 404;
- the Comments API on `/rest/socialActions/URN/comments` (`tests.fakes.linkedin_comments`);
- `GET /rest/networkSizes/URN?edgeType=COMPANY_FOLLOWED_BY_MEMBER` -> `{"firstDegreeSize"}`;
- `GET /rest/organizations/ID` -> an Organization (`localizedName`, `vanityName`).

Every request must carry `Authorization: Bearer TOKEN` with a token the fake OAuth server
(`oauth`, `tests.fakes.linkedin_oauth`) holds good at the fake's clock (else 401
`INVALID_ACCESS_TOKEN`, `EXPIRED_ACCESS_TOKEN`, or `REVOKED_ACCESS_TOKEN` after `revoke()`),
`X-Restli-Protocol-Version: 2.0.0` (else 400) and a `LinkedIn-Version` that is not retired:
one in `retired_versions`, or outside `active_versions` when that is given, is answered 426
`{"status": 426, "code": "NONEXISTENT_VERSION", "message": "Requested version 20251001 is not
active"}`, as LinkedIn answers it. Other errors have LinkedIn's shape: `{"status",
"serviceErrorCode", "code", "message"}`. `scopes` are the token's permissions; take one away to
get LinkedIn's 403. `posts` is the fake's record of what exists.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from .linkedin_comments import FakeLinkedInComments
from .linkedin_images import FakeLinkedInImages, LinkedInImage
from .linkedin_oauth import FakeLinkedInOAuth
from .server import FakeServer, Fault, Reply, Request

__all__ = [
    "FakeLinkedIn",
    "LinkedInImage",
    "LinkedInPost",
    "LittleTextError",
    "error",
    "parse_little",
    "rate_limited",
]

_RESERVED = set("\\|{}@[]()<>#*_~")
_HASHTAG = re.compile(r"\{hashtag\|\\?[#＃]\|((?:\\.|[^\\{}|])+)\}")
_MAX_LENGTH = 3000


class LittleTextError(ValueError):
    pass


def parse_little(commentary: str) -> str:
    """The text a reader sees for `commentary` in little text format (strict: an unescaped
    reserved character outside a template is an error, as it would be markup on LinkedIn)."""
    out, i = [], 0
    while i < len(commentary):
        ch = commentary[i]
        if ch == "\\":
            if i + 1 >= len(commentary):
                raise LittleTextError("a lone backslash at the end")
            out.append(commentary[i + 1])
            i += 2
            continue
        if ch == "{":
            m = _HASHTAG.match(commentary, i)
            if not m:
                raise LittleTextError(f"unescaped '{{' at {i} that is no template")
            out.append("#" + parse_little(m.group(1)))
            i = m.end()
            continue
        if ch in _RESERVED:
            raise LittleTextError(f"unescaped reserved character {ch!r} at {i}")
        out.append(ch)
        i += 1
    return "".join(out)


def error(status: int, code: str, message: str, service_code: int | None = None) -> dict[str, Any]:
    """A LinkedIn error body."""
    return {
        "status": status,
        "serviceErrorCode": service_code if service_code is not None else status,
        "code": code,
        "message": message,
    }


def rate_limited(retry_after: str | None = None) -> Fault:
    """LinkedIn's 429: daily throttles, usually with no header saying when they lift."""
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    return Fault.respond(
        429,
        error(
            429,
            "TOO_MANY_REQUESTS",
            "Resource level throttle APPLICATION DAY limit for calls to this resource is reached.",
            101,
        ),
        headers,
    )


def _ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


@dataclass
class LinkedInPost:
    id: str
    author: str
    commentary: str  # as sent (little text)
    text: str  # as a reader sees it
    source: str | None
    title: str | None
    created_at: datetime
    modified_at: datetime
    description: str | None = None
    thumbnail: str | None = None  # an image URN
    media: tuple[tuple[str, str], ...] = ()  # (image URN, alt text) of content.media/multiImage
    likes: int = 0
    comments: int = 0


ALL_SCOPES = frozenset({"w_organization_social", "r_organization_social", "rw_organization_admin"})


class FakeLinkedIn:
    """One organization page: install it on a server, point the adapter at `server.url`."""

    POSTS = "/rest/posts"
    IMAGES = FakeLinkedInImages.IMAGES
    UPLOAD = FakeLinkedInImages.UPLOAD
    SOCIAL_ACTIONS = "/rest/socialActions/:urn"
    COMMENTS = FakeLinkedInComments.COMMENTS
    NETWORK_SIZES = "/rest/networkSizes/:urn"
    ORGANIZATION = "/rest/organizations/:id"

    def __init__(
        self,
        server: FakeServer,
        *,
        token: str = "li-token",
        organization_id: str = "2414183",
        name: str = "The Xen Project",
        vanity_name: str = "xen-project",
        followers: int = 4321,
        active_versions: Collection[str] | None = None,
        retired_versions: Collection[str] = (),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.server, self.token, self.organization_id = server, token, organization_id
        self.name, self.vanity_name, self.followers, self.clock = (
            name,
            vanity_name,
            followers,
            clock,
        )
        self.active_versions = active_versions  # None: any well-formed version
        self.retired_versions = set(retired_versions)
        self.scopes = set(ALL_SCOPES)
        self.posts: list[LinkedInPost] = []
        self.oauth = FakeLinkedInOAuth(server, clock=clock, token=token)
        self.image_api = FakeLinkedInImages(server, self)
        self.images = self.image_api.images
        self.comment_api = FakeLinkedInComments(server, self)
        self.comments = self.comment_api.comments
        self._ids = itertools.count(7250000000000000001)
        server.route("POST", self.POSTS, self._create)
        server.route("GET", self.POSTS, self._find)
        server.route("GET", self.SOCIAL_ACTIONS, self._social_actions)
        server.route("GET", self.NETWORK_SIZES, self._network_size)
        server.route("GET", self.ORGANIZATION, self._organization)

    @property
    def urn(self) -> str:
        return f"urn:li:organization:{self.organization_id}"

    def revoke(self) -> None:
        self.oauth.revoked.add(self.token)

    def post(self, urn: str) -> LinkedInPost:
        return next(p for p in self.posts if p.id == urn)

    # -- checks every request passes -------------------------------------------------------

    def check(self, request: Request, scope: str) -> Reply | None:
        """None when `request` may do what `scope` allows; else LinkedIn's refusal."""
        auth = request.headers.get("authorization", "")
        problem = (
            self.oauth.check(auth.removeprefix("Bearer ")) if auth.startswith("Bearer ") else None
        )
        if not auth.startswith("Bearer ") or problem is not None:
            code = problem or "INVALID_ACCESS_TOKEN"
            message, service = {
                "REVOKED_ACCESS_TOKEN": (
                    "The token used in the request has been revoked by the user",
                    65601,
                ),
                "EXPIRED_ACCESS_TOKEN": ("The token used in the request has expired", 65602),
            }.get(code, ("Invalid access token", 65600))
            return Reply(401, error(401, code, message, service))
        if request.headers.get("x-restli-protocol-version") != "2.0.0":
            return Reply(400, error(400, "ILLEGAL_ARGUMENT", "Rest.li protocol 2.0.0 is required"))
        version = request.headers.get("linkedin-version", "")
        if not re.fullmatch(r"\d{6}(\.\d\d)?", version):
            return Reply(400, error(400, "VERSION_MISSING", "A version must be present"))
        retired = version in self.retired_versions or (
            self.active_versions is not None and version not in self.active_versions
        )
        if retired:
            # LinkedIn names the version as a day, YYYYMMDD, and sends no serviceErrorCode.
            return Reply(
                426,
                {
                    "status": 426,
                    "code": "NONEXISTENT_VERSION",
                    "message": f"Requested version {version[:6]}01 is not active",
                },
            )
        if scope not in self.scopes:
            return Reply(
                403,
                error(
                    403,
                    "ACCESS_DENIED",
                    f"Not enough permissions to access: {scope} for {request.method} "
                    f"{request.path}",
                    100,
                ),
            )
        return None

    # -- entities --------------------------------------------------------------------------

    def _entity(self, p: LinkedInPost) -> dict[str, Any]:
        entity: dict[str, Any] = {
            "id": p.id,
            "author": p.author,
            "commentary": p.commentary,
            "visibility": "PUBLIC",
            "distribution": {
                "feedDistribution": "MAIN_FEED",
                "targetEntities": [],
                "thirdPartyDistributionChannels": [],
            },
            "lifecycleState": "PUBLISHED",
            "lifecycleStateInfo": {"isEditedByAuthor": p.modified_at != p.created_at},
            "isReshareDisabledByAuthor": False,
            "createdAt": _ms(p.created_at),
            "lastModifiedAt": _ms(p.modified_at),
            "publishedAt": _ms(p.created_at),
        }
        if p.source:
            article: dict[str, Any] = {"source": p.source, "title": p.title}
            if p.description is not None:
                article["description"] = p.description
            if p.thumbnail is not None:
                article["thumbnail"] = p.thumbnail
            entity["content"] = {"article": article}
        return entity

    # -- routes ----------------------------------------------------------------------------

    def _create(self, request: Request) -> Reply:
        denied = self.check(request, "w_organization_social")
        if denied:
            return denied
        body = request.json()
        if not isinstance(body, dict):
            return Reply(400, error(400, "ILLEGAL_ARGUMENT", "the body must be a JSON object"))
        if body.get("author") != self.urn:
            return Reply(
                403,
                error(
                    403,
                    "ACCESS_DENIED",
                    f"Not enough permissions to post as {body.get('author')}",
                    100,
                ),
            )
        missing = [
            k
            for k in ("commentary", "visibility", "distribution", "lifecycleState")
            if k not in body
        ]
        if missing:
            return Reply(422, error(422, "UNPROCESSABLE_ENTITY", f"missing fields {missing}"))
        commentary = str(body["commentary"])
        try:
            text = parse_little(commentary)
        except LittleTextError as exc:
            return Reply(422, error(422, "UNPROCESSABLE_ENTITY", f"invalid commentary: {exc}"))
        if len(text) > _MAX_LENGTH:
            return Reply(
                422,
                error(
                    422,
                    "UNPROCESSABLE_ENTITY",
                    f"/commentary :: length {len(text)} exceeds maximum allowed {_MAX_LENGTH}",
                ),
            )
        article = (body.get("content") or {}).get("article") or {}
        source, title = article.get("source"), article.get("title")
        if article and not (source and title):
            return Reply(422, error(422, "UNPROCESSABLE_ENTITY", "article needs source and title"))
        thumbnail = article.get("thumbnail")
        if thumbnail is not None:
            image = self.images.get(thumbnail)
            if image is None or image.owner != self.urn or image.data is None:
                return Reply(
                    422,
                    error(
                        422,
                        "UNPROCESSABLE_ENTITY",
                        f"/content/article/thumbnail :: {thumbnail} is not an uploaded image",
                    ),
                )
        media = self.image_api.post_media(body.get("content") or {})
        if isinstance(media, Reply):
            return media
        for p in self.posts:
            if p.commentary == commentary and p.source == source:
                return Reply(
                    422,
                    {
                        "errorDetailType": "com.linkedin.common.error.BadRequest",
                        "message": "com.linkedin.content.common.exception."
                        f"BadRequestResponseException: Content is a duplicate of {p.id}",
                        "errorDetails": {
                            "inputErrors": [
                                {
                                    "description": "Duplicate post is detected",
                                    "input": {},
                                    "code": "DUPLICATE_POST",
                                }
                            ]
                        },
                        "status": 422,
                    },
                )
        now = self.clock()
        urn = f"urn:li:share:{next(self._ids)}"
        self.posts.append(
            LinkedInPost(
                urn,
                self.urn,
                commentary,
                text,
                source,
                title,
                now,
                now,
                description=article.get("description"),
                thumbnail=thumbnail,
                media=media,
            )
        )
        return Reply(201, None, {"x-restli-id": urn, "x-linkedin-id": urn})

    def _find(self, request: Request) -> Reply:
        denied = self.check(request, "r_organization_social")
        if denied:
            return denied
        if request.arg("q") != "author":
            return Reply(400, error(400, "ILLEGAL_ARGUMENT", "unknown finder"))
        if request.arg("author") != self.urn:
            return Reply(403, error(403, "ACCESS_DENIED", "Not enough permissions", 100))
        count = min(int(request.arg("count", "10") or 10), 100)
        start = int(request.arg("start", "0") or 0)
        key = "created_at" if request.arg("sortBy") == "CREATED" else "modified_at"
        ordered = sorted(self.posts, key=lambda p: (getattr(p, key), p.id), reverse=True)
        page = ordered[start : start + count]
        links = []
        if start + count < len(ordered):
            links.append(
                {
                    "type": "application/json",
                    "rel": "next",
                    "href": f"/rest/posts?author={self.urn}&count={count}&q=author"
                    f"&start={start + count}",
                }
            )
        return Reply(
            200,
            {
                "paging": {"start": start, "count": count, "links": links, "total": len(ordered)},
                "elements": [self._entity(p) for p in page],
            },
        )

    def _social_actions(self, request: Request) -> Reply:
        denied = self.check(request, "r_organization_social")
        if denied:
            return denied
        urn = unquote(request.params["urn"])
        found = [p for p in self.posts if p.id == urn]
        if not found:
            return Reply(404, error(404, "NOT_FOUND", f"Not Found: {urn}", 404))
        p = found[0]
        return Reply(
            200,
            {
                "$URN": f"urn:li:socialActions:{urn}",
                "target": urn,
                "likesSummary": {
                    "totalLikes": p.likes,
                    "aggregatedTotalLikes": p.likes,
                    "likedByCurrentUser": False,
                },
                "commentsSummary": {
                    "totalFirstLevelComments": p.comments,
                    "aggregatedTotalComments": p.comments,
                },
            },
        )

    def _network_size(self, request: Request) -> Reply:
        denied = self.check(request, "rw_organization_admin")
        if denied:
            return denied
        if unquote(request.params["urn"]) != self.urn:
            return Reply(404, error(404, "NOT_FOUND", "Not Found", 404))
        if request.arg("edgeType") != "COMPANY_FOLLOWED_BY_MEMBER":
            return Reply(400, error(400, "ILLEGAL_ARGUMENT", "unknown edgeType"))
        return Reply(200, {"firstDegreeSize": self.followers})

    def _organization(self, request: Request) -> Reply:
        denied = self.check(request, "rw_organization_admin")
        if denied:
            return denied
        if request.params["id"] != self.organization_id:
            return Reply(
                404, error(404, "NOT_FOUND", f"Organization {request.params['id']} not found")
            )
        return Reply(
            200,
            {
                "id": int(self.organization_id),
                "$URN": self.urn,
                "localizedName": self.name,
                "name": {
                    "localized": {"en_US": self.name},
                    "preferredLocale": {"country": "US", "language": "en"},
                },
                "vanityName": self.vanity_name,
                "localizedWebsite": "https://xenproject.org",
                "primaryOrganizationType": "NONE",
                "organizationType": "NON_PROFIT",
            },
        )
