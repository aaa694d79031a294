"""An image from `queue add --image` to the post, through real processes: the CLI stores the
file in the data folder and the item's row, the daemon (a subprocess, real signals) posts it to
the outbox with the image's file, SHA-256 and alt text; and an `import_at_start` file's images
go out the same way."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from .conftest import Site

pytestmark = pytest.mark.e2e


def _outbox(site: Site) -> list[dict[str, object]]:
    if not site.outbox.exists():
        return []
    return [json.loads(line) for line in site.outbox.read_text().splitlines() if line.strip()]


def _cli(site: Site, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, XENSOCIAL_DATA_DIR=str(site.root))
    return subprocess.run(
        [sys.executable, "-m", "xensocial", "--config", str(site.config), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_an_image_added_on_the_command_line_goes_out_with_its_post(
    site_factory: object,
) -> None:
    site: Site = site_factory("0s")  # type: ignore[operator]
    banner = site.root / "banner.png"
    Image.new("RGB", (120, 60), "navy").save(banner, "PNG")
    (site.root / "rows.csv").write_text(
        "url,title,images,alts\nhttps://example.org/csv,From a file,banner.png,Banner (csv)\n",
        encoding="utf-8",
    )
    site.config.write_text(
        site.config.read_text().replace(
            'identity = "e2e-host"', 'identity = "e2e-host"\nimport_at_start = ["rows.csv"]'
        )
    )
    added = _cli(
        site, "queue", "add", "https://example.org/cli", "--title", "From the CLI",
        "--image", str(banner), "--alt", "The release banner",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    sha = hashlib.sha256(banner.read_bytes()).hexdigest()
    stored = site.root / "media" / sha[:2] / f"{sha}.png"
    assert stored.read_bytes() == banner.read_bytes()

    proc = site.start()
    assert site.wait_for(lambda: len(_outbox(site)) >= 2, timeout=60, poll=0.1), site.logs()[-3000:]
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(15) == 0, site.logs()[-3000:]
    by_url = {str(line["url"]): line for line in _outbox(site)}
    for url, alt in (("https://example.org/cli", "The release banner"),
                     ("https://example.org/csv", "Banner (csv)")):  # fmt: skip
        [image] = by_url[url]["images"]  # type: ignore[misc]
        assert image["sha256"] == sha and image["alt"] == alt and not image["decorative"]
        assert Path(image["path"]).resolve() == stored.resolve()
    [(media,)] = site.query("SELECT count(*) FROM item_images")
    assert media == 2
    # What went out is kept with the delivery, and `queue show` says so.
    shown = _cli(site, "queue", "show", str(by_url["https://example.org/cli"]["item_id"]))
    assert shown.returncode == 0, shown.stderr
    assert f"Image: image/png {sha[:12]}…; alt: 'The release banner'" in shown.stdout
