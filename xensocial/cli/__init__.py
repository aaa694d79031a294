"""The admin CLI, `xensocial`: thin click commands over `content_queue` and the service.

This module holds the root group and the one place where errors become exit codes:

    0  done
    1  a failure at run time (the database does not answer, a file cannot be written, ...)
    2  bad usage or input (unknown option, bad date, unknown channel or item, duplicate URL,
       a bad configuration, a bad CSV row)

An error is one clear line on stderr ("error: ..."); `--debug` adds the traceback. The commands
themselves live in one module per group and only raise.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Sequence

import click

from .. import __version__
from . import deliveries as _deliveries  # noqa: F401 - registers queue retry/resolve
from .activity import activity
from .app import App, actor_option
from .blackout import blackout
from .channels import channels
from .clips import clips
from .export import export
from .feeds import feeds
from .log import log
from .metrics import metrics
from .networks import adapters, preview, verify
from .ops import db, health, run
from .queue import queue
from .report import report
from .schedule import schedule

__all__ = ["App", "cli", "invoke", "main"]

_USAGE_EXIT = 2
_FAILURE_EXIT = 1


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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
    if config_path:
        app.config_path = config_path
    app.debug = app.debug or debug
    if acting_as is not None:
        app.user = acting_as


for command in (queue, channels, schedule, preview, feeds, metrics, db, run, adapters, health):
    cli.add_command(command)
channels.add_command(verify)  # lives with the other network commands, runs as `channels verify`
cli.add_command(clips)
cli.add_command(activity)
cli.add_command(export)
cli.add_command(report)
cli.add_command(blackout)
cli.add_command(log)


def _fail(message: str, code: int, debug: bool) -> int:
    # Errors may quote what a network answered, which may quote a secret: never print one.
    from ..redaction import redact_text

    if debug:
        click.echo(redact_text(traceback.format_exc()).rstrip("\n"), err=True)
    first, _, rest = redact_text(message).strip().partition("\n")
    click.echo(f"error: {first}" + (f"\n{rest}" if rest else ""), err=True)
    return code


def invoke(args: Sequence[str] | None, app: App) -> int:
    """Run the CLI with `args` and return its exit code (printing any error); for `main` and tests."""
    try:
        # Without standalone mode, click returns the code of `ctx.exit(code)` / Exit(code).
        code = cli.main(args=args, prog_name="xensocial", obj=app, standalone_mode=False)
    except click.exceptions.Exit as done:
        return int(done.exit_code)
    except click.Abort:
        click.echo("Aborted.", err=True)
        return _FAILURE_EXIT
    except click.UsageError as exc:
        hint = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx is not None else ""
        return _fail(exc.format_message() + hint, _USAGE_EXIT, app.debug)
    except click.ClickException as exc:
        return _fail(exc.format_message(), exc.exit_code, app.debug)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
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
    return code if isinstance(code, int) else 0


def _is_bad_input(exc: Exception) -> bool:
    # Imported here, not at the top: content_queue pulls in SQLAlchemy, which `--help` must
    # not pay for.
    from content_queue.errors import QueueError

    from ..errors import XensocialError

    return isinstance(exc, QueueError | XensocialError)


def _describe(exc: Exception) -> str:
    """A one-line account of an unexpected failure, naming the database when it is the cause."""
    import sqlite3

    if isinstance(exc, sqlite3.Error):  # from the SQLite read path (content_queue.fastread)
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
