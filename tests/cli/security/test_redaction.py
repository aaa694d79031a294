"""Redaction, piece by piece: the forms a secret travels in, adapter errors, log tracebacks
in both formats, the CLI's error lines and --debug tracebacks, a database password.

Each test registers its own sentinel (the registry is process-wide, and these values appear
nowhere else), and the logging and CLI checks run in a subprocess of their own, so nothing
here reconfigures the test process.
"""

from __future__ import annotations

import base64
import subprocess
import sys
from urllib.parse import quote, quote_plus

import pytest

from xensocial.adapters.base import AuthError, Rejected, TransientError
from xensocial.config import load_settings
from xensocial.redaction import REDACTED, add_secrets, forms, redact_text

SECRET = "SENTINEL-redaction-test/a+b=c"


def test_every_form_of_a_secret_is_redacted() -> None:
    add_secrets([SECRET, None, ""])
    encoded = [
        SECRET,
        quote(SECRET, safe=""),
        quote_plus(SECRET),
        base64.b64encode(SECRET.encode()).decode(),
        base64.urlsafe_b64encode(SECRET.encode()).decode(),
    ]
    for form in encoded:
        assert (
            redact_text(f"GET /x?access_token={form}&y=1") == f"GET /x?access_token={REDACTED}&y=1"
        )
    assert set(encoded) <= forms(SECRET)


def test_a_short_secret_is_redacted_only_as_it_is() -> None:
    # Its base64 form ("eHl6") would match ordinary words; the value itself still goes.
    assert forms("xyz") == {"xyz"}


@pytest.mark.parametrize("error", [AuthError, Rejected, TransientError])
def test_an_adapter_error_never_carries_a_secret(error: type[Exception]) -> None:
    add_secrets(["SENTINEL-adapter-error-9c1d"])
    exc = error("401 from the server: invalid token SENTINEL-adapter-error-9c1d")
    assert str(exc) == f"401 from the server: invalid token {REDACTED}"


def test_a_database_password_is_registered_when_the_configuration_is_read(tmp_path) -> None:
    config = tmp_path / "x.toml"
    config.write_text('database_url = "postgresql+psycopg://u:SENTINEL-db-4e2a%2F@h/db"\n')
    load_settings(config, env={})
    assert redact_text("password SENTINEL-db-4e2a/ refused") == f"password {REDACTED} refused"


_LOGS = """
import sys
from xensocial.logs import add_secrets, configure_logging
import structlog
configure_logging("info", sys.argv[1])
add_secrets(["SENTINEL-log-77aa"])
log = structlog.get_logger("t")
try:
    raise ValueError("the server said: SENTINEL-log-77aa is revoked")
except ValueError:
    log.exception("failed", detail="token SENTINEL-log-77aa")
"""


@pytest.mark.parametrize("fmt", ["json", "console"])
def test_log_lines_and_their_tracebacks_are_redacted_in_both_formats(fmt: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _LOGS, fmt], capture_output=True, text=True, timeout=60
    )
    assert "ValueError" in done.stderr and "the server said" in done.stderr, done.stderr
    assert "SENTINEL-log-77aa" not in done.stderr
    assert done.stderr.count(REDACTED) >= 2


_CLI = """
import sys
from xensocial.cli import App, cli, invoke
from xensocial.errors import UsageError
from xensocial.redaction import add_secrets

add_secrets(["SENTINEL-cli-31f0"])

@cli.command("explode")  # a command that fails the way a network's error would make it
def explode():
    try:
        raise RuntimeError("upstream said SENTINEL-cli-31f0")
    except RuntimeError as exc:
        raise UsageError(f"refused: {exc}") from exc

sys.exit(invoke(sys.argv[1:], App()))
"""


def test_cli_errors_and_debug_tracebacks_are_redacted() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _CLI, "--debug", "explode"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert "RuntimeError: upstream said [redacted]" in done.stderr  # the traceback, redacted
    assert done.stderr.rstrip().endswith("error: refused: upstream said [redacted]")
    assert "SENTINEL-cli-31f0" not in done.stderr + done.stdout
