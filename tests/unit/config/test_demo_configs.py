"""The per-network demo configurations in `config/` are complete, valid and safe to publish.

Each one loads with `load_settings` (secrets are references and are not resolved), its options
are accepted by the real adapter class (built with stand-in secret values: building does no
network I/O), its secrets are exactly the names the adapter reads, and nothing in it is a
credential value.
"""

from __future__ import annotations

import re
import tomllib
from datetime import time
from pathlib import Path

import pytest

from tests.paths import ROOT
from xensocial.adapters.base import ChannelContext
from xensocial.adapters.registry import available, load
from xensocial.config import load_settings

CONFIG_DIR = ROOT / "config"
# The secret names each network's adapter reads (issue 3).
SECRETS = {
    "x": {"consumer_key", "consumer_secret", "access_token", "access_token_secret"},
    "facebook": {"access_token"},
    "mastodon": {"access_token"},
    "bluesky": {"app_password"},
    "linkedin": {"access_token"},
}


def _installed(network: str) -> None:
    if network not in available():
        pytest.skip(f"the {network!r} adapter's entry point is not installed yet")


@pytest.mark.parametrize("network", sorted(SECRETS))
def test_the_demo_configuration_loads_and_the_adapter_accepts_it(
    network: str, tmp_path: Path
) -> None:
    _installed(network)
    path = CONFIG_DIR / f"demo-{network}.toml"
    settings = load_settings(path, env={"XENSOCIAL_DATA_DIR": str(tmp_path)})
    [channel] = settings.channels
    assert channel.network == network and channel.enabled
    assert channel.slots == (time(9, 30), time(15, 0))
    assert channel.timezone == "Europe/Amsterdam"
    assert channel.days == frozenset(range(5))  # Monday to Friday
    assert set(channel.secrets) == SECRETS[network]
    assert all(ref.startswith("env:XENSOCIAL_") for ref in channel.secrets.values())
    cls = load(network)
    context = ChannelContext(
        channel.name,
        options=dict(channel.options),
        secrets={name: "stand-in" for name in channel.secrets},
        data_dir=tmp_path,
    )
    cls(context).close()  # raises ValueError naming a wrong option


@pytest.mark.parametrize("network", sorted(SECRETS))
def test_the_demo_configuration_documents_api_base_url(network: str) -> None:
    text = (CONFIG_DIR / f"demo-{network}.toml").read_text(encoding="utf-8")
    options = tomllib.loads(text)["channels"][0].get("options", {})
    if network == "mastodon":  # an instance must be named: there is no default
        assert options["api_base_url"].startswith("https://")
    else:
        assert "api_base_url" not in options
        assert re.search(r"^# api_base_url = \"https://", text, re.MULTILINE)


def test_every_network_has_a_demo_configuration() -> None:
    demos = {p.stem.removeprefix("demo-") for p in CONFIG_DIR.glob("demo-*.toml")}
    assert set(SECRETS) <= demos
