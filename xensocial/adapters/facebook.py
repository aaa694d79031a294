"""The Facebook Page adapter: posts to a Page's feed through facebook-sdk's `GraphAPI`.

Configuration:

    [[channels]]
    network = "facebook"
    [channels.options]
    page_id = "1234567890"              # required: the Page's numeric id
    graph_version = "v25.0"             # optional: the Graph API version (default below)
    api_base_url = "https://graph.facebook.com"   # optional: a proxy or a test server
    [channels.secrets]
    access_token = "env:FB_PAGE_TOKEN"  # a Page access token with pages_manage_posts and
                                        # pages_read_engagement (read_insights for views)

The default Graph version is `versions.DEFAULTS["facebook"]` (v25.0, served until 2028-07-29
by Meta's changelog): one place, beside every version's end, and a test fails 90 days before
the default ends. `warnings()` says when the configured version ends within 60 days
(`versions.version_warning`, today from the channel's clock), for `channels verify` and the
daemon's start.

What it calls: `put_object(page_id, "feed", message=..., link=...)` to publish;
`get_connections(page_id, "posts", ...)` to look for a post; `get_object(post_id, fields=
"shares,reactions.summary(true),comments.summary(true),insights.metric(
post_total_media_view_unique)")` for engagement; the Page's `followers_count` for followers and
`verify`.

Views: Meta retired the impressions metrics of Page post insights in 2025 and names
`post_total_media_view_unique` (people the post was shown to) as their replacement. It is read
in the same request as the counters and stored as `impressions`: for Facebook, impressions
means views. Insights need a token with `read_insights` (a person who can ANALYZE on the Page)
and a Page of 100+ likes. When Graph refuses them (a permission error, "not a valid insights
metric"), the post is read again without them: views are None, the other counters are kept,
and views are not asked for again for a day (each refusal would cost a second request).

Workarounds for facebook-sdk 3.1.0, its last release (2018):
- It accepts only Graph versions 2.8 to 3.1 (a regex and a fixed list), all retired by Meta.
  The client is built with "3.1", which it accepts, and the configured version is then set on
  the instance (`client.version`), which is all its methods read.
- It sends to the hard-coded https://graph.facebook.com with the timeout it was given (None by
  default): it gets the session of `_http.make_session`, which applies our timeouts and sends
  to `api_base_url` instead when one is configured.
- It ignores the HTTP status and raises `GraphAPIError` from the JSON error object, keeping
  neither the status nor the headers. A response hook on the session keeps the last response,
  so a 5xx without a Graph error body is still seen as a server failure, and a rate-limit error
  can be given its reset time from `x-business-use-case-usage` or `x-page-usage`
  (`estimated_time_to_regain_access`, in minutes); `x-app-usage` carries percentages only, so
  an app-level limit has no reset time (None).

Graph error codes, as mapped here (Meta's "Handling Errors" page, and its rate-limit page):
- 190 (invalid or expired token), 102 (session), 10 and 200-299 (permission missing) → AuthError:
  the channel pauses and its items wait, where rejecting would fail every item in turn;
- 3 ("API Method": the app lacks the capability or permission) → ChannelBlocked: the channel
  pauses with what to check in the app's settings;
- a refused Graph version (2635 "calling a deprecated version", 12 "deprecated for versions",
  or any message saying the version is deprecated or unsupported) → ChannelBlocked naming the
  version and `[channels.options] graph_version`. Meta usually serves a call to an expired
  version with the oldest live one instead, silently; the warning above is the early notice;
- 4, 17, 32, 341, 613 and the 800xx business-use-case limits (80001: the Page's) → RateLimited,
  with the reset from the headers when they give one;
- 368 ("temporarily blocked for policies violations": wait and retry) → TransientError, not
  posted; except when its message says duplicate → Rejected(duplicate);
- 1 (unknown error), 2 (service unavailable), and any answer that is not Graph JSON (a proxy's
  5xx page) → TransientError; when publishing, `maybe_posted` unless the answer proves nothing
  was done;
- 506 (duplicate status message) → Rejected(duplicate);
- anything else → Rejected.
Only Graph's own failures (1, 2), an answer that is not Graph's and a transport failure after
sending are `maybe_posted`; a documented refusal (368, 3, a limit, a version) made no post.

Lookups are NOT reliable (`lookup_is_reliable = False`): Graph has no idempotency key, a post
carries no trace of ours but its text and link, and the Page's `posts` edge is not a promised
read-after-write view (a post held for review, or one still propagating, is not listed). So
`find_published` finding a post is proof, but not finding one is not: a delivery whose post may
be out goes to `unknown` for a person to decide rather than risking a second post.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from functools import cached_property, partial
from typing import TYPE_CHECKING, Any, ClassVar

from . import versions
from ._lazy import require
from ._options import numeric_id, parse_base_url, reject_unknown_options
from .base import (
    AccountInfo,
    Adapter,
    AdapterError,
    AuthError,
    ChannelBlocked,
    ChannelContext,
    Engagement,
    Post,
    PublishResult,
    RateLimited,
    Rejected,
    TextLimits,
    TransientError,
)
from .media_limits import FACEBOOK_MEDIA

if TYPE_CHECKING:
    import requests

__all__ = ["DEFAULT_GRAPH_VERSION", "FacebookPageAdapter"]

require("facebook", "facebook", "requests")  # imported on first use (see `_lazy`)

_, DEFAULT_GRAPH_VERSION = versions.DEFAULTS["facebook"]
"""The Graph version used when `graph_version` is not set: `versions.DEFAULTS`, the one place."""

GRAPH_URL = "https://graph.facebook.com"
_LIBRARY_VERSION = "3.1"  # the newest version facebook-sdk 3.1.0 lets its constructor take
_VERSION = re.compile(r"^v\d{1,2}\.\d$")
_OPTIONS = {"page_id", "graph_version", "api_base_url"}

_AUTH_CODES = {102, 190, 10}
_CAPABILITY = 3  # "API Method": the app lacks a capability or permission for the call
# Application (4), user (17), Page (32), application (341), call-volume (613) limits, and the
# business-use-case limits 80000-80014 (80001 is the Page's; the others the same elsewhere).
_RATE_CODES = {4, 17, 32, 341, 613, *range(80000, 80015)}
_TRANSIENT_CODES = {1, 2}  # Graph's own failure: it may strike after the post was made
_POLICY_BLOCK = 368  # "temporarily blocked for policies violations": wait and retry
_DUPLICATE_CODES = {506}
_VERSION_CODES = {12, 2635}  # "deprecated for versions ...", "calling a deprecated version"
_VERSION_REFUSED = re.compile(
    r"\b(?:deprecated|unsupported|retired)\s+(?:api\s+)?version"
    r"|\bversion\b.{0,40}?\b(?:deprecated|no\s+longer\s+(?:supported|available)"
    r"|not\s+supported|unsupported)",
    re.IGNORECASE,
)
_GONE = (100, 33)  # "Unsupported get request. Object ... does not exist": a deleted post
_USAGE_HEADERS = ("x-business-use-case-usage", "x-page-usage")

_POST_FIELDS = "id,message,created_time,permalink_url"
_ENGAGEMENT_FIELDS = "shares,reactions.summary(true),comments.summary(true)"
VIEWS_METRIC = "post_total_media_view_unique"
_VIEWS_FIELD = f"insights.metric({VIEWS_METRIC})"
_VIEWS_PAUSE = timedelta(days=1)  # after a refusal, read without views this long
_LINK = re.compile(r"https?://[^\s<>\"']+")
_TRAILING = ".,;:!?)]}"  # sentence punctuation after a link is not part of it
_LOOKUP_PAGES = 5  # pages of 100 posts: far more than a Page posts between two tries


class FacebookPageAdapter(Adapter):
    name: ClassVar[str] = "facebook"
    limits: ClassVar[TextLimits] = TextLimits(max_length=63206)
    media_limits = FACEBOOK_MEDIA
    lookup_is_reliable: ClassVar[bool] = False  # see the module docstring
    engagement_batch: ClassVar[int] = 1  # one Graph read per post

    def __init__(self, context: ChannelContext) -> None:
        super().__init__(context)
        options = context.options
        reject_unknown_options(options, sorted(_OPTIONS), "facebook")
        self.page_id = numeric_id(options, "page_id", "expected the Page's numeric id")
        version = options.get("graph_version", DEFAULT_GRAPH_VERSION)
        if not isinstance(version, str) or not _VERSION.match(version.strip()):
            raise ValueError(
                f"graph_version: expected a version such as {DEFAULT_GRAPH_VERSION!r}, "
                f"got {version!r}"
            )
        self.graph_version = version.strip()
        self._base_url = parse_base_url(options.get("api_base_url"))
        token = context.secrets.get("access_token")
        if not token:
            raise AuthError(
                f"channel {context.name!r}: secret 'access_token' (a Page token) is missing"
            )
        self._token = token

        self._last: requests.Response | None = None
        self._session: requests.Session | None = None
        self._views_refused_until: datetime | None = None

    @cached_property
    def _graph(self) -> Any:
        """facebook-sdk's GraphAPI with our session, built on first use (see `_lazy`)."""
        import facebook  # type: ignore[import-untyped]  # facebook-sdk ships no type information

        from ._http import make_session

        session = make_session(
            timeout=self.context.timeout_seconds,
            real_hosts=(GRAPH_URL,),
            api_base_url=self._base_url,
        )
        session.hooks["response"].append(self._remember)
        self._session = session
        graph = facebook.GraphAPI(
            access_token=self._token, version=_LIBRARY_VERSION, session=session
        )
        graph.version = self.graph_version  # past the library's own version check
        return graph

    def _remember(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self._last = response

    # -- calling Graph ---------------------------------------------------------------------

    def _call(self, action: str, fn: Callable[[], Any], *, posting: bool = False) -> Any:
        """`fn()` (one library call), with every failure turned into our error tree."""
        import facebook
        import requests

        from ._http import transport_error

        self._last = None
        try:
            return fn()
        except requests.RequestException as exc:
            raise transport_error(exc, action) from exc
        except facebook.GraphAPIError as exc:
            raise self._graph_error(exc, action, posting) from exc
        except (KeyError, ValueError) as exc:
            # The library reads `content-type` and parses JSON without checking either: an
            # answer that is not Graph's (a proxy's page, a truncated body).
            raise self._not_graph(action, posting) from exc

    def _status(self) -> int | None:
        return self._last.status_code if self._last is not None else None

    def _not_graph(self, action: str, posting: bool) -> TransientError:
        status = self._status()
        # A 4xx page that is not Graph's came from something in front of Graph: nothing was done.
        maybe = posting and (status is None or status >= 500)
        return TransientError(
            f"{action}: not a Graph API answer (HTTP {status})", maybe_posted=maybe
        )

    def _graph_error(self, exc: Any, action: str, posting: bool) -> AdapterError:
        """One Graph error object as our error (the mapping is in the module docstring)."""
        code = exc.code if isinstance(exc.code, int) else None
        result = exc.result if isinstance(exc.result, Mapping) else {}
        raw_error = result.get("error")
        error: Mapping[str, Any] = raw_error if isinstance(raw_error, Mapping) else {}
        subcode = error.get("error_subcode")
        message = str(exc.message if isinstance(exc.message, str) else error.get("message", exc))
        text = f"{action}: Graph error {code}" + (f"/{subcode}" if subcode else "") + f": {message}"
        if code is None:
            return self._not_graph(action, posting)
        if code in _VERSION_CODES or _VERSION_REFUSED.search(message):
            return ChannelBlocked(self._version_refused(text))
        if code in _AUTH_CODES or 200 <= code <= 299:
            return AuthError(text)
        if code == _CAPABILITY:
            return ChannelBlocked(
                "Facebook refuses the call: the app lacks a capability or permission it needs. "
                "Check in the Meta app dashboard that the app has the Pages API with "
                "pages_manage_posts and pages_read_engagement, and that access_token is a Page "
                f"token made for this app; then {self._resume} ({text})"
            )
        if code in _RATE_CODES or self._status() == 429:
            return RateLimited(text, reset_at=self._reset_at())
        if code == _POLICY_BLOCK and "duplicate" in message.lower():
            return Rejected(text, duplicate=True)
        if code == _POLICY_BLOCK:
            # A documented refusal, made before anything was posted: waiting may lift it.
            return TransientError(
                f"{text} (Facebook blocks this for now after a policy violation; retrying later)",
                maybe_posted=False,
            )
        if code in _TRANSIENT_CODES:
            return TransientError(text, maybe_posted=posting)
        if code in _DUPLICATE_CODES:
            return Rejected(text, duplicate=True)
        return Rejected(text)

    def _version_refused(self, text: str) -> str:
        """The pause reason for a refused Graph version: which version, and the key to change."""
        fix = versions.how_to_move_on("facebook", self.graph_version)
        return (
            f"Facebook no longer serves Graph API version {self.graph_version}: {fix}, then "
            f"{self._resume} ({text})"
        )

    @property
    def _resume(self) -> str:
        return f"`xensocial channels resume {self.context.name}`"

    def _reset_at(self) -> datetime | None:
        """When the limit lifts: the longest `estimated_time_to_regain_access` (minutes) in
        `x-business-use-case-usage` (per object, a list each) or `x-page-usage` (one object)."""
        # `is not None`: a Response is falsy when its status is an error, as here.
        last = self._last
        if last is None:
            return None
        minutes: list[float] = []
        for header in _USAGE_HEADERS:
            raw = last.headers.get(header)
            if not raw:
                continue
            try:
                usage = json.loads(raw)
                entries = (
                    [usage]
                    if "estimated_time_to_regain_access" in usage
                    else [entry for listed in usage.values() for entry in listed]
                )
                minutes += [
                    float(entry["estimated_time_to_regain_access"])
                    for entry in entries
                    if entry.get("estimated_time_to_regain_access") is not None
                ]
            except (ValueError, TypeError, AttributeError, KeyError):
                continue  # a malformed header is no reason to fail the call differently
        wait = max(minutes, default=0.0)
        return self.context.clock() + timedelta(minutes=wait) if wait > 0 else None

    # -- the interface ---------------------------------------------------------------------

    def warnings(self) -> Sequence[str]:
        today = self.context.clock().astimezone(UTC).date()
        line = versions.version_warning(
            "facebook", self.graph_version, today, channel=self.context.name
        )
        return (line,) if line else ()

    def _post_url(self, post_id: str) -> str:
        page, _, own = post_id.partition("_")
        if own:
            return f"https://www.facebook.com/{page}/posts/{own}"
        return f"https://www.facebook.com/{post_id}"

    def publish(self, post: Post) -> PublishResult:
        data = {"message": post.text}
        if post.url:
            data["link"] = post.url
        result = self._call(
            "posting to Facebook",
            lambda: self._graph.put_object(self.page_id, "feed", **data),
            posting=True,
        )
        post_id = result.get("id") if isinstance(result, Mapping) else None
        if not post_id:
            # Graph answered without an id: the post may well be out; look before retrying.
            raise TransientError(
                f"posting to Facebook: no post id in {result!r}", maybe_posted=True
            )
        return PublishResult(str(post_id), self._post_url(str(post_id)), self.context.clock())

    def find_published(self, post: Post, *, since: datetime) -> PublishResult | None:
        args: dict[str, Any] = {
            "fields": _POST_FIELDS,
            "since": int(since.timestamp()),
            "limit": 100,
        }
        for _ in range(_LOOKUP_PAGES):
            page = self._call(
                "reading the Page's posts",
                partial(self._graph.get_connections, self.page_id, "posts", **args),
            )
            for entry in page.get("data", []) if isinstance(page, Mapping) else []:
                if _matches(entry, post):
                    post_id = str(entry["id"])
                    return PublishResult(
                        post_id,
                        str(entry.get("permalink_url") or self._post_url(post_id)),
                        _graph_time(entry.get("created_time")) or self.context.clock(),
                    )
            paging = page.get("paging", {}) if isinstance(page, Mapping) else {}
            after = paging.get("cursors", {}).get("after")
            if not paging.get("next") or not after:
                return None
            args = {**args, "after": after}
        return None

    def fetch_engagement(self, remote_ids: Sequence[str]) -> list[Engagement]:
        out = []
        for remote_id in remote_ids:
            obj = self._read_post(remote_id)
            if obj is None:
                continue  # deleted on Facebook: the interface says leave it out
            out.append(
                Engagement(
                    remote_id=remote_id,
                    fetched_at=self.context.clock(),
                    likes=_summary_count(obj.get("reactions")),
                    # Graph leaves `shares` out of a post nobody shared, rather than saying 0.
                    reposts=_int(obj.get("shares", {"count": 0}).get("count")),
                    replies=_summary_count(obj.get("comments")),
                    impressions=_views(obj),  # Facebook's views (see the module docstring)
                )
            )
        return out

    def _read_post(self, remote_id: str) -> Mapping[str, Any] | None:
        """The post's counters, with its views where the token may read them; None: deleted."""
        now = self.context.clock()
        with_views = self._views_refused_until is None or now >= self._views_refused_until
        if not with_views:
            return self._get_post(remote_id, _ENGAGEMENT_FIELDS)
        try:
            return self._get_post(remote_id, f"{_ENGAGEMENT_FIELDS},{_VIEWS_FIELD}")
        except (Rejected, ChannelBlocked):
            pass  # perhaps the insights alone: a plain read tells
        plain = self._get_post(remote_id, _ENGAGEMENT_FIELDS)  # raises what is not about views
        if plain is not None:
            self._views_refused_until = now + _VIEWS_PAUSE
        return plain

    def _get_post(self, remote_id: str, fields: str) -> Mapping[str, Any] | None:
        try:
            obj = self._call(
                "reading a post's engagement",
                partial(self._graph.get_object, remote_id, fields=fields),
            )
        except Rejected as exc:
            cause = exc.__cause__
            if (getattr(cause, "code", None), _subcode(cause)) == _GONE:
                return None
            raise
        return obj if isinstance(obj, Mapping) else {}

    def _page(self, fields: str) -> Mapping[str, Any]:
        obj = self._call(
            "reading the Page", lambda: self._graph.get_object(self.page_id, fields=fields)
        )
        return obj if isinstance(obj, Mapping) else {}

    def fetch_followers(self) -> int | None:
        return _int(self._page("followers_count").get("followers_count"))

    def verify(self) -> AccountInfo:
        page = self._page("name,followers_count,link")
        return AccountInfo(
            account=str(page.get("name") or self.page_id),
            followers=_int(page.get("followers_count")),
            url=str(page.get("link") or f"https://www.facebook.com/{self.page_id}"),
        )

    def close(self) -> None:
        if self._session is not None:  # None: the client was never built
            self._session.close()


def _matches(entry: Mapping[str, Any], post: Post) -> bool:
    """Our post, by a link in its message equal to the item's URL, or by its exact text."""
    message = str(entry.get("message") or "")
    if post.url and post.url in _links(message):
        return True
    return bool(message) and " ".join(message.split()) == " ".join(post.text.split())


def _links(text: str) -> set[str]:
    # Whole links only: ".../blog/1" must not match a post of ".../blog/15".
    found = [m.group(0) for m in _LINK.finditer(text)]
    return set(found) | {link.rstrip(_TRAILING) for link in found}


def _graph_time(value: Any) -> datetime | None:
    """Graph's "2025-01-02T03:04:05+0000" as an aware UTC datetime."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value).astimezone(UTC)
    except ValueError:
        return None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _summary_count(edge: Any) -> int | None:
    if not isinstance(edge, Mapping):
        return None
    summary = edge.get("summary")
    return _int(summary.get("total_count")) if isinstance(summary, Mapping) else None


def _subcode(exc: Any) -> Any:
    result = getattr(exc, "result", None)
    error = result.get("error") if isinstance(result, Mapping) else None
    return error.get("error_subcode") if isinstance(error, Mapping) else None


def _views(obj: Mapping[str, Any]) -> int | None:
    """`post_total_media_view_unique` from the `insights` edge; None when absent (not asked,
    or Graph had no figure: a Page under 100 likes gets an empty `data`)."""
    insights = obj.get("insights")
    data = insights.get("data") if isinstance(insights, Mapping) else None
    for metric in data if isinstance(data, list) else []:
        if not isinstance(metric, Mapping) or metric.get("name") != VIEWS_METRIC:
            continue
        values = metric.get("values")
        last = values[-1] if isinstance(values, list) and values else None
        return _int(last.get("value")) if isinstance(last, Mapping) else None
    return None
