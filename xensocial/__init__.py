"""xensocial: a social-media scheduling daemon for open-source communities.

The service around `content_queue`: configuration, the daemon and its exactly-once publishing
protocol, network adapters, and the admin CLI. Importing this package imports nothing heavy;
each command imports what it uses.
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
