"""The `[http]` table: loopback by default, off on request, and bad addresses named."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.storage.exports.conftest import settings_for
from xensocial.config.http import HttpConfig
from xensocial.errors import ConfigError


def http_of(tmp_path: Path, table: str) -> HttpConfig:
    return settings_for(tmp_path, "sqlite:///queue.db", f"\n[http]\n{table}\n").http


def test_the_default_is_loopback_on_9464(tmp_path: Path) -> None:
    http = settings_for(tmp_path, "sqlite:///queue.db").http
    assert (http.host, http.port, http.enabled, http.is_loopback) == ("127.0.0.1", 9464, True, True)


@pytest.mark.parametrize(
    ("table", "host", "port", "loopback"),
    [
        ('listen = "127.0.0.1:9100"', "127.0.0.1", 9100, True),
        ('listen = "localhost:9100"', "localhost", 9100, True),
        ('listen = "[::1]:9100"', "::1", 9100, True),
        ('listen = "0.0.0.0:9464"', "0.0.0.0", 9464, False),
        ('listen = "metrics.internal:9464"', "metrics.internal", 9464, False),
    ],
)
def test_listen_addresses(tmp_path: Path, table: str, host: str, port: int, loopback: bool) -> None:
    http = http_of(tmp_path, table)
    assert (http.host, http.port, http.is_loopback) == (host, port, loopback)


@pytest.mark.parametrize(
    "table", ['listen = ""', "enabled = false", 'listen = "127.0.0.1:1"\nenabled = false']
)
def test_the_endpoint_can_be_turned_off(tmp_path: Path, table: str) -> None:
    http = http_of(tmp_path, table)
    assert not http.enabled and http.describe() == "off"


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('listen = ":9464"', "expected 'host:port'"),
        ('listen = "127.0.0.1"', "expected 'host:port'"),
        ('listen = "127.0.0.1:0"', "from 1 to 65535"),
        ('listen = "127.0.0.1:http"', "from 1 to 65535"),
        ('listen = "::1:9464"', "in brackets"),
        ('listen = "[nope]:9464"', "not an IPv6 address"),
        ("listen = 9464", "expected 'host:port'"),
        ('enabled = "yes"', "true or false"),
        ('listn = "127.0.0.1:9464"', "did you mean 'listen'"),
    ],
)
def test_bad_values_name_the_key(tmp_path: Path, table: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        http_of(tmp_path, table)
    assert "http." in str(caught.value) and message in str(caught.value)
