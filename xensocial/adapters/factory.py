"""Building a channel's adapter from the settings: class, secrets and context, checked once.

The daemon and `channels verify` both build adapters here, so a channel is always built the same
way and a wrong option is always reported the same way: a `ConfigError` naming the file, the
channel's key and what the adapter expected.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import structlog

from content_queue.timeutil import Clock, system_clock

from ..errors import ConfigError
from ..redaction import add_secrets
from ..secrets import resolve_secrets
from .base import Adapter, ChannelContext
from .registry import AdapterLoadError, UnknownAdapter, load

if TYPE_CHECKING:
    from ..config import ChannelConfig, Settings

__all__ = ["build_adapter"]

log = structlog.get_logger("xensocial.adapters")


def _index(settings: Settings, channel: ChannelConfig) -> int:
    for i, c in enumerate(settings.channels):
        if c.name == channel.name:
            return i
    return -1


def build_adapter(
    settings: Settings,
    channel: ChannelConfig,
    *,
    clock: Clock = system_clock,
    env: Mapping[str, str] | None = None,
    warn: Callable[[str], object] | None = None,
) -> Adapter:
    """The adapter of `channel`, ready to call (no network I/O is done here).

    `warn` receives a one-line warning about a secret file other users can read (default: a
    `secret_file_readable` log line; the CLI prints it on stderr instead, away from --json).
    Raises ConfigError (unknown adapter, bad option), SecretError (a secret cannot be
    resolved), or the adapter's AuthError (a needed secret is missing)."""
    key = f"channels[{_index(settings, channel)}]"
    try:
        cls = load(channel.network)
    except (UnknownAdapter, AdapterLoadError) as exc:
        raise ConfigError(settings.source, f"{key}.network", str(exc)) from None

    def log_warning(message: str) -> None:
        log.warning("secret_file_readable", channel=channel.name, detail=message)

    secrets = resolve_secrets(channel, env, warn=warn or log_warning)
    add_secrets(secrets.values())  # before anything can log them
    context = ChannelContext(
        name=channel.name,
        options=dict(channel.options),
        secrets=secrets,
        data_dir=settings.data_dir,
        timeout_seconds=settings.publishing.timeout.total_seconds(),
        clock=clock,
        allow_private_addresses=settings.intake.allow_private_addresses,
    )
    try:
        return cls(context)
    except ValueError as exc:
        raise ConfigError(
            settings.source, f"{key}.options", f"channel {channel.name!r} ({cls.name}): {exc}"
        ) from None
