"""Redaction in one pass (issue 14): every form of every secret replaced by one expression, so
a `[redacted]` marker is never redacted again, and secrets too short to be real are refused.

Why, as the issue reported it: "redaction replaces each secret in turn, so a short secret
matches inside an earlier `[redacted]` marker; with one-letter secrets an error message became
`[re[re[redacted]acte[redacted]]...`. A one-character secret is also certainly a mistake in the
configuration."

The expression is tested on a `Redactor` of its own (the process-wide one would keep the
invented secrets and redact other tests' output); the refusal goes through the CLI and the
daemon as staff run them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tests.cli.conftest import CliHarness, write_config
from tests.conftest import FakeClock
from xensocial.redaction import REDACTED, Redactor, forms

# -- the expression ---------------------------------------------------------------------------


def redactor(*secrets: str) -> Redactor:
    r = Redactor()
    r.add(secrets)
    return r


def test_one_letter_secrets_leave_every_marker_whole() -> None:
    # The case: the letters of "redacted" as secrets. Replaced one after the other,
    # each later letter was replaced inside the markers the earlier ones left.
    r = redactor("a", "c", "d", "e")
    out = r.redact("bad credentials for account e")
    assert out == (
        f"b{REDACTED}{REDACTED} {REDACTED}r{REDACTED}{REDACTED}{REDACTED}nti{REDACTED}ls "
        f"for {REDACTED}{REDACTED}{REDACTED}ount {REDACTED}"
    )
    assert out.replace(REDACTED, "") == "b rntils for ount "  # nothing but whole markers
    assert r.redact(out) == out  # a second pass (a log line quoted in an error) changes nothing


def test_a_secret_inside_another_is_replaced_with_it() -> None:
    short, long = "tok-12345678", "prefix-tok-12345678-suffix"
    r = redactor(short, long)
    assert r.redact(f"a={long} b={short}") == f"a={REDACTED} b={REDACTED}"
    # Registered the other way round: the same answer (longest first, whatever the order).
    assert redactor(long, short).redact(f"{long}{short}") == REDACTED * 2


def test_overlapping_secrets_leave_no_part_of_either() -> None:
    # Neither contains the other, but they overlap in the text: the first to start goes whole,
    # and what is left of the second is no secret (no part that could be one is kept).
    first, second = "abcdefgh1234", "1234ijklmnop"
    r = redactor(first, second)
    out = r.redact("abcdefgh1234ijklmnop")
    assert out == f"{REDACTED}ijklmnop"
    assert first not in out and second not in out


def test_the_encoded_forms_of_overlapping_secrets_go_too() -> None:
    inner, outer = "inner/secret+1", "outer-inner/secret+1=="
    r = redactor(inner, outer)
    text = " ".join(sorted(forms(inner) | forms(outer)))
    out = r.redact(text)
    assert set(out.split(" ")) == {REDACTED}


def test_nothing_registered_changes_nothing() -> None:
    assert Redactor().redact("plain [redacted] text") == "plain [redacted] text"


# Secrets as networks issue them: letters, digits and the punctuation of tokens (never the
# marker's brackets), 8 characters or more.
_TOKEN = st.text(
    alphabet=st.sampled_from(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./+="
    ),
    min_size=8,
    max_size=24,
)


@settings(max_examples=300, deadline=None)
@given(
    secrets=st.lists(_TOKEN, min_size=1, max_size=5),
    pieces=st.lists(st.one_of(st.text(max_size=12), st.just(REDACTED), _TOKEN), max_size=12),
    data=st.data(),
)
def test_no_output_holds_a_secret_and_every_marker_is_intact(
    secrets: list[str], pieces: list[str], data: st.DataObject
) -> None:
    assume(all(s not in REDACTED for s in secrets))  # "redacted" itself cannot be told apart
    # The text: free text, markers, and secrets in their forms, in any order.
    for secret in secrets:
        pieces.append(data.draw(st.sampled_from(sorted(forms(secret)))))
        pieces.append(secret[: len(secret) // 2])  # a part alone is no secret: it stays
    text = "".join(data.draw(st.permutations(pieces)))
    r = redactor(*secrets)
    out = r.redact(text)
    for secret in secrets:
        for form in forms(secret):
            assert form not in out, (form, out)
    # Markers are whole: without them, no bracket is left that the input did not have.
    assert out.count("[") - out.count(REDACTED) == text.count("[") - text.count(REDACTED)
    assert out.count(REDACTED) >= text.count(REDACTED)
    assert r.redact(out) == out


# -- the refusal ------------------------------------------------------------------------------

X_CHANNEL = """
[[channels]]
name = "x"
network = "x"
slots = ["09:30"]
[channels.secrets]
consumer_key = "env:XS_SHORT_CONSUMER_KEY"
consumer_secret = "env:XS_SHORT_CONSUMER_SECRET"
access_token = "env:XS_SHORT_ACCESS_TOKEN"
access_token_secret = "env:XS_SHORT_ACCESS_TOKEN_SECRET"
"""
SHORT = {
    "XS_SHORT_CONSUMER_KEY": "a",
    "XS_SHORT_CONSUMER_SECRET": "b",
    "XS_SHORT_ACCESS_TOKEN": "c",
    "XS_SHORT_ACCESS_TOKEN_SECRET": "d",
}
REFUSAL = "error: secret `consumer_key` of channel `x` is 1 character long; is it the right value?"


@pytest.fixture
def x_cli(tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> CliHarness:
    config = write_config(tmp_path)
    config.write_text(config.read_text() + X_CHANNEL)
    for name, value in SHORT.items():
        monkeypatch.setenv(name, value)
    harness = CliHarness(config, tmp_path / "data" / "queue.db", clock)
    harness.ok("db", "upgrade")
    return harness


def test_secrets_a_to_d_are_refused_by_verify(x_cli: CliHarness) -> None:
    result = x_cli.run("channels", "verify", "x")
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stderr.splitlines() == [REFUSAL]


def test_secrets_a_to_d_stop_the_daemon_at_start(x_cli: CliHarness) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "xensocial", "--config", str(x_cli.config), "run"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **SHORT},
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.rstrip().splitlines()[-1] == REFUSAL
    assert "[re[re" not in done.stderr and "[redacted]" not in done.stderr


def test_a_secret_of_seven_characters_is_refused_and_of_eight_accepted(
    x_cli: CliHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in SHORT:
        monkeypatch.setenv(name, "12345678")
    monkeypatch.setenv("XS_SHORT_ACCESS_TOKEN", "1234567")
    result = x_cli.run("channels", "verify", "x")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "error: secret `access_token` of channel `x` is 7 characters long; is it the right value?"
    ]
    assert "1234567" not in result.stderr
