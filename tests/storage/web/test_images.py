"""Images in the console's add and edit forms: uploaded, checked by the CLI's rules in the
CLI's words, stored by content address only once the item is saved, shown on the item page
from a route that needs a session; a body over the upload limit refused before it is read."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from html import unescape
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from starlette.testclient import TestClient

from content_queue.queue import ContentQueue
from content_queue.views import NewItem
from tests.cli.media.images import png, truncated_png
from tests.conftest import FakeClock
from xensocial.config import Settings
from xensocial.web.uploads import TOO_LARGE, UPLOAD_LIMIT

from .conftest import csrf_of

Login = Callable[[str], TestClient]
URL = "https://example.org/release"
Files = list[tuple[str, tuple[str, bytes, str]]]


def _media(settings: Settings) -> list[Path]:
    root = settings.data_dir / "media"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _add(client: TestClient, files: Files, **fields: object) -> tuple[dict[str, object], Files]:
    page = client.get("/add", params={"url": URL})
    form: dict[str, object] = {
        "csrf": csrf_of(page.text),
        "url": URL,
        "title": "Xen 4.20",
        "channel": ["news", "toots"],
        "priority": "0",
        **fields,
    }
    return form, files


def _image(tmp_path: Path, name: str = "banner.png", color: str = "navy") -> bytes:
    return png(tmp_path / name, (120, 60), color).read_bytes()


def test_an_image_with_alt_text_is_stored_and_shown(
    signed_in: Login, settings: Settings, engine: Engine, clock: FakeClock, tmp_path: Path
) -> None:
    client = signed_in("editor")
    data = _image(tmp_path)
    # The client's name and type are believed in nothing: a PNG sent as "photo.txt", text/plain.
    form, files = _add(client, [("image", ("photo.txt", data, "text/plain"))], alt=["Banner"])
    added = client.post("/add", data=form, files=files)
    assert added.status_code == 200 and "Added" in added.text
    [item] = ContentQueue(engine, clock=clock).list_items()
    [image] = item.images
    assert (image.mime, image.width, image.height, image.alt) == ("image/png", 120, 60, "Banner")
    assert [p.read_bytes() for p in _media(settings)] == [data]
    src = f"/items/{item.id}/images/{image.sha256}"
    assert f'<img src="{src}" alt="Banner"' in added.text
    assert "image 1: image/png 120×60" in added.text  # the preview's line, per network
    served = client.get(src)
    assert served.status_code == 200 and served.content == data
    assert served.headers["content-type"] == "image/png"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert client.get(f"/items/{item.id}/images/{'0' * 64}").status_code == 404
    client.cookies.clear()  # signed out: the image is not served
    gone = client.get(src, follow_redirects=False)
    assert gone.status_code == 303 and gone.headers["location"] == "/login"


@pytest.fixture
def bad(tmp_path: Path) -> Iterator[dict[str, tuple[Files, dict[str, object], str]]]:
    good = _image(tmp_path)
    one = [("image", ("good.png", good, "image/png"))]
    yield {
        "no alt text": (one, {}, "every image needs alt text"),
        "text renamed .png": (
            [("image", ("notes.png", b"meeting notes, not an image\n", "image/png"))],
            {"alt": ["Notes"]},
            "image 1 (notes.png): not an image (GIF, JPEG, PNG, WEBP are accepted)",
        ),
        "truncated png": (
            [("image", ("cut.png", truncated_png(tmp_path / "cut.png").read_bytes(), "image/png"))],
            {"alt": ["Cut"]},
            "damaged or truncated",
        ),
        "fifth image": (one * 5, {"alt": ["A"] * 5}, "at most 4 images an item; 5 were given"),
        "alt too long for a channel": (
            one,
            {"alt": ["A" * 1501]},
            "channel 'toots'",
        ),
        "alt for no file": ([], {"alt": ["Lost"]}, "alt text for image 1, but no file was chosen"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "no alt text",
        "text renamed .png",
        "truncated png",
        "fifth image",
        "alt too long for a channel",
        "alt for no file",
    ],
)
def test_a_refused_image_stores_nothing_and_keeps_the_form(
    signed_in: Login,
    settings: Settings,
    engine: Engine,
    clock: FakeClock,
    bad: dict[str, tuple[Files, dict[str, object], str]],
    case: str,
) -> None:
    client = signed_in("approver")
    files, fields, words = bad[case]
    form, files = _add(client, files, text="Kept text", **fields)
    if not files:  # an empty file field, as a browser sends one
        files = [("image", ("", b"", "application/octet-stream"))]
    refused = client.post("/add", data=form, files=files)
    assert refused.status_code == 400 and words in unescape(refused.text), case
    assert ">Kept text</textarea>" in refused.text
    assert ContentQueue(engine, clock=clock).list_items() == []
    assert _media(settings) == []


def test_a_body_over_the_limit_is_refused_before_it_is_read(
    signed_in: Login, settings: Settings, engine: Engine, clock: FakeClock
) -> None:
    client = signed_in("approver")
    form, _ = _add(client, [])
    declared = client.post(
        "/add",
        data=form,
        files=[("image", ("a.png", b"x", "image/png"))],
        headers={"content-length": str(UPLOAD_LIMIT + 1)},
    )
    assert declared.status_code == 413 and TOO_LARGE in unescape(declared.text)

    def chunked() -> Iterator[bytes]:  # no Content-Length: counted as it comes
        for _ in range(UPLOAD_LIMIT // (1 << 20) + 2):
            yield b"x" * (1 << 20)

    streamed = client.post(
        "/add",
        content=chunked(),
        headers={"content-type": "multipart/form-data; boundary=b"},
    )
    assert streamed.status_code == 413 and TOO_LARGE in unescape(streamed.text)
    assert ContentQueue(engine, clock=clock).list_items() == []
    assert _media(settings) == []


def _item_with_image(engine: Engine, clock: FakeClock, client: TestClient, data: bytes) -> int:
    item_id = (
        ContentQueue(engine, clock=clock)
        .add(NewItem(url=URL, channels=["news"], title="T", created_by="editor"))
        .id
    )
    page = client.get(f"/items/{item_id}/edit")
    fields = {"csrf": csrf_of(page.text), "url": URL, "title": "T", "category": "news"}
    done = client.post(
        f"/items/{item_id}/edit",
        data={**fields, "alt": ["First"]},
        files=[("image", ("a.png", data, "image/png"))],
    )
    assert done.status_code == 200 and "Saved." in done.text, done.text[-1500:]
    return item_id


def test_edit_replaces_and_removes_images(
    signed_in: Login, settings: Settings, engine: Engine, clock: FakeClock, tmp_path: Path
) -> None:
    client = signed_in("editor")
    first, second = _image(tmp_path, "a.png"), _image(tmp_path, "b.png", "orange")
    item_id = _item_with_image(engine, clock, client, first)
    queue = ContentQueue(engine, clock=clock)
    assert [i.alt for i in queue.get(item_id).images] == ["First"]
    page = client.get(f"/items/{item_id}/edit")
    assert "image 1: image/png 120×60" in page.text and "Remove all images" in page.text
    fields = {"csrf": csrf_of(page.text), "url": URL, "title": "T", "category": "news"}
    both = client.post(
        f"/items/{item_id}/edit",
        data={**fields, "no_images": "yes", "alt": ["Second"]},
        files=[("image", ("b.png", second, "image/png"))],
    )
    assert both.status_code == 400 and "Remove all images" in unescape(both.text)
    replaced = client.post(
        f"/items/{item_id}/edit",
        data={**fields, "alt": ["", "Second"], "decorative": ["1"]},
        files=[
            ("image", ("a.png", first, "image/png")),
            ("image", ("b.png", second, "image/png")),
        ],
    )
    assert replaced.status_code == 200 and "Saved." in replaced.text
    images = queue.get(item_id).images
    assert [(i.alt, i.decorative) for i in images] == [("", True), ("Second", False)]
    assert len(_media(settings)) == 2
    removed = client.post(f"/items/{item_id}/edit", data={**fields, "no_images": "yes"})
    assert removed.status_code == 200 and "Saved." in removed.text
    assert queue.get(item_id).images == ()


def test_a_viewer_cannot_upload(
    signed_in: Login, settings: Settings, engine: Engine, clock: FakeClock, tmp_path: Path
) -> None:
    editor = signed_in("editor")
    item_id = _item_with_image(engine, clock, editor, _image(tmp_path))
    viewer = signed_in("viewer")
    page = viewer.get(f"/items/{item_id}")
    assert page.status_code == 200 and "<img src=" in page.text  # a viewer sees it
    files = [("image", ("b.png", _image(tmp_path, "b.png", "red"), "image/png"))]
    form = {"csrf": csrf_of(page.text), "url": URL, "title": "V", "alt": ["B"]}
    assert viewer.post("/add", data=form, files=files).status_code == 403
    assert viewer.post(f"/items/{item_id}/edit", data=form, files=files).status_code == 403
    assert len(ContentQueue(engine, clock=clock).list_items()) == 1
    assert len(_media(settings)) == 1
