"""The Bluesky adapter: posts to one account through the atproto SDK (XRPC over httpx).

Configuration:

    [[channels]]
    network = "bluesky"
    [channels.options]
    handle = "xenproject.bsky.social"        # required: the account
    api_base_url = "https://bsky.social"     # optional: the PDS or entryway (this is the default)
    link_cards = true                        # optional: read the page's Open Graph tags for the card
    [channels.secrets]
    app_password = "env:BLUESKY_APP_PASSWORD"  # Settings > Privacy and security > App passwords

A post is an `app.bsky.feed.post` record: the text; its facets, made by Bluesky's own rules
(`_bsky_facets`, held to `RichText.detectFacets` of `@atproto/api` by a test): a link facet per
`http(s)://` URL, covering it to the next space (internationalised URLs and IP-literal hosts
included), and a tag facet per `#tag` (and `$CASHTAG`), so hashtags are clickable and
searchable — Bluesky linkifies nothing on its own, and facets address the text in UTF-8
*bytes*, so an emoji before a link moves it by four; and an `app.bsky.embed.external` card for
the item's URL (title, description and a thumbnail uploaded with `uploadBlob`, from the page's
Open Graph tags when `link_cards` is on and the page answers in time; a card that cannot be
built is posted without them, never failing the post). Length: the lexicon allows 300 graphemes
(`xensocial.text.measure("bluesky", ...)`) and 3,000 bytes of UTF-8 (`limits.max_bytes`), both
checked by rendering and `queue add`, and again before sending.

Never twice. Bluesky has no idempotency key, and a deterministic record key does not give one:
the post lexicon's key type is `tid` (a time-ordered id), so a key derived from our delivery key
would carry a meaningless time and break the newest-first order `listRecords` pages in; and the
reference PDS answers a create on an existing key with a 500 (bluesky-social/indigo#873, an
explicit error was only proposed in atproto#4728), indistinguishable from a real failure. So the
PDS chooses the key, and the record carries our delivery key in an extra field (`xensocialKey`;
records may hold fields their lexicon does not name, clients ignore them). `find_published` reads
the account's own records with `com.atproto.repo.listRecords` on the PDS, which lists a record as
soon as it is written (unlike the AppView's `getAuthorFeed`), and matches the key, else the
card's URI or a link facet, else the whole text. That makes a lookup that finds nothing good
proof the post is not out (`lookup_is_reliable = True`).

Session: kept in the data directory and shared by every process of the channel (`_bsky_session`:
`credentials/bluesky-<channel>.json`, mode 0600), because `createSession` is limited per account.
A call refused as `ExpiredToken`/`InvalidToken` or 401 renews the session once (`refreshSession`,
and when that is refused too, a new `createSession`) and is retried once; if that fails, or the
password itself is refused, AuthError (the channel pauses, its items wait). Retrying a refused
create is safe: the PDS checks the token before it writes.

Errors (`_bsky_errors`): 429 → RateLimited with the `ratelimit-reset` time; 5xx and transport
failures → TransientError (`maybe_posted` when a create may have landed: a read timeout or a
dropped connection, not a refused connection); 400 `InvalidRequest` and other 4xx → Rejected; a
404 from `createSession` → AuthError naming `api_base_url`.

`verify` asks `com.atproto.server.getSession`, which the PDS answers alone, so a PDS without an
AppView (or an AppView outage) still verifies; the follower count then reads as unknown.
Engagement: `app.bsky.feed.getPosts`, 25 URIs a call: likes, reposts, replies, quotes
(impressions and clicks are not given: None). Followers: `getProfile`'s `followersCount`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, ClassVar, TypeVar

from ..text import measure, utf8_size
from ._bsky_errors import as_adapter_error, is_auth, sdk_errors
from ._bsky_facets import facets
from ._bsky_session import Session, SessionKeeper, client_class
from ._cards import Card, fetch_card
from ._lazy import require
from ._options import parse_base_url, reject_unknown_options
from ._state import state_file
from .base import (
    AccountInfo,
    Adapter,
    AdapterError,
    AuthError,
    ChannelContext,
    Engagement,
    Post,
    PublishResult,
    Rejected,
    TextLimits,
    TransientError,
)
from .media_limits import BLUESKY_MEDIA

__all__ = ["DEFAULT_BASE_URL", "KEY_FIELD", "BlueskyAdapter", "facets"]

DEFAULT_BASE_URL = "https://bsky.social"
KEY_FIELD = "xensocialKey"  # the record field that carries our delivery key
POST_COLLECTION = "app.bsky.feed.post"
_GET_POSTS_BATCH = 25  # getPosts takes at most 25 URIs
_LOOKUP_PAGES = 5  # of 100 records: 500 posts since the first try is more than any account makes
_OPTIONS = ("handle", "api_base_url", "link_cards")
T = TypeVar("T")

# The SDK (its pydantic models are ~30 MB) and httpx are imported on first use (see `_lazy`).
require("bluesky", "atproto_client", "atproto_core", "atproto_server", "httpx")


def _model_as_dict(model: Any) -> dict[str, Any]:
    from atproto_client.models.utils import get_model_as_dict  # type: ignore[import-untyped]

    result: dict[str, Any] = get_model_as_dict(model)
    return result


class BlueskyAdapter(Adapter):
    name: ClassVar[str] = "bluesky"
    # 300 graphemes (links count in full) and 3,000 bytes: the post lexicon's two caps on text.
    limits: ClassVar[TextLimits] = TextLimits(max_length=300, max_bytes=3000)
    media_limits = BLUESKY_MEDIA
    lookup_is_reliable: ClassVar[bool] = True  # see the module docstring
    engagement_batch: ClassVar[int] = _GET_POSTS_BATCH

    def __init__(self, context: ChannelContext) -> None:
        super().__init__(context)
        options = context.options
        reject_unknown_options(options, _OPTIONS, "bluesky")
        handle = options.get("handle")
        if not isinstance(handle, str) or not handle.strip():
            raise ValueError("handle: required, the account, e.g. 'xenproject.bsky.social'")
        self.handle = handle.strip().removeprefix("@")
        self.base_url = parse_base_url(options.get("api_base_url")) or DEFAULT_BASE_URL
        link_cards = options.get("link_cards", True)
        if not isinstance(link_cards, bool):
            raise ValueError(f"link_cards: expected true or false, got {link_cards!r}")
        self.link_cards = link_cards
        password = context.secrets.get("app_password")
        if not password:
            raise AuthError(f"channel {context.name!r}: secret 'app_password' is missing")
        self._sessions = SessionKeeper(
            state_file(context.data_dir, "bluesky", context.name),
            identifier=self.handle,
            password=password,
            service=self.base_url,
            clock=context.clock,
        )

    # -- calling the PDS -------------------------------------------------------------------

    @cached_property
    def _client(self) -> Any:
        """The SDK's Client, built on first use (see `_lazy`); it makes no request itself."""
        import httpx

        # From atproto_client, not the `atproto` package: that also loads crypto, firehose and
        # identity code we never use (~4 MB).
        from atproto_client.request import Request  # type: ignore[import-untyped]

        seconds = self.context.timeout_seconds
        timeout = httpx.Timeout(seconds, connect=min(seconds, 10))
        return client_class()(self.base_url, request=Request(timeout=timeout))

    def _session(self) -> Session:
        """A usable session (held, stored or renewed: see `_bsky_session`)."""
        return self._sessions.ensure(self._client)

    def _call(self, action: str, fn: Callable[[], T], *, posting: bool = False) -> T:
        """`fn()` (one SDK call) in a session, renewed once when the token is refused."""
        refused = self._session().access_jwt
        try:
            return fn()
        except sdk_errors() as exc:
            if not is_auth(exc):
                raise as_adapter_error(exc, action, posting) from exc
        self._sessions.renew(self._client, refused)
        try:
            return fn()
        except sdk_errors() as exc:
            raise as_adapter_error(exc, action, posting) from exc

    # -- the interface ---------------------------------------------------------------------

    def publish(self, post: Post) -> PublishResult:
        length = measure("bluesky", post.text)
        if length > self.limits.max_length:
            raise Rejected(
                f"posting to Bluesky: {length} graphemes, Bluesky allows {self.limits.max_length}"
            )
        size = utf8_size(post.text)
        if self.limits.max_bytes is not None and size > self.limits.max_bytes:
            raise Rejected(
                f"posting to Bluesky: {size:,} bytes, Bluesky allows {self.limits.max_bytes:,}"
            )
        did = self._session().did
        created_at = _iso(self.context.clock())
        record: dict[str, Any] = {
            "$type": POST_COLLECTION,
            "text": post.text,
            "createdAt": created_at,
            KEY_FIELD: post.key,
        }
        found = facets(post.text)
        if found:
            record["facets"] = found
        if post.url:
            record["embed"] = self._embed(post)
        created = self._call(
            "posting to Bluesky",
            lambda: self._client.com.atproto.repo.create_record(
                {"repo": did, "collection": POST_COLLECTION, "record": record}
            ),
            posting=True,
        )
        at = _parse_time(created_at)
        assert at is not None
        return PublishResult(str(created.uri), self._web_url(str(created.uri)), at)

    def _embed(self, post: Post) -> dict[str, Any]:
        """The external card for the post's URL; the page's tags only when they can be had."""
        card = Card(title=post.title, description="")
        if self.link_cards:
            card = (
                fetch_card(
                    post.url,
                    timeout=min(self.context.timeout_seconds, 5.0),
                    allow_private=self.context.allow_private_addresses,
                )
                or card
            )
        external: dict[str, Any] = {
            "uri": post.url,
            "title": post.title or card.title,
            "description": card.description,
        }
        if card.image is not None:
            try:
                blob = self._call(
                    "uploading the card's image",
                    lambda: self._client.com.atproto.repo.upload_blob(
                        card.image, headers={"Content-Type": card.image_type}
                    ),
                )
                external["thumb"] = _model_as_dict(blob.blob)
            except AuthError:
                raise
            except AdapterError:
                pass  # a card without its picture is still a card; the post must go out
        return {"$type": "app.bsky.embed.external", "external": external}

    def _web_url(self, uri: str) -> str:
        rkey = uri.rsplit("/", 1)[-1]
        return f"https://bsky.app/profile/{self.handle}/post/{rkey}"

    def _records(self) -> Iterator[Any]:
        """The account's posts, newest first (PDS order: by record key, a time-ordered id)."""
        cursor: str | None = None
        for _ in range(_LOOKUP_PAGES):
            params: dict[str, Any] = {
                "repo": self._session().did,
                "collection": POST_COLLECTION,
                "limit": 100,
            }
            if cursor:
                params["cursor"] = cursor
            page = self._call(
                "reading the account's posts",
                lambda p=params: self._client.com.atproto.repo.list_records(p),  # type: ignore[misc]
            )
            yield from page.records
            cursor = page.cursor
            if not cursor or not page.records:
                return
        raise TransientError(
            f"reading the account's posts: more than {_LOOKUP_PAGES * 100}; "
            "cannot tell whether the post is out"
        )

    def find_published(self, post: Post, *, since: datetime) -> PublishResult | None:
        for record in self._records():
            value = _as_dict(record.value)
            created = _parse_time(value.get("createdAt"))
            if _matches(value, post):
                uri = str(record.uri)
                return PublishResult(uri, self._web_url(uri), created or self.context.clock())
            if created is not None and created < since:
                return None
        return None

    def fetch_engagement(self, remote_ids: Sequence[str]) -> list[Engagement]:
        out: list[Engagement] = []
        for i in range(0, len(remote_ids), _GET_POSTS_BATCH):
            batch = list(remote_ids[i : i + _GET_POSTS_BATCH])
            answer = self._call(
                "reading posts",
                lambda b=batch: self._client.app.bsky.feed.get_posts({"uris": b}),  # type: ignore[misc]
            )
            at = self.context.clock()
            for view in answer.posts:  # posts the AppView no longer has are left out by it
                out.append(
                    Engagement(
                        remote_id=str(view.uri),
                        fetched_at=at,
                        likes=_count(view.like_count),
                        reposts=_count(view.repost_count),
                        replies=_count(view.reply_count),
                        quotes=_count(view.quote_count),
                    )
                )
        return out

    def _profile(self) -> Any:
        return self._call(
            "reading the profile",
            lambda: self._client.app.bsky.actor.get_profile({"actor": self._session().did}),
        )

    def fetch_followers(self) -> int | None:
        return _count(self._profile().followers_count)

    def verify(self) -> AccountInfo:
        # getSession is answered by the PDS itself; the profile (for the follower count) comes
        # from the AppView, which a PDS may not have, or which may be down: then it is unknown.
        session = self._call(
            "checking the Bluesky session", lambda: self._client.com.atproto.server.get_session()
        )
        handle = str(session.handle)
        try:
            followers = self.fetch_followers()
        except AdapterError:
            followers = None
        return AccountInfo(
            account=f"@{handle}", followers=followers, url=f"https://bsky.app/profile/{handle}"
        )

    def close(self) -> None:
        if "_client" in self.__dict__:  # never built: nothing to close
            self._client.request.close()


# -- records ---------------------------------------------------------------------------------


def _as_dict(value: Any) -> dict[str, Any]:
    if isinstance(value, Mapping):
        return dict(value)
    try:
        return _model_as_dict(value)
    except (AttributeError, TypeError):
        return {}


def _matches(value: Mapping[str, Any], post: Post) -> bool:
    if value.get(KEY_FIELD) == post.key:
        return True
    if post.url:
        embed = value.get("embed")
        external = embed.get("external") if isinstance(embed, Mapping) else None
        if isinstance(external, Mapping) and external.get("uri") == post.url:
            return True
        for facet in value.get("facets") or ():
            for feature in facet.get("features") or () if isinstance(facet, Mapping) else ():
                if isinstance(feature, Mapping) and feature.get("uri") == post.url:
                    return True
    text = value.get("text")
    return (
        isinstance(text, str)
        and bool(text)
        and " ".join(text.split()) == " ".join(post.text.split())
    )


def _iso(at: datetime) -> str:
    at = at.astimezone(UTC)
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
