"""What one fetch may take unless `[intake]` says otherwise, once, without importing the fetcher.

The fetcher's own limits (`fetch.FetchLimits`) and the configuration's defaults
(`config.intake.IntakeConfig`) are these same values. Their own module, importing nothing,
because the configuration is read by every command: importing `fetch` from it would load httpx
and the transport for commands that never fetch, and close an import cycle through the
configuration.
"""

from __future__ import annotations

__all__ = [
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_DEADLINE",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_REDIRECTS",
    "DEFAULT_READ_TIMEOUT",
]

DEFAULT_CONNECT_TIMEOUT = 10.0  # seconds to connect
DEFAULT_READ_TIMEOUT = 20.0  # seconds between two reads
DEFAULT_DEADLINE = 60.0  # seconds for the whole fetch, redirects and body included
DEFAULT_MAX_BYTES = 10 * 1024 * 1024  # of decompressed body
DEFAULT_MAX_REDIRECTS = 5
