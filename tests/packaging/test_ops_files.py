"""The deployment files say what the README says they say.

The systemd unit is checked by `systemd-analyze verify` when the machine has it; the Dockerfile
cannot be built here (no Docker engine), so it is parsed and its essentials checked.
"""

from __future__ import annotations

import configparser
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import ROOT

UNIT = ROOT / "config" / "xensocial.service"
DOCKERFILE = ROOT / "Dockerfile"


def unit_settings() -> dict[str, dict[str, list[str]]]:
    """The unit's directives by section; a directive may repeat (Environment=)."""
    out: dict[str, dict[str, list[str]]] = {}
    section = ""
    for raw in UNIT.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            out[section] = {}
            continue
        key, _, value = line.partition("=")
        out[section].setdefault(key, []).append(value)
    return out


def test_unit_is_a_sandboxed_notify_service() -> None:
    service = unit_settings()["Service"]
    expected = {
        "Type": "notify",
        "ExecStart": "/usr/bin/env xensocial run",
        "Restart": "on-failure",
        "DynamicUser": "yes",
        "StateDirectory": "xensocial",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "NoNewPrivileges": "yes",
        "PrivateTmp": "yes",
        "PrivateDevices": "yes",
        "ProtectKernelTunables": "yes",
        "ProtectKernelModules": "yes",
        "ProtectKernelLogs": "yes",
        "ProtectControlGroups": "yes",
        "ProtectClock": "yes",
        "ProtectHostname": "yes",
        "ProtectProc": "invisible",
        "RestrictNamespaces": "yes",
        "RestrictSUIDSGID": "yes",
        "SystemCallArchitectures": "native",
        "CapabilityBoundingSet": "",
        "UMask": "0077",
        "RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6",
        "LockPersonality": "yes",
        "MemoryDenyWriteExecute": "yes",
        "RestrictRealtime": "yes",
        "SystemCallFilter": "@system-service",
        "TimeoutStopSec": "15",
    }
    for key, value in expected.items():
        assert service.get(key) == [value], key
    assert int(service["WatchdogSec"][0]) > 0
    # The configuration (it may hold a database password) stays root's, mode 600; the service
    # reads a copy only its user can read, so the daemon's permissions warning stays quiet.
    assert service["LoadCredential"] == ["xensocial.toml:/etc/xensocial/xensocial.toml"]
    assert set(service["Environment"]) >= {
        "XENSOCIAL_DATA_DIR=/var/lib/xensocial",
        "XENSOCIAL_CONFIG=%d/xensocial.toml",
    }
    assert "User" not in service  # DynamicUser: no account of its own to leak files to
    text = UNIT.read_text(encoding="utf-8")
    assert "install -D -m 600 xensocial.example.toml /etc/xensocial/xensocial.toml" in text
    assert "LoadCredential=" in text
    assert "file:/run/credentials/xensocial.service/" in text


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
@pytest.mark.parametrize("name", ["xensocial.service", "xensocial-web.service"])
def test_unit_passes_systemd_analyze_verify(tmp_path: Path, name: str) -> None:
    unit = tmp_path / name
    shutil.copy(ROOT / "config" / name, unit)
    result = subprocess.run(
        ["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60
    )
    # verify exits 0 even on unknown keys and bad values: any message is a finding.
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr


def test_web_unit_runs_the_console_as_the_daemons_user() -> None:
    """The console's unit shares the daemon's configuration, state and (dynamic) user."""
    text = (ROOT / "config" / "xensocial-web.service").read_text(encoding="utf-8")
    for line in (
        "ExecStart=/usr/bin/env xensocial web",
        "DynamicUser=yes",
        "User=xensocial",  # the daemon's dynamic user is named after its unit, xensocial
        "StateDirectory=xensocial",
        "LoadCredential=xensocial.toml:/etc/xensocial/xensocial.toml",
        "Environment=XENSOCIAL_DATA_DIR=/var/lib/xensocial",
        "RestartPreventExitStatus=2",
    ):
        assert f"\n{line}\n" in text, line


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments), with continuation lines joined and comments dropped."""
    joined: list[str] = []
    pending = ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        joined.append(pending + line)
        pending = ""
    assert not pending, "the Dockerfile ends in a continuation line"
    out = []
    for line in joined:
        word, _, rest = line.partition(" ")
        out.append((word.upper(), rest.strip()))
    return out


def test_dockerfile_is_multistage_non_root_with_volume_and_healthcheck() -> None:
    steps = dockerfile_instructions()
    known = {
        "FROM",
        "RUN",
        "COPY",
        "ENV",
        "VOLUME",
        "WORKDIR",
        "USER",
        "HEALTHCHECK",
        "STOPSIGNAL",
        "CMD",
        "ARG",
        "LABEL",
        "EXPOSE",
        "ENTRYPOINT",
    }
    assert {word for word, _ in steps} <= known
    froms = [rest for word, rest in steps if word == "FROM"]
    assert len(froms) >= 2 and all(f.startswith("python:3.11-slim") for f in froms)
    final = steps[max(i for i, (word, _) in enumerate(steps) if word == "FROM") :]
    args = {word: rest for word, rest in final}  # the last of each in the final stage
    assert args["USER"] not in {"root", "0", ""}
    assert "chmod 700 /data" in args["RUN"]  # the database is the daemon's user's alone
    assert "XENSOCIAL_DATA_DIR=/data" in args["ENV"]
    assert args["VOLUME"] == "/data"
    # `health` exits 2 when misconfigured, a code Docker reserves: every failure reaches it as 1.
    assert json.loads(args["HEALTHCHECK"].split("CMD", 1)[1]) == [
        "sh",
        "-c",
        "xensocial health || exit 1",
    ]
    assert args["STOPSIGNAL"] == "SIGTERM"
    assert json.loads(args["CMD"]) == ["xensocial", "run"]
    # The files the build stage copies exist, so `docker build` finds them.
    for word, rest in steps:
        if word == "COPY" and not rest.startswith("--from"):
            for source in rest.split()[:-1]:
                assert (ROOT / source).exists(), source


def test_the_consoles_container_command_is_documented() -> None:
    """The image has no ENTRYPOINT, so `docker run IMAGE xensocial web ...` runs the console;
    the README and docs/web.md give that command, with the port published on loopback only."""
    assert "ENTRYPOINT" not in {word for word, _ in dockerfile_instructions()}
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    docker = readme[readme.index("### Docker") :].split("\n### ", 1)[0]
    assert "-p 127.0.0.1:8080:8080" in docker and "xensocial xensocial web --host 0.0.0.0" in docker
    web = (ROOT / "docs" / "web.md").read_text(encoding="utf-8")
    assert "`xensocial web --host 0.0.0.0`" in web and "`-p 127.0.0.1:8080:8080`" in web


def test_dockerignore_keeps_state_and_venv_out() -> None:
    ignored = set((ROOT / ".dockerignore").read_text(encoding="utf-8").split())
    assert {".venv", ".git", "xensocial-data", "xensocial-demo", "*.db"} <= ignored


def test_config_parser_reads_unit_sections() -> None:
    # A cheap second opinion on the unit's syntax where systemd-analyze is missing.
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(UNIT.read_text(encoding="utf-8"))
    assert parser.sections() == ["Unit", "Service", "Install"]
