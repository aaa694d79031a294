"""`xensocial web`: run the web console (docs/web.md), a process of its own beside the daemon.

It serves `xensocial.web` with uvicorn on `[web] listen` (127.0.0.1:8080 unless the file or
`--host`/`--port` say otherwise) until stopped (Ctrl-C, SIGTERM). It reads and writes the same
database as the daemon, through its own connections: the command's one transaction
(`transaction`) is never opened, or it would hold SQLite's write lock for as long as the
console runs. `--demo`, on the embedded demo only, gives the account `admin` a new password and
prints it, so a first look needs no other command.
"""

from __future__ import annotations

import click

from ..errors import UsageError
from .app import App, pass_app
from .output import echo

__all__ = ["web"]


@click.command()
@click.option("--host", help="Address to listen on [default: [web] listen, else 127.0.0.1].")
@click.option(
    "--port", type=click.IntRange(1, 65535), help="Port [default: [web] listen, else 8080]."
)
@click.option(
    "--demo",
    is_flag=True,
    help="On the embedded demo: (re)create the account `admin` and print its password.",
)
@pass_app
def web(app: App, host: str | None, port: int | None, demo: bool) -> None:
    """Run the web console: the queue, approvals and accounts in a browser (docs/web.md)."""
    import uvicorn

    from ..logs import configure_logging
    from ..web import create_app, secret_key

    settings = app.settings
    configure_logging(settings.log_level, settings.log_format)
    bind_host = host or settings.web.host
    bind_port = port or settings.web.port
    engine = app.engine  # the schema checked (and upgraded with auto_migrate) first
    if demo:
        _demo_admin(app, bind_host, bind_port)
    console = create_app(settings, engine, clock=app.clock, secret=secret_key(settings.data_dir))
    shown = f"[{bind_host}]" if ":" in bind_host else bind_host
    echo(f"The web console is at http://{shown}:{bind_port}/ (Ctrl-C stops it).", err=True)
    # X-Forwarded-For/-Proto are the console's to believe or not ([web] trusted_proxies,
    # `web.proxy`), never uvicorn's.
    uvicorn.run(console, host=bind_host, port=bind_port, log_level="warning", proxy_headers=False)


def _demo_admin(app: App, host: str, port: int) -> None:
    from content_queue.accounts import AccountStore

    from ..accounts import generate_password, hash_password

    if not app.settings.demo:
        raise UsageError(
            "--demo runs only on the embedded demo configuration; add an account with "
            "`xensocial users add NAME --role admin` instead"
        )
    store = AccountStore(app.engine, app.clock)  # its own transaction: kept while we serve
    password = generate_password()
    if store.get("admin") is None:
        store.add("admin", "admin", hash_password(password), by=app.user)
    else:
        store.set_password("admin", hash_password(password), by=app.user)
    echo(f"Sign in as admin with the password {password} (made for this demo run).")
