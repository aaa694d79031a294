"""What the replica tests share: a configuration with one outbox channel on a seconds cron."""

from __future__ import annotations

from pathlib import Path

__all__ = ["write_outbox_config"]

_CONFIG = """\
database_url = "{database_url}"
timezone = "UTC"
log_format = "json"

[[channels]]
name = "demo"
network = "outbox"
cron = "* * * * * *"
max_per_day = 10000
[channels.options]
path = "{outbox}"
delay = "{delay}"

[http]
enabled = false
"""


def write_outbox_config(path: Path, database_url: str, outbox: Path, delay: str = "0s") -> Path:
    """Write the configuration to `path` (a post every second to `outbox`, each write `delay`
    long, no HTTP endpoint: several daemons share one host); returns `path`."""
    path.write_text(_CONFIG.format(database_url=database_url, outbox=outbox, delay=delay))
    return path
