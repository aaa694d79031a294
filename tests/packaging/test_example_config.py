"""config/xensocial.example.toml loads, and documents every key the parser accepts.

The parser's key sets are the truth; a key added there and not here fails this test, so the
example can never fall behind the code.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from xensocial import config
from xensocial.config import load_settings

from .conftest import ROOT

EXAMPLE = ROOT / "config" / "xensocial.example.toml"
_HEADER = re.compile(r"^\[{1,2}([a-z_.]+)\]{1,2}$")
_KEY = re.compile(r"^([a-z_]+)\s*=")


def documented_keys(text: str) -> dict[str, set[str]]:
    """Keys written in each table, set or commented out (`# key = ...` counts as documented)."""
    found: dict[str, set[str]] = {"": set()}
    section = ""
    for raw in text.splitlines():
        line = raw.strip()
        while line.startswith("#"):
            line = line[1:].strip()
        header = _HEADER.match(line)
        if header:
            section = header.group(1)
            found.setdefault(section, set())
            continue
        key = _KEY.match(line)
        if key:
            found[section].add(key.group(1))
    return found


def test_example_loads(tmp_path: Path) -> None:
    env = {"XENSOCIAL_DATA_DIR": str(tmp_path)}
    settings = load_settings(EXAMPLE, env=env)
    assert settings.data_dir == tmp_path
    assert settings.database_url == f"sqlite:///{tmp_path / 'xensocial.db'}"
    assert [c.network for c in settings.channels] == ["outbox", "outbox"]
    slots, cron = settings.channels
    assert slots.slots and slots.cron is None and slots.days is not None
    assert cron.cron and not cron.slots and not cron.enabled


def test_example_documents_every_key() -> None:
    keys = documented_keys(EXAMPLE.read_text(encoding="utf-8"))
    tables = set(keys)
    top = keys[""] | {t for t in tables if "." not in t}
    channel = keys["channels"] | {t.split(".", 1)[1] for t in tables if t.startswith("channels.")}
    assert config._TOP_KEYS - top == set()
    assert config._PUBLISHING_KEYS - keys["publishing"] == set()
    assert config._CHANNEL_KEYS - channel == set()


def test_the_key_scan_sees_a_missing_key() -> None:
    # The check above is only as good as documented_keys: it must notice a key left out.
    text = EXAMPLE.read_text(encoding="utf-8").replace("min_gap", "min_gpa")
    assert "min_gap" not in documented_keys(text)["channels"]


@pytest.mark.parametrize("table", ["", "publishing", "channels"])
def test_example_documents_no_unknown_key(table: str) -> None:
    accepted = {"": config._TOP_KEYS, "publishing": config._PUBLISHING_KEYS}.get(
        table, config._CHANNEL_KEYS
    )
    assert documented_keys(EXAMPLE.read_text(encoding="utf-8"))[table] <= accepted


def _commented_channels(text: str) -> list[str]:
    """Each commented-out `[[channels]]` block of the example, uncommented: from its header to
    the first line that is not commented TOML (prose such as "A Mastodon account:", or code)."""
    toml_line = re.compile(r"(\s|\[|#|[A-Za-z_]+\s*=|$)")
    blocks = []
    for part in text.split("# [[channels]]")[1:]:
        lines = ["[[channels]]"]
        for line in part.splitlines()[1:]:
            uncommented = line.removeprefix("#").removeprefix(" ")
            if not line.startswith("#") or not toml_line.match(uncommented):
                break
            lines.append(uncommented)
        blocks.append("\n".join(lines))
    return blocks


@pytest.mark.parametrize(("index", "network"), [(0, "facebook"), (1, "mastodon"), (2, "linkedin")])
def test_commented_network_channel_loads_when_uncommented(
    tmp_path: Path, index: int, network: str
) -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    blocks = _commented_channels(text)
    assert len(blocks) == 3, "a commented network channel was added or removed: list it here"
    path = tmp_path / "with-network.toml"
    path.write_text(text + "\n" + blocks[index] + "\n", encoding="utf-8")
    settings = load_settings(path, env={"XENSOCIAL_DATA_DIR": str(tmp_path)})
    channel = settings.channels[-1]
    assert channel.network == network
    token = f"env:XENSOCIAL_{network.upper()}_" + (
        "PAGE_TOKEN" if network == "facebook" else "TOKEN"
    )
    assert channel.secrets == {"access_token": token}
