"""`resolve_secrets`: env: and file: references, and errors that never show a secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from xensocial.config import ChannelConfig
from xensocial.errors import SecretError
from xensocial.secrets import resolve_secrets

VALUE = "s3cr3t-t0k3n-value"


def channel(**secrets: str) -> ChannelConfig:
    return ChannelConfig(name="m", network="outbox", timezone="UTC", secrets=secrets)


def secret_file(tmp_path: Path, content: str | bytes, mode: int = 0o600) -> Path:
    path = tmp_path / "token"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    path.chmod(mode)
    return path


def test_no_secrets() -> None:
    assert resolve_secrets(channel(), env={}) == {}


def test_from_the_environment() -> None:
    got = resolve_secrets(channel(token="env:M_TOKEN"), env={"M_TOKEN": VALUE, "OTHER": "x"})
    assert got == {"token": VALUE}


def test_the_real_environment_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XS_TEST_TOKEN", VALUE)
    assert resolve_secrets(channel(token="env:XS_TEST_TOKEN")) == {"token": VALUE}


@pytest.mark.parametrize("env", [{}, {"M_TOKEN": ""}])
def test_missing_environment_variable(env: dict[str, str]) -> None:
    with pytest.raises(SecretError) as info:
        resolve_secrets(channel(token="env:M_TOKEN"), env=env)
    err = info.value
    assert (err.channel, err.name) == ("m", "token")
    assert str(err) == "channel 'm', secret 'token': environment variable M_TOKEN is not set"


def test_from_a_file(tmp_path: Path) -> None:
    path = secret_file(tmp_path, VALUE + "\n")
    warnings: list[str] = []
    got = resolve_secrets(channel(token=f"file:{path}"), env={}, warn=warnings.append)
    assert got == {"token": VALUE}
    assert warnings == []


def test_a_file_others_can_read_gives_a_warning(tmp_path: Path) -> None:
    path = secret_file(tmp_path, VALUE, mode=0o644)
    warnings: list[str] = []
    assert resolve_secrets(channel(token=f"file:{path}"), env={}, warn=warnings.append) == {
        "token": VALUE
    }
    assert warnings == [
        f"secret file {path} can be read by other users (mode 0644); run: chmod 600 {path}"
    ]
    assert VALUE not in warnings[0]


def test_group_readable_counts_too(tmp_path: Path) -> None:
    path = secret_file(tmp_path, VALUE, mode=0o640)
    warnings: list[str] = []
    resolve_secrets(channel(token=f"file:{path}"), env={}, warn=warnings.append)
    assert len(warnings) == 1


def test_a_tilde_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    secret_file(tmp_path, VALUE)
    assert resolve_secrets(channel(token="file:~/token"), env={}) == {"token": VALUE}


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (lambda d: d / "missing", "cannot read {path}: No such file or directory"),
        (lambda d: d, "cannot read {path}: Is a directory"),
        (lambda d: secret_file(d, "  \n"), "{path} is empty"),
        (lambda d: secret_file(d, b"\xff\xfe" + VALUE.encode()), "{path} is not UTF-8 text"),
    ],
)
def test_unreadable_secret_files(tmp_path: Path, make: object, problem: str) -> None:
    path = make(tmp_path)  # type: ignore[operator]
    with pytest.raises(SecretError) as info:
        resolve_secrets(channel(token=f"file:{path}"), env={})
    assert str(info.value) == "channel 'm', secret 'token': " + problem.format(path=path)
    assert VALUE not in str(info.value)


def test_every_secret_is_resolved(tmp_path: Path) -> None:
    path = secret_file(tmp_path, "from-file")
    got = resolve_secrets(
        channel(token="env:A", key=f"file:{path}", other="env:B"),
        env={"A": "token-a-value", "B": "token-b-value"},
    )
    assert got == {"token": "token-a-value", "key": "from-file", "other": "token-b-value"}
