"""The LinkedIn adapter: posts to one organization page through LinkedIn's versioned REST API.

No maintained Python SDK exists for the Posts API, so this speaks it directly with httpx.

Configuration:

    [[channels]]
    network = "linkedin"
    [channels.options]
    organization_id = "2414183"              # required: the page's numeric id
    api_version = "202510"                   # optional: the LinkedIn-Version header (YYYYMM)
    api_base_url = "https://api.linkedin.com"  # optional: a proxy or a test server
    [channels.secrets]
    access_token = "env:LINKEDIN_TOKEN"      # a member token of a page admin, with the
                                             # permissions listed below

What it calls (every request carries `Authorization: Bearer`, `LinkedIn-Version` and
`X-Restli-Protocol-Version: 2.0.0`; URNs in paths and queries are percent-encoded, as Rest.li
2.0 requires):

- publish: `POST /rest/posts` with the author `urn:li:organization:<id>`, the commentary,
  visibility PUBLIC, distribution MAIN_FEED, lifecycleState PUBLISHED and, when the item has a
  link, an `article` content (`source` = the URL, `title` = the item's title). LinkedIn answers
  201 with an empty body and the new post's URN in the `x-restli-id` header
  (w_organization_social);
- find_published: `GET /rest/posts?author=<urn>&q=author&count=50&sortBy=LAST_MODIFIED`, paged
  with `start` (r_organization_social);
- fetch_engagement: `GET /rest/socialActions/<post urn>` per post: `likesSummary.totalLikes` and
  `commentsSummary.aggregatedTotalComments` (r_organization_social): live counts of any post,
  whatever its URN type. Not organizationalEntityShareStatistics: it would add impressions,
  clicks and shares, but its figures are aggregated with a delay and it takes share and ugcPost
  URNs in separate lists. So reposts, impressions and clicks are None;
- fetch_followers: `GET /rest/networkSizes/<org urn>?edgeType=COMPANY_FOLLOWED_BY_MEMBER`
  (`firstDegreeSize`; rw_organization_admin);
- verify: `GET /rest/organizations/<id>` (`localizedName`, `vanityName`; rw_organization_admin,
  whose lookup of an administered page is read-only here) and the followers.

Commentary is LinkedIn's "little text" format, where `\\ | { } @ [ ] ( ) < > # * _ ~` are
reserved (mentions, hashtag templates): unescaped, LinkedIn reads them as markup and may drop
the rest of the text. `little_text` escapes each with a backslash, except that a `#word` at the
start of a word becomes LinkedIn's hashtag template `{hashtag|\\#|word}`, so hashtags stay
hashtags. The 3000-character limit counts the text as shown, without the escapes.

Never twice: the Posts API takes no idempotency key. LinkedIn refuses identical content posted
again (422 DUPLICATE_POST), but that is not a promise to rely on. `find_published` reads the
page's posts and matches the article source (the item's URL, whole) or the exact commentary.
Lookups are NOT reliable (`lookup_is_reliable = False`): the author finder is not documented as
read-after-write, and posts LinkedIn has just created (or holds for processing) can be missing
from it for a while. Finding the post is proof; not finding it is not, so a delivery whose post
may be out goes to `unknown` for a person rather than being sent again.

Errors: 401 → AuthError (token invalid, expired or revoked; LinkedIn tokens live 60 days);
403 → AuthError (a permission or the page role is missing); 426 (api_version no longer active)
→ AuthError naming `api_version`; 404 on an endpoint that must exist → AuthError naming
`api_base_url` and `organization_id` (each of these pauses the channel, its items wait);
429 → RateLimited (LinkedIn's limits are daily and it rarely says when they lift: `reset_at`
comes from `Retry-After` when sent, else None); 5xx and lost connections → TransientError
(`maybe_posted` for a POST that may have landed); 422 DUPLICATE_POST → Rejected(duplicate);
other 4xx → Rejected.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote

from ..text import DEFAULT_LIMITS, measure
from ._lazy import require
from ._options import numeric_id, parse_base_url, reject_unknown_options
from .base import (
    AccountInfo,
    Adapter,
    AdapterError,
    AuthError,
    ChannelContext,
    Engagement,
    Post,
    PublishResult,
    RateLimited,
    Rejected,
    TextLimits,
    TransientError,
)

if TYPE_CHECKING:
    import httpx

__all__ = ["API_URL", "DEFAULT_API_VERSION", "LinkedInAdapter", "little_text"]

require("linkedin", "httpx")  # imported on first use (see `_lazy`)

API_URL = "https://api.linkedin.com"
DEFAULT_API_VERSION = "202510"
"""A LinkedIn-Version LinkedIn serves (each is served about a year); set `api_version` to move on."""

_OPTIONS = {"organization_id", "api_version", "api_base_url"}
_VERSION = re.compile(r"^20\d\d(0[1-9]|1[0-2])(\.\d\d)?$")  # YYYYMM, or a patch YYYYMM.RR
_RESERVED = re.compile(r"[\\|{}@\[\]()<>#*_~]")
# A hashtag: '#' at the start of a word, then word characters with at least one letter (so
# "issue #12" stays text).
_HASHTAG = re.compile(r"(?<!\S)#(\w*[^\W\d_]\w*)")
_MAX_CONNECT_SECONDS = 10.0
_PAGE = 50  # posts per lookup page (the finder allows up to 100)
_LOOKUP_PAGES = 6  # 300 posts since the first try: far more than a page posts in between
_GONE = (404, 410)


def _escape(text: str) -> str:
    return _RESERVED.sub(lambda m: "\\" + m.group(0), text)


def little_text(text: str) -> str:
    """`text` as LinkedIn commentary: reserved characters escaped, hashtags as templates."""
    out, pos = [], 0
    for m in _HASHTAG.finditer(text):
        out.append(_escape(text[pos : m.start()]))
        out.append("{hashtag|\\#|" + _escape(m.group(1)) + "}")
        pos = m.end()
    out.append(_escape(text[pos:]))
    return "".join(out)


class LinkedInAdapter(Adapter):
    name: ClassVar[str] = "linkedin"
    limits: ClassVar[TextLimits] = TextLimits(max_length=DEFAULT_LIMITS["linkedin"])
    lookup_is_reliable: ClassVar[bool] = False  # see the module docstring
    engagement_batch: ClassVar[int] = 1  # one socialActions read per post

    def __init__(self, context: ChannelContext) -> None:
        super().__init__(context)
        options = context.options
        reject_unknown_options(options, sorted(_OPTIONS), "linkedin")
        self.organization_id = numeric_id(
            options,
            "organization_id",
            "required, the page's numeric id (as in urn:li:organization:ID)",
        )
        self.author = f"urn:li:organization:{self.organization_id}"
        version = options.get("api_version", DEFAULT_API_VERSION)
        if isinstance(version, int) and not isinstance(version, bool):
            version = str(version)
        if not isinstance(version, str) or not _VERSION.match(version.strip()):
            raise ValueError(f"api_version: expected YYYYMM such as '202510', got {version!r}")
        self.api_version = version.strip()
        self.base_url = parse_base_url(options.get("api_base_url")) or API_URL
        token = context.secrets.get("access_token")
        if not token:
            raise AuthError(f"channel {context.name!r}: secret 'access_token' is missing")
        self._token = token

    # -- calling LinkedIn ------------------------------------------------------------------

    @cached_property
    def _client(self) -> httpx.Client:
        """The HTTP client, built on first use (see `_lazy`)."""
        import httpx

        seconds = float(self.context.timeout_seconds)
        return httpx.Client(
            base_url=self.base_url,
            timeout=httpx.Timeout(seconds, connect=min(seconds, _MAX_CONNECT_SECONDS)),
            headers={
                "Authorization": f"Bearer {self._token}",
                "LinkedIn-Version": self.api_version,
                "X-Restli-Protocol-Version": "2.0.0",
            },
            follow_redirects=False,
        )

    def _request(
        self,
        method: str,
        path: str,
        action: str,
        *,
        query: Mapping[str, object] | None = None,
        body: Mapping[str, Any] | None = None,
        posting: bool = False,
        gone_ok: bool = False,
    ) -> httpx.Response | None:
        """One request; every failure as our error tree. None: 404/410 when `gone_ok`."""
        import httpx

        if query:
            # Encoded by hand: Rest.li 2.0 wants the ':' of a URN in a query encoded too.
            path += "?" + "&".join(f"{k}={quote(str(v), safe='')}" for k, v in query.items())
        try:
            response = self._client.request(method, path, json=body)
        except httpx.TransportError as exc:
            raise _transport_error(exc, action, posting) from exc
        if response.is_success:
            return response
        if gone_ok and response.status_code in _GONE:
            return None
        raise self._error(response, action, posting)

    def _json(self, response: httpx.Response | None, action: str) -> Mapping[str, Any]:
        try:
            data = response.json() if response is not None else None
        except ValueError:
            data = None
        if not isinstance(data, Mapping):
            raise TransientError(f"{action}: the answer was not LinkedIn's JSON")
        return data

    def _error(self, response: httpx.Response, action: str, posting: bool) -> AdapterError:
        status = response.status_code
        try:
            raw = response.json()
        except ValueError:
            raw = None
        body: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
        code = body.get("code")
        message = str(body.get("message") or response.reason_phrase or "no message")
        text = f"{action}: HTTP {status}" + (f" {code}" if code else "") + f": {message}"
        if status == 401:
            return AuthError(f"{text} (authorize again: LinkedIn tokens expire after 60 days)")
        if status == 403:
            return AuthError(
                f"{text} (the token needs w_organization_social, r_organization_social and "
                f"rw_organization_admin, from an admin of organization {self.organization_id})"
            )
        if status == 426:
            return AuthError(f"{text} (api_version {self.api_version!r} is no longer served)")
        if status == 429:
            return RateLimited(f"{text} (rate limited)", reset_at=self._retry_after(response))
        if status >= 500:
            return TransientError(text, maybe_posted=posting)
        if status == 404:
            return AuthError(
                f"{text} (is api_base_url {self.base_url} LinkedIn's API, and organization_id "
                f"{self.organization_id} the page?)"
            )
        if _is_duplicate(body, message):
            return Rejected(text, duplicate=True)
        return Rejected(text)

    def _retry_after(self, response: httpx.Response) -> datetime | None:
        raw = (response.headers.get("retry-after") or "").strip()
        if not raw:
            return None
        if raw.isdigit():
            return self.context.clock() + timedelta(seconds=int(raw))
        try:
            return parsedate_to_datetime(raw).astimezone(UTC)
        except (TypeError, ValueError, IndexError):
            return None  # a malformed header is no reason to fail differently

    # -- the interface ---------------------------------------------------------------------

    def publish(self, post: Post) -> PublishResult:
        length = measure("linkedin", post.text)
        if length > self.limits.max_length:
            raise Rejected(
                f"posting to LinkedIn: {length} characters, LinkedIn allows "
                f"{self.limits.max_length}"
            )
        body: dict[str, Any] = {
            "author": self.author,
            "commentary": little_text(post.text),
            "visibility": "PUBLIC",
            "distribution": {
                "feedDistribution": "MAIN_FEED",
                "targetEntities": [],
                "thirdPartyDistributionChannels": [],
            },
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False,
        }
        if post.url:
            body["content"] = {"article": {"source": post.url, "title": post.title or post.url}}
        action = "posting to LinkedIn"
        response = self._request("POST", "/rest/posts", action, body=body, posting=True)
        urn = response.headers.get("x-restli-id") if response is not None else None
        if not urn:
            # A success without the URN: the post may well be out; look before sending again.
            raise TransientError(f"{action}: no x-restli-id in the answer", maybe_posted=True)
        return PublishResult(urn, _post_url(urn), self.context.clock())

    def find_published(self, post: Post, *, since: datetime) -> PublishResult | None:
        action = "reading the page's posts"
        commentary = " ".join(little_text(post.text).split())
        start = 0
        for _ in range(_LOOKUP_PAGES):
            query = {
                "author": self.author,
                "q": "author",
                "count": _PAGE,
                "start": start,
                "sortBy": "LAST_MODIFIED",
            }
            page = self._json(self._request("GET", "/rest/posts", action, query=query), action)
            elements = [e for e in page.get("elements") or [] if isinstance(e, Mapping)]
            for element in elements:
                created = _from_ms(element.get("createdAt"))
                if created is not None and created < since:
                    continue  # an older post of the same link is not this delivery's
                if _matches(element, post, commentary) and element.get("id"):
                    urn = str(element["id"])
                    at = _from_ms(element.get("publishedAt") or element.get("createdAt"))
                    return PublishResult(urn, _post_url(urn), at or self.context.clock())
            if len(elements) < _PAGE:
                return None
            # Sorted by last modification: once one is older than `since`, all that follow are,
            # and a post made since `since` was modified no earlier than it was made.
            oldest = _from_ms(elements[-1].get("lastModifiedAt"))
            if oldest is not None and oldest < since:
                return None
            start += len(elements)
        raise TransientError(
            f"{action}: more than {_LOOKUP_PAGES * _PAGE} since {since.isoformat()}; "
            "cannot tell whether the post is out"
        )

    def fetch_engagement(self, remote_ids: Sequence[str]) -> list[Engagement]:
        out = []
        for remote_id in remote_ids:
            action = f"reading the social actions of {remote_id}"
            response = self._request(
                "GET", f"/rest/socialActions/{quote(remote_id, safe='')}", action, gone_ok=True
            )
            if response is None:
                continue  # deleted on LinkedIn: the interface says leave it out
            data = self._json(response, action)
            out.append(
                Engagement(
                    remote_id=remote_id,
                    fetched_at=self.context.clock(),
                    likes=_int(_get(data, "likesSummary", "totalLikes")),
                    replies=_int(_get(data, "commentsSummary", "aggregatedTotalComments")),
                )
            )
        return out

    def fetch_followers(self) -> int | None:
        action = "reading the page's followers"
        response = self._request(
            "GET",
            f"/rest/networkSizes/{quote(self.author, safe='')}",
            action,
            query={"edgeType": "COMPANY_FOLLOWED_BY_MEMBER"},
        )
        return _int(self._json(response, action).get("firstDegreeSize"))

    def verify(self) -> AccountInfo:
        action = "reading the organization"
        org = self._json(
            self._request("GET", f"/rest/organizations/{self.organization_id}", action), action
        )
        vanity = org.get("vanityName")
        return AccountInfo(
            account=str(org.get("localizedName") or vanity or self.author),
            followers=self.fetch_followers(),
            url=f"https://www.linkedin.com/company/{vanity or self.organization_id}/",
        )

    def close(self) -> None:
        if "_client" in self.__dict__:  # never built: nothing to close
            self._client.close()


def _transport_error(exc: httpx.TransportError, action: str, posting: bool) -> TransientError:
    """`exc` as a TransientError; maybe_posted only when a POST may have reached LinkedIn."""
    import httpx

    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
        return TransientError(f"{action}: cannot connect ({type(exc).__name__})")
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.ProxyError):
        return TransientError(f"{action}: cannot send ({type(exc).__name__})")
    if isinstance(exc, httpx.ReadTimeout):
        return TransientError(f"{action}: no answer in time (read timeout)", maybe_posted=posting)
    return TransientError(
        f"{action}: the connection failed after sending ({type(exc).__name__})",
        maybe_posted=posting,
    )


def _is_duplicate(body: Mapping[str, Any], message: str) -> bool:
    """LinkedIn's 422 for repeated content: `errorDetails.inputErrors[].code` DUPLICATE_POST,
    with "Content is a duplicate of urn:li:share:..." as the message."""
    if body.get("code") == "DUPLICATE_POST" or "DUPLICATE_POST" in message:
        return True
    details = body.get("errorDetails")
    errors = details.get("inputErrors") if isinstance(details, Mapping) else None
    if isinstance(errors, list) and any(
        isinstance(e, Mapping) and e.get("code") == "DUPLICATE_POST" for e in errors
    ):
        return True
    return "content is a duplicate" in message.lower()


def _matches(element: Mapping[str, Any], post: Post, commentary: str) -> bool:
    """Our post: its article source is the item's URL (whole), or its commentary is ours."""
    if post.url:
        article = _get(element, "content", "article")
        if isinstance(article, Mapping) and article.get("source") == post.url:
            return True
    theirs = element.get("commentary")
    return isinstance(theirs, str) and bool(theirs) and " ".join(theirs.split()) == commentary


def _post_url(urn: str) -> str:
    return f"https://www.linkedin.com/feed/update/{urn}/"


def _get(data: Mapping[str, Any], *keys: str) -> Any:
    value: Any = data
    for key in keys:
        value = value.get(key) if isinstance(value, Mapping) else None
    return value


def _from_ms(value: Any) -> datetime | None:
    """LinkedIn's epoch milliseconds as an aware UTC datetime."""
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    try:
        return datetime.fromtimestamp(value / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
