"""`preview` lists each image (file, type, size, alt text counted against each channel's
limit, what cannot go out where); `schedule` marks the slots that would post an item with
images."""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import CONFIG, CliHarness, write_config
from tests.cli.media.images import png
from tests.conftest import FakeClock

X_CHANNEL = (
    '\n[[channels]]\nname = "xen-x"\nnetwork = "x"\nslots = ["10:00"]\n'
    '[channels.secrets]\nconsumer_key = "env:K"\nconsumer_secret = "env:K"\n'
    'access_token = "env:K"\naccess_token_secret = "env:K"\n'
)


def test_preview_shows_each_image_against_each_channel(tmp_path: Path, clock: FakeClock) -> None:
    cli = CliHarness(
        write_config(tmp_path, text=CONFIG + X_CHANNEL), tmp_path / "data" / "queue.db", clock
    )
    cli.ok("db", "upgrade")
    banner = png(tmp_path / "banner.png", (120, 60))
    item = cli.json(
        "queue", "add", "https://xenproject.org/4.20", "--title", "Xen 4.20", "--channel", "demo",
        "--image", str(banner), "--alt", "The Xen 4.20 release banner",
    )  # fmt: skip
    out = cli.ok("preview", str(item["id"]), "--channel", "demo", "--channel", "xen-x").stdout
    demo, x = out.split("── xen-x")
    assert "image 1: image/png 120×60" in demo and "alt: 'The Xen 4.20 release banner'" in demo
    assert "alt 27 of 10,000 characters" in demo and "cannot be posted" not in demo
    assert "alt 27 of 1,000 characters" in x  # X's own limit on alt text
    assert "Images: cannot be posted here: x takes no images" in x
    [row] = cli.json("preview", str(item["id"]), "--channel", "demo")
    assert row["images"][0]["notes"] == ["alt 27 of 10,000 characters"]
    assert row["image_problem"] is None


def test_schedule_marks_items_with_images(cli: CliHarness, tmp_path: Path) -> None:
    image = str(png(tmp_path / "a.png"))
    cli.ok(
        "queue", "add", "https://example.org/a", "--title", "With images", "--channel", "fast",
        "--priority", "5", "--image", image, "--alt", "A", "--image", image, "--alt", "B",
    )  # fmt: skip
    out = cli.ok("schedule", "--channel", "fast", "--days", "1").stdout
    assert "With images [2 images]" in out
    [plan] = cli.json("schedule", "--channel", "fast", "--days", "1")
    assert plan["slots"][0]["item"]["images"] == 2
