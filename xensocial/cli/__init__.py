"""The admin CLI, `xensocial`: thin click commands over `content_queue` and the service.

This module holds the root group and the one place where errors become exit codes:

    0  done
    1  a failure at run time (the database does not answer, a file cannot be written, ...)
    2  bad usage or input (unknown option, bad date, unknown channel or item, duplicate URL,
       a bad configuration, a bad CSV row)

An error is one clear line on stderr ("error: ..."); `--debug` adds the traceback. A command
is one database transaction (`transaction`): committed when it ends with 0, rolled back on any
error or other exit code, so a failed command leaves the database as it was. The commands
themselves live in one module per group and only raise; a command's module is imported only
when that command runs (`lazy`), so `--help` and each command start with no more than they use.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from importlib import import_module

import click

from .. import __version__
from .app import App, actor_option
from .lazy import Lazy, LazyGroup

__all__ = ["App", "cli", "invoke", "main"]

_USAGE_EXIT = 2
_FAILURE_EXIT = 1


def _from(module: str, name: str) -> Callable[[], click.Command]:
    """A loader of the command `name` of `xensocial.cli.<module>`."""

    def load() -> click.Command:
        command: click.Command = getattr(import_module(f".{module}", __name__), name)
        return command

    return load


def _queue() -> click.Command:
    from . import deliveries as _deliveries  # noqa: F401 - registers queue retry/resolve
    from .queue import queue

    return queue


def _channels() -> click.Command:
    from .channels import channels
    from .networks import verify

    channels.add_command(verify)  # lives with the other network commands, runs as `channels verify`
    return channels


# Every command, with the first paragraph of its help, which `xensocial --help` shows without
# importing the command (see `lazy`; a test checks each is the command's own).
_COMMANDS = {
    "activity": Lazy(
        _from("activity", "activity"),
        "Press releases, interviews, analyst briefings, member content and events.",
    ),
    "adapters": Lazy(
        _from("networks", "adapters"),
        "List the installed network adapters (a channel's `network` names one): where each "
        "comes from (package and version, module:Class) and whether it loads.",
    ),
    "blackout": Lazy(
        _from("blackout", "blackout"),
        "Periods in which nothing is posted (a holiday, a crisis, an embargo).",
    ),
    "channels": Lazy(_channels, "Show the configured channels; pause and resume them."),
    "clips": Lazy(
        _from("clips", "clips"), "Press coverage: articles about the project and its competitors."
    ),
    "db": Lazy(_from("ops", "db"), "Create or upgrade the database schema."),
    "export": Lazy(
        _from("export", "export"),
        "Published posts as an Atom feed, and posts, engagement or followers as CSV.",
    ),
    "feeds": Lazy(_from("feeds", "feeds"), "RSS/Atom feeds whose new entries become queue items."),
    "health": Lazy(
        _from("ops", "health"),
        "Exit 0 when the daemon can post (its database answers and took its latest write, its "
        "last slots did not all crash, its heartbeat is fresh), 1 when not, 2 when misconfigured.",
    ),
    "log": Lazy(_from("log", "log"), "Who did what, and when: the audit log, newest first."),
    "media": Lazy(
        _from("media", "media"),
        "The image files of items in the data folder: remove those no item uses any more.",
    ),
    "metrics": Lazy(
        _from("metrics", "metrics"), "Engagement and follower counts read from the networks."
    ),
    "notify": Lazy(
        _from("notify", "notify"),
        "Notifications: alerts sent to the targets of [[notify]] (docs/notifications.md).",
    ),
    "preview": Lazy(
        _from("networks", "preview"),
        "Show the exact text ID would be posted as, and its length against the channel's limit "
        "(and its size in bytes where the network caps that too: Bluesky's 3,000).",
    ),
    "queue": Lazy(_queue, "Add, review and change the items waiting to be posted."),
    "report": Lazy(
        _from("report", "report"),
        "The status report: posts, engagement, followers, press coverage, share of voice, "
        "themes, programme activity, and what failed or was skipped (docs/reports.md).",
    ),
    "run": Lazy(
        _from("ops", "run"),
        "Run the daemon: post the queue's items at each channel's slots, until stopped.",
    ),
    "users": Lazy(
        _from("users", "users"), "Accounts of the web console (`xensocial web`) and their roles."
    ),
    "web": Lazy(
        _from("web", "web"),
        "Run the web console: the queue, approvals and accounts in a browser (docs/web.md).",
    ),
    "schedule": Lazy(
        _from("schedule", "schedule"),
        "The coming slots of each enabled channel and the item each would post now.",
    ),
}


@click.group(
    cls=LazyGroup,
    lazy=_COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option(
    "--config",
    "config_path",
    metavar="PATH",
    envvar="XENSOCIAL_CONFIG",
    help="Configuration file (default: $XENSOCIAL_CONFIG, else the embedded demo).",
)
@click.option("--debug", is_flag=True, help="Show the full traceback when a command fails.")
@click.option(
    "--as",
    "acting_as",
    metavar="NAME",
    callback=actor_option,
    help="Who is acting, as the audit log (`xensocial log`) records it; default: your user name.",
)
@click.version_option(__version__, prog_name="xensocial")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, debug: bool, acting_as: str | None) -> None:
    """xensocial: schedule posts of links to social networks, at each channel's slots.

    Staff add items to the queue (`queue add`, `queue import`); the daemon (`run`) posts them.
    """
    app = ctx.ensure_object(App)
    if config_path is not None:  # "" too: refused when read, never taken for "no file"
        app.config_path = config_path
    app.debug = app.debug or debug
    if acting_as is not None:
        app.user = acting_as


def _say(message: str) -> None:
    """One line on stderr, through the escaping `output.echo` (imported only now: `--help`
    loads no command-side module)."""
    from .output import echo

    echo(message, err=True)


def _fail(message: str, code: int, debug: bool) -> int:
    # Errors may quote what a network answered, which may quote a secret: never print one.
    import traceback

    from ..redaction import redact_text

    if debug:
        _say(redact_text(traceback.format_exc()).rstrip("\n"))
    first, _, rest = redact_text(message).strip().partition("\n")
    _say(f"error: {first}" + (f"\n{rest}" if rest else ""))
    return code


def invoke(args: Sequence[str] | None, app: App) -> int:
    """Run the CLI with `args` and return its exit code (printing any error); for `main` and tests."""
    try:
        return _run(args, app)
    finally:
        app.close()


def _run(args: Sequence[str] | None, app: App) -> int:
    refusal = _not_text(sys.argv[1:] if args is None else args)
    if refusal is not None:
        return _fail(refusal, _USAGE_EXIT, app.debug)
    try:
        code = _command(args, app)
        if code == 0:
            app.commit()  # the command's one transaction (`transaction`): kept only now
        return code
    except click.Abort:
        _say("Aborted.")
        return _FAILURE_EXIT
    except click.UsageError as exc:
        hint = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx is not None else ""
        return _fail(exc.format_message() + hint, _USAGE_EXIT, app.debug)
    except click.ClickException as exc:
        return _fail(exc.format_message(), exc.exit_code, app.debug)
    except KeyboardInterrupt:
        _say("Interrupted.")
        return 130
    except BrokenPipeError:
        # The reader went away (`xensocial queue list | head`): not an error worth a message.
        # Point stdout at /dev/null so the interpreter's final flush does not fail again.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return _FAILURE_EXIT
    except Exception as exc:
        if _is_bad_input(exc):
            return _fail(str(exc), _USAGE_EXIT, app.debug)
        # The last line of defence: one line, exit 1, never a traceback (unless --debug).
        return _fail(_describe(exc), _FAILURE_EXIT, app.debug)


def _not_text(args: Sequence[str]) -> str | None:
    """Why an argument cannot be taken, when one holds bytes that are not UTF-8 (Python passes
    them on as lone surrogates, `surrogateescape`), or None.

    Such an argument is refused here, before any command sees it, as `plaintext.inert` refuses
    such text, naming the option it was given to: no name, date, URL or text means anything
    with them (what was meant cannot be known), and each place that would store, compare or
    print one failed its own way (UnicodeEncodeError, exit 1). A file name is bytes, though: an
    argument naming a file that exists is let through."""
    import os

    for index, arg in enumerate(args):
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            if os.path.exists(arg):
                continue
            from content_queue.errors import InvalidItem
            from content_queue.plaintext import inert

            option, equals, value = arg.partition("=")
            if not (equals and option.startswith("--")):
                before = args[index - 1] if index else ""
                option = before if before.startswith("-") else f"argument {index + 1}"
                value = arg
            try:
                inert(value, option)
            except InvalidItem as refusal:
                return str(refusal)
            return f"{option}: not valid text"  # (the option's name itself was not)
    return None


def _command(args: Sequence[str] | None, app: App) -> int:
    """The command's exit code; its errors propagate (`_run` says them and rolls back)."""
    try:
        # Without standalone mode, click returns the code of `ctx.exit(code)` / Exit(code).
        code = cli.main(args=args, prog_name="xensocial", obj=app, standalone_mode=False)
    except click.exceptions.Exit as done:
        return int(done.exit_code)
    return code if isinstance(code, int) else 0


