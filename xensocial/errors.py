"""The service's error tree (the queue's own errors are in `content_queue.errors`).

    XensocialError
    ├── ConfigError       the configuration is wrong: names the file, the key and what was expected
    ├── SecretError       a secret reference cannot be resolved (names the reference, never a value)
    │   └── ShortSecret   a secret's value is too short to be a real one (names its length only)
    └── UsageError        a command was given input it cannot use

Only the CLI turns these into exit codes (2 for all three).
"""

from __future__ import annotations

__all__ = ["ConfigError", "SecretError", "ShortSecret", "UsageError", "XensocialError"]


class XensocialError(Exception):
    """Base class of the service's deliberate errors."""


class ConfigError(XensocialError):
    def __init__(self, path: str, key: str, expected: str) -> None:
        self.path, self.key, self.expected = path, key, expected
        # A key is whatever the file says (quoted TOML keys hold any character): shown with
        # escapes, so the message stays the one line the CLI promises.
        shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in key)
        where = f"{path}: {shown}" if key else path
        super().__init__(f"{where}: {expected}")


class SecretError(XensocialError):
    def __init__(self, channel: str, name: str, problem: str) -> None:
        self.channel, self.name = channel, name
        super().__init__(f"channel {channel!r}, secret {name!r}: {problem}")


class ShortSecret(SecretError):
    """A secret whose value is shorter than any real token: a placeholder, a truncated paste,
    the wrong variable. Its length is said, never its value."""

    def __init__(self, channel: str, name: str, length: int) -> None:
        self.channel, self.name, self.length = channel, name, length
        unit = "character" if length == 1 else "characters"
        XensocialError.__init__(
            self,
            f"secret `{name}` of channel `{channel}` is {length} {unit} long; "
            "is it the right value?",
        )


class UsageError(XensocialError):
    pass
