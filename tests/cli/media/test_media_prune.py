"""`xensocial media prune`: the files of images no record names are removed once older than the
age, and nothing else is: files in use, young files, names that are not a stored image's, and
everything outside the media folder. On SQLite and PostgreSQL (the query of the names in use
differs by backend). Time moves by each file's modification time, never by sleeping."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from content_queue import Ledger
from content_queue.delivery_media import UploadedMedia
from content_queue.image_refs import referenced_images
from content_queue.views import Posted
from tests.choosing import claim
from tests.cli.conftest import CONFIG, CliHarness, write_config
from tests.cli.media.images import png
from tests.conftest import FakeClock

URL = "https://xenproject.org/blog/summit/"


@pytest.fixture
def cli(tmp_path: Path, clock: FakeClock, database_url: str) -> CliHarness:
    """The CLI on the `engine` fixture's database (already migrated), on each backend."""
    config = write_config(tmp_path, text=CONFIG.replace("sqlite:///{db}", database_url))
    return CliHarness(config, tmp_path / "queue.db", clock)


def _media(cli: CliHarness) -> Path:
    return cli.config.parent / "data" / "media"


def _file(cli: CliHarness, sha256: str) -> Path:
    [found] = _media(cli).glob(f"*/{sha256}.*")
    return found


def _age(cli: CliHarness, path: Path, age: timedelta) -> None:
    """`path` last modified `age` before the test's clock (without following a link)."""
    at = (cli.clock() - age).timestamp()
    os.utime(path, (at, at), follow_symlinks=False)


def _item_with_replaced_image(cli: CliHarness, folder: Path, *args: str) -> tuple[int, str, str]:
    """An item added with one image, then given another: (its id, the old hash, the new)."""
    old, new = png(folder / "old.png", color="navy"), png(folder / "new.png", color="teal")
    item = cli.json(
        "queue", "add", URL, "--title", "Summit", *args, "--image", str(old), "--alt", "Old"
    )
    edited = cli.json("queue", "edit", str(item["id"]), "--image", str(new), "--alt", "New")
    return item["id"], item["images"][0]["sha256"], edited["images"][0]["sha256"]


def test_a_replaced_image_goes_once_older_than_the_age(cli: CliHarness, tmp_path: Path) -> None:
    _, old, new = _item_with_replaced_image(cli, tmp_path)
    old_file, new_file = _file(cli, old), _file(cli, new)
    for path in (old_file, new_file):
        _age(cli, path, timedelta(hours=12))
    young = cli.ok("media", "prune").stdout
    assert "Removed 0 files: 0 bytes." in young
    assert "Kept 1 file in use, 1 file younger than 1d." in young
    assert old_file.exists() and new_file.exists()

    for path in (old_file, new_file):
        _age(cli, path, timedelta(days=2))
    for longer in ("3d", "999999999d"):  # (the second reaches before any date: nothing is older)
        done = cli.ok("media", "prune", "--older-than", longer).stdout
        assert f"1 file younger than {longer}." in done
    size = old_file.stat().st_size
    dry = cli.ok("media", "prune", "--dry-run").stdout
    assert f"would remove media/{old[:2]}/{old}.png" in dry
    assert f"Would remove 1 file: {size:,} bytes." in dry
    assert old_file.exists()

    done = cli.ok("media", "prune").stdout
    assert f"Removed 1 file: {size:,} bytes." in done and "Kept 1 file in use" in done
    assert not old_file.exists() and new_file.exists()
    assert sorted(p.name for p in _media(cli).rglob("*") if p.is_file()) == [new_file.name]


def test_an_old_file_taken_up_again_counts_as_young(cli: CliHarness, tmp_path: Path) -> None:
    """An add that finds its image already kept marks it used now: a prune running while that
    add is under way (before its row commits) keeps the file."""
    _, old, _ = _item_with_replaced_image(cli, tmp_path)
    old_file = _file(cli, old)
    _age(cli, old_file, timedelta(days=30))
    cli.ok(
        "queue",
        "add",
        f"{URL}again",
        "--title",
        "Again",
        "--image",
        str(tmp_path / "old.png"),
        "--alt",
        "Old",
    )
    assert old_file.stat().st_mtime > (cli.clock() - timedelta(days=1)).timestamp()


