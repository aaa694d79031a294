"""Images on `queue edit` (only while nothing of the item is out) and in `queue import` (the
`images` and `alts` columns): read and refused by the same rules as `queue add --image`."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from content_queue import Ledger
from content_queue.db import make_engine
from tests.choosing import claim
from tests.cli.conftest import CliHarness
from tests.cli.media.images import jpeg, png

URL = "https://xenproject.org/blog/summit/"


def _media_files(cli: CliHarness) -> list[Path]:
    root = cli.db.parent / "media"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_edit_replaces_and_removes_images(cli: CliHarness, tmp_path: Path) -> None:
    item = cli.json("queue", "add", URL, "--title", "Summit")
    assert item["images"] == []
    poster = png(tmp_path / "poster.png", (30, 40))
    edited = cli.json("queue", "edit", str(item["id"]), "--image", str(poster), "--alt", "Poster")
    assert [(i["width"], i["alt"]) for i in edited["images"]] == [(30, "Poster")]
    assert len(_media_files(cli)) == 1
    same = cli.ok("queue", "edit", str(item["id"]), "--image", str(poster), "--alt", "Poster")
    assert "nothing changed" in same.stdout
    cleared = cli.json("queue", "edit", str(item["id"]), "--no-images")
    assert cleared["images"] == []
    log = cli.ok("log").stdout
    assert "images -> 1" in log and "images -> 0" in log


def test_edit_refuses_bad_images_and_items_already_out(cli: CliHarness, tmp_path: Path) -> None:
    item = cli.json("queue", "add", URL, "--title", "Summit", "--channel", "demo")
    poster = str(png(tmp_path / "poster.png"))
    result = cli.refused("queue", "edit", str(item["id"]), "--image", poster)
    assert "every image needs alt text" in result.stderr
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    cli.refused("queue", "edit", str(item["id"]), "--image", str(broken), "--alt", "x")
    assert _media_files(cli) == []
    # The item goes out on its channel: its images can no longer change.
    engine = make_engine(f"sqlite:///{cli.db}")
    ledger = Ledger(engine, clock=cli.clock)
    [delivery] = cli.json("queue", "show", str(item["id"]))["deliveries"]
    at = cli.clock()
    lease = at + timedelta(minutes=5)
    assert claim(ledger, delivery["id"], "test", lease, channel="demo", now=at) is not None
    ledger.mark_published(delivery["id"], remote_id="r1", remote_url=None, published_at=at)
    engine.dispose()
    result = cli.refused("queue", "edit", str(item["id"]), "--image", poster, "--alt", "P")
    assert "already out on demo" in result.stderr and "images cannot change" in result.stderr
    assert _media_files(cli) == []


def test_import_reads_the_images_and_alts_columns(cli: CliHarness, tmp_path: Path) -> None:
    png(tmp_path / "a.png", (11, 11))
    jpeg(tmp_path / "b.jpg", (12, 12))
    csv = tmp_path / "items.csv"
    csv.write_text(
        f"url,title,images,alts\n{URL}1,One,a.png;b.jpg,The first;[decorative]\n{URL}2,Two,,\n",
        encoding="utf-8",
    )
    out = cli.json("queue", "import", str(csv))
    first, second = (entry["item"] for entry in out["added"])
    assert [(i["width"], i["alt"], i["decorative"]) for i in first["images"]] == [
        (11, "The first", False),
        (12, "", True),
    ]
    assert second["images"] == []
    assert len(_media_files(cli)) == 2


def test_import_refuses_rows_with_bad_images_and_stores_nothing(
    cli: CliHarness, tmp_path: Path
) -> None:
    png(tmp_path / "a.png")
    (tmp_path / "notes.png").write_text("not an image", encoding="utf-8")
    csv = tmp_path / "items.csv"
    csv.write_text(
        "url,title,images,alts\n"
        f"{URL}1,Good,a.png,Fine\n"
        f"{URL}2,No alt,a.png,\n"
        f"{URL}3,Text file,notes.png,Words\n"
        f"{URL}4,Missing,gone.png,Words\n"
        f"{URL}5,Too many alts,a.png,One;Two\n",
        encoding="utf-8",
    )
    result = cli.refused("queue", "import", str(csv))
    for line, words in (
        (3, "every image needs alt text"),
        (4, "not an image"),
        (5, "no such file"),
        (6, "2 alt texts for 1 images"),
    ):
        assert f"line {line}: {words}" in result.stderr or (
            f"line {line}:" in result.stderr and words in result.stderr
        ), result.stderr
    assert _media_files(cli) == []
    kept = cli.ok("queue", "import", str(csv), "--skip-bad")
    assert "Added 1 item(s)" in kept.stdout
    assert len(_media_files(cli)) == 1
