"""The `[intake]` table: parsed into the fetcher's limits, every mistake named by its key."""

from __future__ import annotations

from pathlib import Path

import pytest

from xensocial.config import load_settings
from xensocial.errors import ConfigError
from xensocial.intake.fetch import USER_AGENT, FetchLimits

BASE = """\
database_url = "sqlite:///q.db"
[[channels]]
name = "demo"
network = "outbox"
slots = ["09:30"]
"""


def _load(tmp_path: Path, intake: str) -> FetchLimits:
    path = tmp_path / "x.toml"
    path.write_text(BASE + intake, encoding="utf-8")
    return load_settings(path, env={"XENSOCIAL_DATA_DIR": str(tmp_path)}).intake.fetch_limits()


def test_no_table_means_the_fetchers_defaults(tmp_path: Path) -> None:
    assert _load(tmp_path, "") == FetchLimits()


def test_every_key_reaches_the_limits(tmp_path: Path) -> None:
    limits = _load(
        tmp_path,
        """
[intake]
connect_timeout = "3s"
read_timeout = "7s"
deadline = "2m"
max_bytes = 2_000_000
max_redirects = 0
allow_private_addresses = true
user_agent = "ourbot/1.0 (+https://example.org/bot)"
""",
    )
    assert limits == FetchLimits(
        connect_timeout=3,
        read_timeout=7,
        deadline=120,
        max_bytes=2_000_000,
        max_redirects=0,
        allow_private_addresses=True,
        user_agent="ourbot/1.0 (+https://example.org/bot)",
    )
    assert _load(tmp_path, '[intake]\ndeadline = "30s"\n').user_agent == USER_AGENT


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("max_byte = 5", r"intake\.max_byte: unknown key; did you mean 'max_bytes'\?"),
        ('deadline = "soon"', r"intake\.deadline: "),
        ('deadline = "0s"', r"intake\.deadline: expected a duration above zero"),
        ('deadline = "5s"', r"intake\.deadline: expected at least connect_timeout \(10 s\)"),
        ("max_bytes = 10", r"intake\.max_bytes: expected 1024 or more, got 10"),
        ('max_bytes = "10MB"', r"intake\.max_bytes: expected a whole number"),
        ("max_redirects = -1", r"intake\.max_redirects: expected 0 or more"),
        ('allow_private_addresses = "yes"', r"intake\.allow_private_addresses: expected true"),
        ('user_agent = ""', r"intake\.user_agent: expected a one-line, non-empty string"),
    ],
)
def test_mistakes_name_the_key(tmp_path: Path, table: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        _load(tmp_path, f"[intake]\n{table}\n")


def test_intake_must_be_a_table(tmp_path: Path) -> None:
    path = tmp_path / "x.toml"
    path.write_text('intake = "on"\n' + BASE, encoding="utf-8")
    with pytest.raises(ConfigError, match="intake: expected an \\[intake\\] table"):
        load_settings(path, env={"XENSOCIAL_DATA_DIR": str(tmp_path)})


def test_loading_the_configuration_imports_no_http_library(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = tmp_path / "x.toml"
    path.write_text(BASE + '[intake]\ndeadline = "30s"\n', encoding="utf-8")
    code = (
        "import sys; from xensocial.config import load_settings; "
        f"s = load_settings({str(path)!r}); assert s.intake.deadline == 30; "
        "print(sorted(m for m in ('httpx', 'httpcore', 'feedparser') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
