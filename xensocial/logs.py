"""Logging: structlog, one event per line, with secret values redacted everywhere.

JSON lines when stderr is not a terminal (journald, Docker, files: machines read them) or
`log_format = "json"`; aligned, readable lines on a terminal. Records of the standard `logging`
module (APScheduler, Alembic, SQLAlchemy) go through the same processors, so one format and one
redaction cover everything the process writes.

Redaction is a processor, not a habit: every resolved secret value is registered with
`add_secrets`, and any string in any event (the traceback text included) that contains one has
it replaced with "[redacted]" before rendering.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Iterable, MutableMapping
from typing import Any

import structlog

__all__ = ["REDACTED", "add_secrets", "configure_logging", "redact"]

REDACTED = "[redacted]"
_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING}
_LEVELS["error"] = logging.ERROR

_secrets: set[str] = set()
_secrets_lock = threading.Lock()
_ordered: tuple[str, ...] = ()  # longest first, so a secret containing another goes whole


def add_secrets(values: Iterable[str]) -> None:
    """Register secret values to redact from every later log line."""
    global _ordered
    with _secrets_lock:
        _secrets.update(v for v in values if v)
        _ordered = tuple(sorted(_secrets, key=len, reverse=True))


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        for secret in _ordered:
            if secret in value:
                value = value.replace(secret, REDACTED)
        return value
    if isinstance(value, dict):
        return {k: _scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_scrub(v) for v in value)
    if isinstance(value, BaseException):
        return _scrub(str(value))
    return value


def redact(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> Any:
    """structlog processor: replace every registered secret in every value."""
    if not _ordered:
        return event_dict
    return {key: _scrub(value) for key, value in event_dict.items()}


def configure_logging(level: str = "info", fmt: str = "auto", secrets: Iterable[str] = ()) -> None:
    """Set up structlog and the stdlib root logger to write to stderr.

    `fmt` is "json", "console" or "auto" (console on a terminal, JSON otherwise)."""
    add_secrets(secrets)
    as_json = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if as_json
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    # Tracebacks become a string before redaction, so a secret inside one is caught too.
    finishing: list[Any] = [structlog.processors.format_exc_info] if as_json else []
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            *finishing,
            redact,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(_LEVELS.get(level, logging.INFO))
    # Libraries chatter at INFO (every APScheduler job run); only their warnings matter here.
    for noisy in ("apscheduler", "alembic", "sqlalchemy"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    structlog.configure(
        processors=[
            *shared,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
