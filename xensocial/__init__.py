"""xensocial: a social-media scheduling daemon for open-source communities.

The service around `content_queue`: configuration, the daemon and its exactly-once publishing
protocol, network adapters, and the admin CLI. Importing this package imports nothing heavy;
each command imports what it uses.
"""

__version__ = "0.1.0"
ADAPTER_GROUP = "xensocial.adapters"
"""The entry-point group adapters register in (built-in and third-party alike): named here, at
the top, so the configuration (which checks a channel's network) and the registry (which loads
it) read one value without importing each other."""

__all__ = ["ADAPTER_GROUP", "__version__"]
