"""Logging: structlog, one event per line, with secret values redacted everywhere.

JSON lines when stderr is not a terminal (journald, Docker, files: machines read them) or
`log_format = "json"`; aligned, readable lines on a terminal. Records of the standard `logging`
module (APScheduler, Alembic, SQLAlchemy) go through the same processors, so one format and one
redaction cover everything the process writes.

Redaction is a processor, not a habit: every resolved secret value is registered with
`add_secrets` (see `redaction`, which also covers the forms a token travels in), and any string
in any event (the traceback text included, in both formats) that contains one has it replaced
with "[redacted]" before rendering.

Process-wide fields (`bind_process`, e.g. the replica's `identity`) are added to every line by a
processor, not by `structlog.contextvars`: context variables do not reach the scheduler's worker
threads, and the point is that no line, from any thread or library, goes out without them.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable, MutableMapping
from typing import Any

import structlog

from .redaction import REDACTED, add_secrets, scrub

__all__ = ["REDACTED", "add_secrets", "bind_process", "configure_logging", "redact"]

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING}
_LEVELS["error"] = logging.ERROR

_process: dict[str, str] = {}  # fields every line carries (bind_process)


def bind_process(**fields: str) -> None:
    """Add `fields` (e.g. identity="social-1") to every later log line of this process, from
    every thread; an event's own field of the same name wins."""
    _process.update(fields)


def _add_process_fields(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key, value in _process.items():
        event_dict.setdefault(key, value)
    return event_dict


def redact(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> Any:
    """structlog processor: replace every registered secret in every value."""
    return scrub(dict(event_dict))


def configure_logging(level: str = "info", fmt: str = "auto", secrets: Iterable[str] = ()) -> None:
    """Set up structlog and the stdlib root logger to write to stderr.

    `fmt` is "json", "console" or "auto" (console on a terminal, JSON otherwise)."""
    add_secrets(secrets)
    as_json = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        _add_process_fields,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if as_json
        else structlog.dev.ConsoleRenderer(
            colors=sys.stderr.isatty(), exception_formatter=structlog.dev.plain_traceback
        )
    )
    # Tracebacks become a string before redaction, in both formats, so a secret inside one
    # (an exception quoting a request) is caught too.
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
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
    # Libraries chatter at INFO (every APScheduler job run, every httpx request with its URL);
    # only their warnings matter here.
    for noisy in ("apscheduler", "alembic", "sqlalchemy", "httpx", "httpcore"):
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
