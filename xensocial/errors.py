"""The service's error tree: every exception class of `xensocial`, drawn here (the queue's own
are in `content_queue.errors`). The classes live beside the code that raises them; the branches'
bases (XensocialError, BadInput, IntakeError) are defined here.

    XensocialError                  an error the service raises on purpose
    ├── BadInput                    the input cannot be used: the CLI answers exit 2, its message
    │   ├── ConfigError             the configuration is wrong (names the file and the key)
    │   ├── SecretError             a secret reference cannot be resolved (names it, never a value)
    │   │   └── ShortSecret         a secret's value is too short to be a real one (its length only)
    │   ├── UsageError              a command was given input it cannot use
    │   ├── ImageRefused            an image file cannot be used: missing, not an image, damaged,
    │   │                           too many pixels, a type no network takes (media.probe)
    │   ├── ImageDoesNotFit         an image a channel's network cannot take (rendering; ValueError)
    │   └── TextTooLong             an item cannot fit a channel's post (rendering; also ValueError)
    ├── StartupFailed               the daemon cannot start for a run-time reason: exit 1 (daemon)
    ├── SignInNeeded                a console page was asked for without an account signed in (web.auth)
    ├── IntakeError                 a feed, page or file intake reads failed or was refused
    │   ├── FetchError              a fetch failed or the address guard refused it (fetch)
    │   ├── AddressRefusedError     the host resolves to an address intake must not reach (netguard)
    │   ├── ResolutionError         the host name does not resolve (netguard)
    │   ├── FeedParseError          not a feed that can be read, or refused (entries)
    │   ├── NotPlainText            a title not plain text once cleaned (entries; also ValueError)
    │   ├── MarkupTooComplexError   more tags than any feed needs (docguard; also ValueError)
    │   └── EntitiesDeclaredError   a DOCTYPE declaring entities (docguard; also ValueError)
    ├── NotifyFailed                a notification target refused a message or is unreachable (notify.email)
    ├── AdapterError                a network adapter failed (adapters.base: the adapter interface)
    │   ├── TransientError          may pass (a timeout, a 5xx); `maybe_posted`: may be out
    │   │   └── RateLimited         the network asks us to wait until `reset_at`
    │   ├── ChannelBlocked          all posts refused until a person acts: the channel pauses
    │   │   └── AuthError           the credentials are missing, revoked or expired
    │   ├── LookupUnavailable       `find_published` cannot answer, now or later
    │   └── Rejected                this post is refused for good (too long, duplicate, policy)
    ├── LostDelivery                our lease ended mid-upload: another process holds the delivery (uploading)
    ├── PdfUnavailable              the PDF renderer's system libraries are missing (reporting.render_pdf)
    ├── UnknownAdapter              no adapter of that name (adapters.registry; also LookupError)
    └── AdapterLoadError            an adapter does not load (adapters.registry; also ImportError)
    click.ClickException            the CLI's own outcomes, each with its exit code (click's class)
    ├── NotMigrated                 the schema is behind and auto_migrate is off: exit 1 (cli.app)
    ├── VerifyFailed                a channel failed `channels verify` (cli.networks)
    ├── TestFailed                  a target did not take `notify test`'s message (cli.notify)
    ├── SendFailed                  the SMTP server did not take `report send`'s report (cli.report)
    ├── Unhealthy                   `health` found the daemon unhealthy (cli.ops)
    └── Misconfigured               `health` could not read what it checks (cli.ops)

Only the CLI turns these into exit codes: `BadInput` (and `content_queue.QueueError`) exit 2 with
the message, a ClickException its own code, anything else exit 1. A class deriving from a
built-in error too (`also ValueError`) keeps it, so the code catching that still does.
tests/test_error_trees.py finds every exception class defined in the package and fails when one
is missing from this drawing or drawn under the wrong parent; private ones (`_Name`), which
never leave their module, are not drawn.
"""

from __future__ import annotations

__all__ = [
    "BadInput",
    "ConfigError",
    "IntakeError",
    "SecretError",
    "ShortSecret",
    "UsageError",
    "XensocialError",
]


class XensocialError(Exception):
    """Base class of the service's deliberate errors (see the tree above)."""


class BadInput(XensocialError):
    """Input the service cannot use (a configuration, a secret, a command's arguments, an item
    that cannot fit): the CLI reports the message and exits 2, nothing changed."""


class IntakeError(XensocialError):
    """Intake could not read a feed, a page or a file, or refused to: the poller records it
    against the feed, `queue add --fetch` and `clips` say it in one line."""


class ConfigError(BadInput):
    def __init__(self, path: str, key: str, expected: str) -> None:
        self.path, self.key, self.expected = path, key, expected
        # A key is whatever the file says (quoted TOML keys hold any character): shown with
        # escapes, so the message stays the one line the CLI promises.
        shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in key)
        where = f"{path}: {shown}" if key else path
        super().__init__(f"{where}: {expected}")


class SecretError(BadInput):
    def __init__(self, channel: str, name: str, problem: str, *, owner: str = "channel") -> None:
        # `owner`: what holds the secret, a channel or a notification target (`[[notify]]`).
        self.channel, self.name = channel, name
        super().__init__(f"{owner} {channel!r}, secret {name!r}: {problem}")


class ShortSecret(SecretError):
    """A secret whose value is shorter than any real token: a placeholder, a truncated paste,
    the wrong variable. Its length is said, never its value."""

    def __init__(self, channel: str, name: str, length: int, *, owner: str = "channel") -> None:
        self.channel, self.name, self.length = channel, name, length
        unit = "character" if length == 1 else "characters"
        XensocialError.__init__(
            self,
            f"secret `{name}` of {owner} `{channel}` is {length} {unit} long; "
            "is it the right value?",
        )


class UsageError(BadInput):
    pass
