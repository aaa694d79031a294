"""Re-encoding an image down to a network's byte limit: smaller, the whole picture (same aspect
ratio, never cropped), and refused when no JPEG could be that small. Also what `preview` says
of an image against a network's limits (`image_notes`) and the one rule add and post share
(`image_problem`)."""

from __future__ import annotations

import os
from io import BytesIO

import pytest
from PIL import Image

from content_queue.views import ItemImage
from xensocial.adapters.base import MediaLimits
from xensocial.adapters.media_limits import BLUESKY_MEDIA, OUTBOX_MEDIA, X_MEDIA
from xensocial.media.reencode import shrink_to
from xensocial.rendering import image_notes, image_problem


def _noise_png(width: int, height: int, alpha: bool = False) -> bytes:
    mode = "RGBA" if alpha else "RGB"
    image = Image.frombytes(mode, (width, height), os.urandom(width * height * len(mode)))
    out = BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def test_an_image_within_the_limit_is_left_as_it_is() -> None:
    data = _noise_png(40, 20)
    got = shrink_to(data, len(data))
    assert got.data == data and got.mime == "image/png" and (got.width, got.height) == (40, 20)


@pytest.mark.parametrize("alpha", [False, True])
def test_a_larger_image_is_reencoded_below_the_limit_never_cropped(alpha: bool) -> None:
    data = _noise_png(800, 400, alpha=alpha)  # noise: about 1 MB (1.3 MB with alpha) as PNG
    limit = 100_000
    assert len(data) > limit
    got = shrink_to(data, limit)
    assert len(got.data) <= limit and got.mime == "image/jpeg"
    with Image.open(BytesIO(got.data)) as image:
        assert image.format == "JPEG" and image.size == (got.width, got.height)
    # The whole picture, scaled at most: the aspect ratio is kept (2:1, to a pixel).
    assert abs(got.width / got.height - 2.0) < 0.02
    assert got.width <= 800


def test_a_limit_no_jpeg_can_meet_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot be made smaller"):
        shrink_to(_noise_png(300, 300), 200)


def _image(**kw: object) -> ItemImage:
    fields: dict[str, object] = {
        "sha256": "a" * 64,
        "mime": "image/png",
        "width": 100,
        "height": 50,
        "bytes": 2_000_000,
        "alt": "A banner",
    }
    fields.update(kw)
    return ItemImage(**fields)  # type: ignore[arg-type]


def test_preview_notes_count_the_alt_text_and_announce_a_reencoding() -> None:
    limits = MediaLimits(max_bytes=1_000_000, alt_max_length=1500, max_images=4, uploads=True)
    assert image_notes(limits, _image()) == [
        "alt 8 of 1,500 characters",
        "re-encoded down to 1,000,000 bytes when uploaded, never cropped",
    ]
    assert image_notes(BLUESKY_MEDIA, _image(bytes=10)) == ["alt 8 characters (no limit)"]
    assert image_notes(X_MEDIA, _image(alt="", decorative=True)) == ["decorative (no alt text)"]


def test_the_rule_names_what_a_network_refuses() -> None:
    ok = MediaLimits(
        types=frozenset({"image/png"}), max_pixels=10_000, max_images=2, alt_max_length=5,
        uploads=True,
    )  # fmt: skip
    assert image_problem("net", ok, [_image(alt="short", width=100, height=100)]) is None
    assert image_problem("net", ok, []) is None
    assert "at most 2 images" in str(image_problem("net", ok, [_image(alt="a")] * 3))
    assert "image/jpeg; net takes image/png" in str(
        image_problem("net", ok, [_image(alt="a", mime="image/jpeg")])
    )
    assert "never crops" in str(image_problem("net", ok, [_image(alt="a", width=200, height=60)]))
    assert "6 characters; net takes at most 5" in str(
        image_problem("net", ok, [_image(alt="sixsix", width=10, height=10)])
    )
    # A byte limit alone never refuses: the upload re-encodes down to it.
    assert image_problem("x", OUTBOX_MEDIA, [_image(bytes=10**9)]) is None
    # Until its upload is built, a network takes none at all.
    assert "takes no images" in str(image_problem("x", X_MEDIA, [_image()]))
