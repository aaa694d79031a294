"""`queue add --image PATH --alt TEXT`: images read from their bytes, stored by content address
in the data folder (private), listed by `queue show`; and every kind of bad image refused with
one line, exit 2, nothing in the database and no file left in the media folder."""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path

import pytest
from PIL import Image

from tests.cli.conftest import CONFIG, CliHarness, write_config
from tests.cli.media.images import gif, jpeg, png, truncated_png
from tests.conftest import FakeClock

URL = "https://xenproject.org/blog/release-4-20/"


def _media_files(cli: CliHarness) -> list[Path]:
    root = cli.db.parent / "media"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_two_images_are_stored_by_content_and_listed(cli: CliHarness, tmp_path: Path) -> None:
    banner = png(tmp_path / "banner.png", (120, 60))
    photo = jpeg(tmp_path / "photo.JPG", (40, 30))
    item = cli.json(
        "queue", "add", URL, "--title", "Xen 4.20",
        "--image", str(banner), "--alt", "The Xen 4.20 release banner",
        "--image", str(photo), "--alt", "",
    )  # fmt: skip
    images = item["images"]
    assert [i["mime"] for i in images] == ["image/png", "image/jpeg"]
    assert (images[0]["width"], images[0]["height"]) == (120, 60)
    assert images[0]["bytes"] == banner.stat().st_size
    assert images[0]["alt"] == "The Xen 4.20 release banner" and not images[0]["decorative"]
    assert images[1]["alt"] == "" and images[1]["decorative"]  # --alt "" on purpose
    sha = hashlib.sha256(banner.read_bytes()).hexdigest()
    assert images[0]["sha256"] == sha
    stored = cli.db.parent / "media" / sha[:2] / f"{sha}.png"
    assert stored.read_bytes() == banner.read_bytes()
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert stat.S_IMODE(stored.parent.stat().st_mode) == 0o700
    assert len(_media_files(cli)) == 2
    shown = cli.ok("queue", "show", str(item["id"])).stdout
    assert "image 1: image/png 120×60" in shown and "The Xen 4.20 release banner" in shown
    assert "image 2: image/jpeg 40×30" in shown and "decorative" in shown
    again = cli.json("queue", "show", str(item["id"]))
    assert again["images"] == images


def test_the_same_image_twice_is_one_file(cli: CliHarness, tmp_path: Path) -> None:
    banner = png(tmp_path / "banner.png")
    for n in (1, 2):
        cli.ok("queue", "add", f"{URL}?n={n}", "--title", "T", "--image", str(banner), "--alt", "A")
    assert len(_media_files(cli)) == 1


def test_alt_pairs_with_the_image_before_it(cli: CliHarness, tmp_path: Path) -> None:
    a, b = png(tmp_path / "a.png", (10, 10)), gif(tmp_path / "b.gif", (20, 20))
    item = cli.json(
        "queue", "add", URL, "--title", "T",
        "--image", str(a), "--alt", "first", "--image", str(b), "--alt", "second",
    )  # fmt: skip
    assert [(i["width"], i["alt"]) for i in item["images"]] == [(10, "first"), (20, "second")]


def _bad_inputs(tmp_path: Path) -> dict[str, tuple[list[str], str]]:
    good = str(png(tmp_path / "good.png"))
    text = tmp_path / "notes.png"
    text.write_text("these are meeting notes, not an image\n", encoding="utf-8")
    svg = tmp_path / "logo.svg"
    svg.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')
    big = tmp_path / "huge.png"
    Image.new("1", (10_000, 5_000)).save(big, "PNG")  # 50 megapixels, a few kilobytes
    return {
        "text renamed .png": (["--image", str(text), "--alt", "x"], "not an image"),
        "truncated png": (
            ["--image", str(truncated_png(tmp_path / "cut.png")), "--alt", "x"],
            "truncated",
        ),
        "50 megapixels": (["--image", str(big), "--alt", "x"], "pixels"),
        "svg": (["--image", str(svg), "--alt", "x"], "SVG is not accepted"),
        "missing file": (["--image", str(tmp_path / "gone.png"), "--alt", "x"], "no such file"),
        "no alt text": (["--image", good], "every image needs alt text"),
        "fifth image": (["--image", good, "--alt", "x"] * 5, "at most 4 images"),
        "alt without image": (["--alt", "x"], "no --image came before"),
        "alt before its image": (["--alt", "x", "--image", good], "no --image came before"),
        "two alts for one image": (["--image", good, "--alt", "x", "--alt", "y"], "two --alt"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "text renamed .png",
        "truncated png",
        "50 megapixels",
        "svg",
        "missing file",
        "no alt text",
        "fifth image",
        "alt without image",
        "alt before its image",
        "two alts for one image",
    ],
)
def test_bad_images_are_refused_and_nothing_is_stored(
    cli: CliHarness, tmp_path: Path, case: str
) -> None:
    args, words = _bad_inputs(tmp_path)[case]
    result = cli.refused("queue", "add", URL, "--title", "T", *args)
    assert words in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr  # one line
    assert _media_files(cli) == []


def test_a_channel_whose_network_takes_no_images_yet_refuses_them(
    tmp_path: Path, clock: FakeClock
) -> None:
    """X's upload is not built yet: an image for an X channel is refused at add, naming the
    channel and the rule, rather than posted without it."""
    text = CONFIG + (
        '\n[[channels]]\nname = "xen-x"\nnetwork = "x"\nslots = ["10:00"]\n'
        '[channels.secrets]\nconsumer_key = "env:K"\nconsumer_secret = "env:K"\n'
        'access_token = "env:K"\naccess_token_secret = "env:K"\n'
    )
    cli = CliHarness(write_config(tmp_path, text=text), tmp_path / "data" / "queue.db", clock)
    cli.ok("db", "upgrade")
    image = str(png(tmp_path / "a.png"))
    result = cli.refused("queue", "add", URL, "--title", "T", "--image", image, "--alt", "A")
    assert "channel 'xen-x'" in result.stderr and "x takes no images" in result.stderr
    assert _media_files(cli) == []
    cli.ok(
        "queue", "add", URL, "--title", "T", "--channel", "demo", "--image", image, "--alt", "A"
    )  # fmt: skip
    cli.ok("queue", "add", URL + "x", "--title", "T")  # without images X is fine
