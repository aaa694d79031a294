"""The web console (`xensocial web`): the queue, approvals and accounts in a browser.

A Starlette application, served by uvicorn in a process of its own, reading and writing the
same database as the daemon (so the daemon's exactly-once protocol is untouched). Pages are
rendered on the server with Jinja2 (autoescaped); a small static script updates the preview
in place. Every decision is the service's, not the console's: the console calls the functions
the CLI calls (`adding`, `item_actions`, `item_rules`, `rendering`, `accounts`), so a refusal
reads the same in both.

    app.py        `create_app`: the application, its routes, security headers and errors
    auth.py       signed session cookies, signing in and out, role checks
    csrf.py       the token every form carries
    proxy.py      what a trusted reverse proxy forwards: address, scheme, single sign-on
    forms.py      form fields -> the values the queue takes
    queue_pages.py the queue: list, item, add (with the per-network preview), approve, cancel
    edit_pages.py  editing an item, as `queue edit`
    import_pages.py importing a CSV file, as `queue import`
    admin_pages.py accounts, for admins
"""

from .app import create_app, secret_key

__all__ = ["create_app", "secret_key"]
