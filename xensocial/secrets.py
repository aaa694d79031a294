"""Secret references: `env:NAME` or `file:PATH`, resolved only when an adapter needs them.
Their form (`SECRET_REF`) is checked when the configuration is read, in `config.channels`.

A file reference works with Docker secrets (/run/secrets/...) and systemd credentials
($CREDENTIALS_DIRECTORY/...). Errors name the reference, never a value.

A value shorter than `MIN_SECRET_LENGTH` is refused: no network issues tokens that short, so it
is a placeholder or the wrong variable, and redacting it would blank out ordinary words in every
log line and error (a one-letter secret turns each of its letters into `[redacted]`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from .config.channels import SECRET_REF
from .errors import SecretError, ShortSecret
from .filemodes import exposure

if TYPE_CHECKING:
    from .config import ChannelConfig

__all__ = ["MIN_SECRET_LENGTH", "SECRET_REF", "resolve_refs", "resolve_secrets"]

MIN_SECRET_LENGTH = 8


def resolve_secrets(
    channel: ChannelConfig,
    env: Mapping[str, str] | None = None,
    warn: Callable[[str], object] | None = None,
) -> dict[str, str]:
    """The channel's secrets as values. Raises SecretError naming the reference (never a value),
    ShortSecret for a value shorter than `MIN_SECRET_LENGTH`.

    `warn(message)` is called with a one-line warning when other users may read or change a
    secret file (see `filemodes`)."""
    return resolve_refs(channel.name, channel.secrets, env, warn)


def resolve_refs(
    holder: str,
    refs: Mapping[str, str],
    env: Mapping[str, str] | None = None,
    warn: Callable[[str], object] | None = None,
    *,
    owner: str = "channel",
) -> dict[str, str]:
    """`refs` (name -> `env:X`/`file:Y`, checked at load) as values, for the `owner` named
    `holder` (a channel, or a notification target): the rules of `resolve_secrets`."""
    env = os.environ if env is None else env
    out = {}
    for name, ref in refs.items():
        m = SECRET_REF.match(ref)
        assert m is not None  # checked at load
        kind, target = m.group(1), m.group(2)
        if kind == "env":
            if not env.get(target):
                raise SecretError(
                    holder, name, f"environment variable {target} is not set", owner=owner
                )
            out[name] = env[target]
        else:
            secret_path = Path(target).expanduser()
            try:
                value = secret_path.read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise SecretError(
                    holder, name, f"cannot read {secret_path}: {exc.strerror}", owner=owner
                ) from None
            except UnicodeDecodeError:  # never echo the bytes: they are the secret
                raise SecretError(
                    holder, name, f"{secret_path} is not UTF-8 text", owner=owner
                ) from None
            exposed = exposure(secret_path, "secret file")
            if exposed is not None and warn is not None:
                warn(exposed)
            if not value:
                raise SecretError(holder, name, f"{secret_path} is empty", owner=owner)
            out[name] = value
    for name, value in out.items():
        if len(value) < MIN_SECRET_LENGTH:
            raise ShortSecret(holder, name, len(value), owner=owner)
    return out
