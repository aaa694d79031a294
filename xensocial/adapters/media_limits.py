"""Each network's documented image limits, in one place, with where each figure comes from.

Every adapter declares its `media_limits` (see `base.MediaLimits`) from here; `queue add`,
`edit` and `import` check an item's images against them (`rendering.fit`), and `preview` shows
them. They are kept apart from the adapters' modules so that the figures and their sources
read as one table (docs/media.md prints it). `uploads=False` on a network whose upload is not
built yet: its channels refuse images at add, honestly, rather than post without them.

Sources (as read on 6 December 2026):

- X: docs.x.com/x-api/media ("Image: 5 MB, GIF: 15 MB"); four images a post; alt text 1,000
  characters (`POST /2/media/metadata`); JPEG, PNG, GIF, WebP.
- Mastodon: the instance's `configuration.media_attachments` (`/api/v2/instance`:
  `image_size_limit`, `image_matrix_limit`, `supported_mime_types`) and
  `configuration.statuses.max_media_attachments`; when unknown (at add time no instance is
  asked), Mastodon's defaults: 16 MiB (16,777,216 bytes) and 33,177,600 pixels an image, four
  attachments, descriptions up to 1,500 characters.
- Bluesky: the `app.bsky.embed.images` lexicon (atproto `lexicons/app/bsky/embed/images.json`):
  at most four images, each blob `image/*` of at most 1,000,000 bytes; `alt` is required and
  has no length limit in the lexicon (None here). The issue that asked for this said
  2,000,000 bytes; the lexicon we read says 1,000,000, and the lexicon is what the PDS checks.
- Facebook: the Page photos edge (developers.facebook.com/docs/graph-api/reference/page/photos):
  JPEG, PNG, GIF (BMP and TIFF too, which no other network here takes), 4 MB a photo, and
  PNG under 1 MB advised; no documented alt text limit (`alt_text_custom`).
- LinkedIn: the Images API (learn.microsoft.com/linkedin/marketing/community-management/
  shares/images-api): JPG, GIF, PNG, under 36,152,320 pixels; alt text up to 4,086
  characters (Posts API `altText`); no byte limit stated by LinkedIn (5 MB is what the
  schedulers built on it document, taken here).
"""

from __future__ import annotations

from .base import MediaLimits

__all__ = [
    "BLUESKY_MEDIA",
    "FACEBOOK_MEDIA",
    "LINKEDIN_MEDIA",
    "MASTODON_MEDIA",
    "OUTBOX_MEDIA",
    "X_MEDIA",
]

JPEG, PNG, GIF, WEBP = "image/jpeg", "image/png", "image/gif", "image/webp"
MB = 1024 * 1024

X_MEDIA = MediaLimits(
    types=frozenset({JPEG, PNG, GIF, WEBP}),
    max_bytes=5 * MB,
    max_images=4,
    alt_max_length=1000,
    source="docs.x.com/x-api/media",
)
MASTODON_MEDIA = MediaLimits(
    types=frozenset({JPEG, PNG, GIF, WEBP}),
    max_bytes=16 * MB,
    max_pixels=33_177_600,
    max_images=4,
    alt_max_length=1500,
    source="the instance's configuration.media_attachments (Mastodon's defaults until read)",
)
BLUESKY_MEDIA = MediaLimits(
    types=frozenset({JPEG, PNG, GIF, WEBP}),
    max_bytes=1_000_000,
    max_images=4,
    alt_max_length=None,
    source="the app.bsky.embed.images lexicon",
)
FACEBOOK_MEDIA = MediaLimits(
    types=frozenset({JPEG, PNG, GIF}),
    max_bytes=4 * MB,
    max_images=4,
    alt_max_length=None,
    source="developers.facebook.com/docs/graph-api/reference/page/photos",
)
LINKEDIN_MEDIA = MediaLimits(
    types=frozenset({JPEG, PNG, GIF}),
    max_bytes=5 * MB,
    max_pixels=36_152_320 - 1,  # "fewer than 36,152,320 pixels"
    max_images=4,
    alt_max_length=4086,
    source="LinkedIn's Images API and Posts API",
)
# The outbox writes a line, not an upload: anything the media store accepts (the store's own
# guards: a type read from the bytes, at most 40 megapixels, 50 MB), four images as everywhere.
OUTBOX_MEDIA = MediaLimits(
    types=frozenset({JPEG, PNG, GIF, WEBP}),
    max_images=4,
    alt_max_length=10_000,
    uploads=True,
    source="the outbox (a file): no network limit",
)