def test_names_not_a_stored_image_and_links_are_left_alone(cli: CliHarness, tmp_path: Path) -> None:
    _, old, new = _item_with_replaced_image(cli, tmp_path)
    media, stored = _media(cli), [_file(cli, old), _file(cli, new)]
    outside = tmp_path / "outside.png"
    outside.write_bytes(b"not ours")
    stray = [
        media / "notes.txt",
        media / old[:2] / f"{old}.txt",  # a stored image's hash, not its name
        media / old[:2] / f".{old}.png.abc123.part",  # a write under way
        media / "zz" / f"{old}.png",  # the right name in the wrong folder
        media / "ff" / ("f" * 64 + ".png"),  # an image's name, but a link out of the folder
    ]
    for path in stray[:-1]:
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(b"stray")
    stray[-1].parent.mkdir(exist_ok=True)
    stray[-1].symlink_to(outside)
    for path in [*stray, outside, *stored]:
        _age(cli, path, timedelta(days=9))
    done = cli.ok("media", "prune").stdout
    assert (
        "Removed 1 file:" in done and "Left alone 5 files not named as a stored image is." in done
    )
    assert all(path.is_symlink() or path.exists() for path in stray)
    assert outside.read_bytes() == b"not ours"


@pytest.mark.parametrize("value", ["soon", "-1d", "", "1d-2h", "1e400d"])
def test_a_bad_age_is_refused_and_removes_nothing(
    cli: CliHarness, tmp_path: Path, value: str
) -> None:
    _, old, _ = _item_with_replaced_image(cli, tmp_path)
    _age(cli, _file(cli, old), timedelta(days=9))
    refused = cli.run("media", "prune", "--older-than", value)
    assert refused.exit_code == 2, (refused.stdout, refused.stderr)
    assert (
        refused.stderr.startswith("error: --older-than: ") and len(refused.stderr.splitlines()) == 1
    )
    assert refused.stdout == "" and _file(cli, old).exists()


def test_an_upload_a_retry_may_reuse_keeps_its_file(
    cli: CliHarness, engine: Engine, tmp_path: Path
) -> None:
    """A delivery that uploaded the old image and failed keeps the record of that upload after
    the item's image is replaced (the retry compares hashes): the file stays while it does."""
    image = png(tmp_path / "old.png", color="navy")
    item = cli.json(
        "queue",
        "add",
        URL,
        "--title",
        "S",
        "--channel",
        "demo",
        "--image",
        str(image),
        "--alt",
        "Old",
    )
    old = item["images"][0]["sha256"]
    [delivery] = item["deliveries"]
    ledger, at = Ledger(engine, clock=cli.clock), cli.clock()
    assert claim(ledger, delivery["id"], "host", at + timedelta(minutes=5), channel="demo", now=at)
    upload = UploadedMedia(0, old, "remote-1", at, None)
    assert ledger.record_upload(delivery["id"], upload, owner="host")
    assert ledger.mark_failed(delivery["id"], "refused", owner="host")
    cli.ok(
        "queue",
        "edit",
        str(item["id"]),
        "--image",
        str(png(tmp_path / "n.png", color="red")),
        "--alt",
        "N",
    )
    for path in _media(cli).rglob("*.png"):
        _age(cli, path, timedelta(days=9))
    done = cli.ok("media", "prune").stdout
    assert "Removed 0 files" in done and "Kept 2 files in use" in done


def test_the_record_of_a_post_names_its_images(cli: CliHarness, engine: Engine) -> None:
    """What a post went out with (`posted_media`) counts as in use, read by each backend's own
    JSON functions in the one statement."""
    item = cli.json("queue", "add", URL, "--title", "S", "--channel", "demo")
    [delivery] = item["deliveries"]
    ledger, at = Ledger(engine, clock=cli.clock), cli.clock()
    assert claim(ledger, delivery["id"], "host", at + timedelta(minutes=5), channel="demo", now=at)
    posted = Posted("S", "S", URL, media=({"sha256": "c" * 64, "alt": "x"}, {"sha256": "d" * 64}))
    assert ledger.mark_published(
        delivery["id"], remote_id="r", remote_url=None, published_at=at, owner="host", posted=posted
    )
    with Session(engine) as s:
        assert referenced_images(s) == {"c" * 64, "d" * 64}
