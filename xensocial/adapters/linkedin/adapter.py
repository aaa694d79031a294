"""The LinkedIn adapter: posts to one organization page through LinkedIn's versioned REST API.

No maintained Python SDK exists for the Posts API, so this speaks it directly with httpx
(`api.RestClient`: headers, URN encoding, the error mapping).

Configuration:

    [[channels]]
    network = "linkedin"
    [channels.options]
    organization_id = "2414183"              # required: the page's numeric id
    api_version = "202607"                   # optional: the LinkedIn-Version header (YYYYMM);
                                             # default versions.DEFAULTS["linkedin"]
    link_cards = true                        # optional: read the page for the article card
    token_expires_at = "2027-02-01T09:00:00Z"  # optional: when access_token ends, if known
    api_base_url = "https://api.linkedin.com"  # optional: a proxy or a test server
    oauth_base_url = "https://www.linkedin.com"  # optional: the OAuth server (tests)
    [channels.secrets]
    access_token = "env:LINKEDIN_TOKEN"      # a member token of a page admin, with the
                                             # permissions listed below
    refresh_token = "env:LINKEDIN_REFRESH"   # optional, where the app has refresh tokens,
    client_id = "env:LINKEDIN_CLIENT_ID"     # with the app's id and secret: the access token
    client_secret = "env:LINKEDIN_SECRET"    # is then renewed before it ends (`tokens`)

API versions: the default `api_version` is `versions.DEFAULTS["linkedin"]`, the one place it is
set. LinkedIn serves each version for at least a year and then answers it with 426; `warnings()`
says so from 60 days before a configured version's end (`versions.version_warning`), and a 426
raises ChannelBlocked naming the version, its end and `[channels.options] api_version`, so the
channel pauses with that reason and its items wait.

What it calls (permissions in brackets):

- publish: `POST /rest/posts` with the author `urn:li:organization:<id>`, the commentary
  (`little_text`), visibility PUBLIC, distribution MAIN_FEED, lifecycleState PUBLISHED and, when
  the item has a link, an `article` card (`cards`: source, title, description and a thumbnail
  uploaded through the Images API, `POST /rest/images?action=initializeUpload` then PUT).
  LinkedIn answers 201 with an empty body and the new post's URN in the `x-restli-id` header
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
  whose lookup of an administered page is read-only here), the followers, and, where the token
  cannot be renewed but the app's id and secret are configured, LinkedIn's token introspection
  (when the token ends, for `warnings()`).

Never twice: the Posts API takes no idempotency key. LinkedIn refuses identical content posted
again (422 DUPLICATE_POST), but that is not a promise to rely on. `find_published` reads the
page's posts and matches the article source (the item's URL, whole) or the exact commentary.
Lookups are NOT reliable (`lookup_is_reliable = False`): the author finder is not documented as
read-after-write, and posts LinkedIn has just created (or holds for processing) can be missing
from it for a while. Finding the post is proof; not finding it is not, so a delivery whose post
may be out goes to `unknown` for a person rather than being sent again. The card's image is
uploaded before the post is sent: a retry may upload it again, never post again.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import quote

from ...text import DEFAULT_LIMITS, measure
from .. import versions
from .._lazy import require
from .._options import numeric_id, parse_base_url, reject_unknown_options
from .._state import state_file
from ..base import (
    AccountInfo,
    Adapter,
    ChannelContext,
    Engagement,
    Post,
    PublishResult,
    Rejected,
    TextLimits,
    TransientError,
)
from ..media_limits import LINKEDIN_MEDIA
from .api import API_URL, RestClient
from .cards import article
from .little_text import little_text
from .tokens import Tokens, token_settings

__all__ = ["DEFAULT_API_VERSION", "LinkedInAdapter"]

require("linkedin", "httpx")  # imported on first use (see `_lazy`)

DEFAULT_API_VERSION = versions.DEFAULTS["linkedin"][1]
"""The LinkedIn-Version sent when `api_version` is not set (from the version table)."""

_OPTIONS = {
    "organization_id",
    "api_version",
    "api_base_url",
    "link_cards",
    "token_expires_at",
    "oauth_base_url",
}
_VERSION = re.compile(r"^20\d\d(0[1-9]|1[0-2])(\.\d\d)?$")  # YYYYMM, or a patch YYYYMM.RR
_PAGE = 50  # posts per lookup page (the finder allows up to 100)
_LOOKUP_PAGES = 6  # 300 posts since the first try: far more than a page posts in between


class LinkedInAdapter(Adapter):
    name: ClassVar[str] = "linkedin"
    limits: ClassVar[TextLimits] = TextLimits(max_length=DEFAULT_LIMITS["linkedin"])
    media_limits = LINKEDIN_MEDIA
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
            raise ValueError(
                f"api_version: expected YYYYMM such as '{DEFAULT_API_VERSION}', got {version!r}"
            )
        self.api_version = version.strip()
        link_cards = options.get("link_cards", True)
        if not isinstance(link_cards, bool):
            raise ValueError(f"link_cards: expected true or false, got {link_cards!r}")
        self.link_cards = link_cards
        self.base_url = parse_base_url(options.get("api_base_url")) or API_URL
        self.tokens = Tokens(
            token_settings(context.name, options, context.secrets),
            store=state_file(context.data_dir, "linkedin", context.name),
            clock=context.clock,
            channel=context.name,
            timeout=float(context.timeout_seconds),
        )
        self.api = RestClient(
            channel=context.name,
            base_url=self.base_url,
            api_version=self.api_version,
            organization_id=self.organization_id,
            tokens=self.tokens,
            timeout=float(context.timeout_seconds),
            clock=context.clock,
        )

    # -- the interface ---------------------------------------------------------------------

    def warnings(self) -> Sequence[str]:
        """The API version near or past its end; the access token (or, where it is renewed,
        the refresh token) within 7 days of its end. Configuration and the state file only."""
        out = []
        version = versions.version_warning(
            "linkedin",
            self.api_version.split(".")[0],  # a patch YYYYMM.RR ends with its month
            self.context.clock().date(),
            channel=self.context.name,
        )
        if version is not None:
            out.append(version)
        return out + self.tokens.warnings()

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
            body["content"] = {
                "article": article(
                    post,
                    self.api,
                    owner=self.author,
                    read_page=self.link_cards,
                    timeout=float(self.context.timeout_seconds),
                    allow_private=self.context.allow_private_addresses,
                    channel=self.context.name,
                )
            }
        action = "posting to LinkedIn"
        response = self.api.request("POST", "/rest/posts", action, body=body, posting=True)
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
            page = self.api.json(
                self.api.request("GET", "/rest/posts", action, query=query), action
            )
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
            response = self.api.request(
                "GET", f"/rest/socialActions/{quote(remote_id, safe='')}", action, gone_ok=True
            )
            if response is None:
                continue  # deleted on LinkedIn: the interface says leave it out
            data = self.api.json(response, action)
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
        response = self.api.request(
            "GET",
            f"/rest/networkSizes/{quote(self.author, safe='')}",
            action,
            query={"edgeType": "COMPANY_FOLLOWED_BY_MEMBER"},
        )
        return _int(self.api.json(response, action).get("firstDegreeSize"))

    def verify(self) -> AccountInfo:
        action = "reading the organization"
        org = self.api.json(
            self.api.request("GET", f"/rest/organizations/{self.organization_id}", action), action
        )
        vanity = org.get("vanityName")
        followers = self.fetch_followers()
        self.tokens.introspect()  # when the token ends, for `warnings()` (best effort)
        return AccountInfo(
            account=str(org.get("localizedName") or vanity or self.author),
            followers=followers,
            url=f"https://www.linkedin.com/company/{vanity or self.organization_id}/",
        )

    def close(self) -> None:
        self.api.close()


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
