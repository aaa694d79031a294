"""Images on X: `POST /2/media/upload`, then `POST /2/media/metadata` for the alt text, then
the post with `media.media_ids` (a part of `XAdapter`, which mixes `XMedia` in).

tweepy 4.17's `Client` has no v2 media upload (its `media_upload` is on the v1.1 `API`, whose
endpoint X retired), so the upload is a thin call made the way tweepy makes its own: through
the client's session (ours, with its timeouts and `api_base_url`, `_http`) and with the
OAuth 1.0a user-context auth tweepy builds from the same four secrets. Its failures are raised
as the exceptions tweepy would raise (`http_error`), so `XAdapter._call` maps them exactly as
it maps tweepy's. The alt text goes through tweepy's own `Client.request` (a JSON body, which
it supports); a decorative image (alt "") gets no metadata call.

X keeps an uploaded media id for `expires_after_secs` (the upload's answer says; 86,400, a
day, in X's documentation of the media upload). The recorded id is reused until an hour
before that, uploaded again after (`xensocial.uploading`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from ._upload import image_payload
from .base import ChannelContext, MediaLimits, MediaRef, Post, PostImage, TransientError

if TYPE_CHECKING:
    import requests
    import tweepy  # type: ignore[import-untyped]

__all__ = ["UPLOAD_PATH", "XMedia", "http_error"]

UPLOAD_PATH = "/2/media/upload"
METADATA_PATH = "/2/media/metadata"
_HOST = "https://api.twitter.com"  # rewritten to `api_base_url` by our session (`_http`)
_DEFAULT_LIFETIME = 86_400  # seconds, when the answer does not say
_MARGIN = timedelta(hours=1)


def http_error(response: requests.Response) -> tweepy.HTTPException:
    """The error tweepy would raise for `response`, for a request made outside its Client."""
    import tweepy

    status = response.status_code
    if status == 429:
        reset = response.headers.get("x-rate-limit-reset", "")
        return tweepy.TooManyRequests(response, reset_time=int(reset) if reset.isdigit() else None)
    if status >= 500:
        return tweepy.TwitterServerError(response)
    known = {400: tweepy.BadRequest, 401: tweepy.Unauthorized, 403: tweepy.Forbidden}
    return known.get(status, tweepy.HTTPException)(response)


class XMedia:
    """Upload an image with its alt text, and post with the uploaded ids (see the module)."""

    context: ChannelContext
    media_limits: ClassVar[MediaLimits]
    _client: Any
    _call: Callable[..., Any]

    def upload_image(self, image: PostImage) -> MediaRef:
        payload = image_payload(self.context, image, self.media_limits)
        name = f"{image.sha256[:16]}.{payload.mime.rpartition('/')[2]}"
        body = self._call(
            "uploading an image to X",
            lambda: self._upload(name, payload.data, payload.mime),
            posting=True,  # a 400/403 refuses this image for good: Rejected
        )
        try:
            data = body["data"]
            media_id = str(data["id"])
            lifetime = int(data.get("expires_after_secs") or _DEFAULT_LIFETIME)
        except (KeyError, TypeError, ValueError):
            raise TransientError("uploading an image to X: the answer had no media id") from None
        if image.alt:
            self._call(
                "setting an image's alt text on X",
                lambda: self._client.request(
                    "POST",
                    METADATA_PATH,
                    json={"id": media_id, "metadata": {"alt_text": {"text": image.alt}}},
                    user_auth=True,
                ),
                posting=True,
            )
        expires = self.context.clock() + timedelta(seconds=lifetime) - _MARGIN
        return MediaRef(media_id, expires)

    def _upload(self, name: str, data: bytes, mime: str) -> Any:
        import tweepy

        c = self._client
        auth = tweepy.OAuth1UserHandler(
            c.consumer_key, c.consumer_secret, c.access_token, c.access_token_secret
        ).apply_auth()
        response = c.session.post(
            _HOST + UPLOAD_PATH,
            files={"media": (name, data, mime)},
            data={"media_category": "tweet_image"},
            auth=auth,
        )
        if response.status_code >= 400:
            raise http_error(response)
        return response.json()

    def _create_tweet(self, post: Post) -> Any:
        """The post, with its uploaded images (`media_ids`) and, for a thread's reply, its
        parent (`in_reply_to_tweet_id`)."""
        return self._client.create_tweet(
            text=post.text,
            media_ids=list(post.media_ids) or None,
            in_reply_to_tweet_id=post.reply_to.parent_id if post.reply_to else None,
        )