def _is_bad_input(exc: Exception) -> bool:
    # Imported here, not at the top: content_queue pulls in SQLAlchemy, which `--help` must
    # not pay for.
    from content_queue.errors import QueueError

    from ..errors import BadInput

    return isinstance(exc, QueueError | BadInput)


def _describe(exc: Exception) -> str:
    """A one-line account of an unexpected failure, naming the database when it is the cause."""
    import sqlite3

    # From the plain-driver paths (content_queue.fastread, fastwrite): psycopg only when loaded.
    psycopg = sys.modules.get("psycopg")
    if isinstance(exc, sqlite3.Error) or (psycopg is not None and isinstance(exc, psycopg.Error)):
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"the database failed: {detail} (--debug shows the details)"
    from sqlalchemy.exc import DBAPIError, SQLAlchemyError

    if isinstance(exc, DBAPIError):
        detail = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        return f"the database failed: {detail} (--debug shows the details)"
    if isinstance(exc, SQLAlchemyError):
        return f"the database failed: {str(exc).splitlines()[0]} (--debug shows the details)"
    if isinstance(exc, OSError):
        return f"{exc.strerror or exc}: {exc.filename}" if exc.filename else str(exc)
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def main(args: Sequence[str] | None = None) -> None:
    """The console script: run the CLI and exit with its code."""
    sys.exit(invoke(args, App()))
