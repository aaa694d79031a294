"""The commands about networks: `preview`, `channels verify` and `adapters`.

They share one question, "what does this network make of this item?", answered without
credentials or network I/O wherever possible: `preview` uses the adapter CLASS's `limits` and
the same `rendering.render_post` the daemon uses, counted as the fit check of `queue add`,
`queue edit` and `queue import` counts (`xensocial.rendering.fit`, which those commands call),
so what staff are told fits is what is sent. Only `channels verify` builds a live adapter,
because checking credentials is its whole point. This module parses and prints; the rules are
in the rendering layer.

Loading an adapter class imports its network library; that happens here, inside the commands
that need it, never for `--help` or `queue list`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import click

from ..errors import UsageError
from ..media.describe import preview_lines
from ..tables import format_table
from .app import App, pass_app
from .output import echo, emit_json
from .params import ITEM_ID

__all__ = ["adapters", "preview", "verify"]


class VerifyFailed(click.ClickException):
    """The credentials were refused, or the network could not be asked (a run-time failure)."""

    exit_code = 1


@click.command()
@click.argument("item_id", metavar="ID", type=ITEM_ID)
@click.option(
    "--channel",
    "channel_names",
    multiple=True,
    help="The channel to render for (repeat; default: every channel the item targets).",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array, one entry per channel.")
@pass_app
def preview(app: App, item_id: int, channel_names: tuple[str, ...], as_json: bool) -> None:
    """Show the exact text ID would be posted as, and its length against the channel's limit
    (and its size in bytes where the network caps that too: Bluesky's 3,000).

    No credentials and no network are needed: the text is rendered with the adapter's own
    limits, the same way the daemon renders it. Each image is listed with its type, size and
    alt text counted against the network's limit, and whether the upload will re-encode it to
    fit a byte limit (never cropped)."""
    from ..rendering import TextTooLong, preview_post

    item = app.queue.get(item_id)
    replies = app.queue.item_thread(item_id).replies
    # By default the channels it targets that are still configured (a removed one has no rules).
    known = app.settings.channel_names
    names = list(dict.fromkeys(channel_names)) or [
        d.channel for d in item.deliveries if d.channel in known
    ]
    if not names:
        raise UsageError(f"item {item_id} targets no channel; name one with --channel")
    out: list[dict[str, Any]] = []
    for name in names:
        delivery = item.delivery(name)
        own = delivery.text_override if delivery is not None else None
        try:
            out.append(
                preview_post(
                    app.settings,
                    item,
                    name,
                    own_text=own,
                    images=item.images,
                    replies=replies,
                    link_in_reply=item.link_in_reply,
                )
            )
        except TextTooLong as exc:
            raise UsageError(f"item {item_id} cannot be posted on {name!r}: {exc}") from None
    if as_json:
        emit_json(out)
        return
    for i, row in enumerate(out):
        if i:
            echo("")
        echo(f"── {row['channel']} ({row['network']}) " + "─" * 20)
        if row["own_text"]:
            echo("(this channel's own text, set with `queue edit ID --channel NAME --text`)")
        echo(row["text"])
        echo("─" * 40)
        echo(f"Length: {row['length']} of {row['limit']} {row['unit']}")
        if row["byte_limit"] is not None:
            echo(f"Size:   {row['bytes']:,} bytes of {row['byte_limit']:,}")
        for line in preview_lines(item.images, row):
            echo(line)
        if row["image_problem"]:
            echo(f"Images: cannot be posted here: {row['image_problem']}")
        if row["link_in_reply"]:
            echo("(the link goes in the first reply)")
        for n, reply in enumerate(row["replies"], 1):
            echo(f"── reply {n} of {len(row['replies'])} " + "─" * 20)
            echo(reply["text"])
            echo(f"Length: {reply['length']} of {reply['limit']} {row['unit']}")


@click.command()
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print the account as JSON.")
@pass_app
def verify(app: App, name: str, as_json: bool) -> None:
    """Check NAME's credentials live: print the account it posts as and its follower count.

    Exit 1 when the network refuses the credentials or cannot be reached; exit 2 when a secret
    is missing (the message names the reference, never a value)."""
    from ..channel_status import verify_channel

    channel = app.settings.channel(name)  # raises UsageError naming the channels
    verified = verify_channel(channel, app.build_adapter)
    if verified.problem is not None or verified.account is None:
        raise VerifyFailed(verified.problem or f"channel {name!r}: no account")
    account, warnings = verified.account, list(verified.warnings)
    followers = account.followers
    if as_json:
        emit_json(
            {
                "channel": name,
                "network": channel.network,
                "account": account.account,
                "followers": followers,
                "url": account.url,
                "warnings": warnings,
            }
        )
        return
    counted = "unknown" if followers is None else f"{followers:,}"
    echo(f"{name} ({channel.network}): OK, posting as {account.account}")
    echo(f"Followers: {counted}")
    if account.url:
        echo(f"URL:       {account.url}")
    for warning in warnings:
        echo(f"Warning:   {warning}")


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


@dataclass(frozen=True)
class _Listed:
    name: str
    target: str
    distribution: str
    version: str
    loads: bool
    problem: str | None


def _list_adapters() -> list[_Listed]:
    from importlib.metadata import PackageNotFoundError, version

    from ..adapters.registry import AdapterLoadError, available, load

    out = []
    for info in available().values():
        try:
            dist_version = version(info.distribution)
        except (PackageNotFoundError, ValueError):
            dist_version = "?"
        try:
            load(info.name)
            loads, problem = True, None
        except AdapterLoadError as exc:
            loads, problem = False, _one_line(exc)
        out.append(_Listed(info.name, info.target, info.distribution, dist_version, loads, problem))
    return out


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of adapters.")
def adapters(as_json: bool) -> None:
    """List the installed network adapters (a channel's `network` names one): where each comes
    from (package and version, module:Class) and whether it loads."""
    found = _list_adapters()
    if as_json:
        emit_json(
            [
                {
                    "name": a.name,
                    "target": a.target,
                    "distribution": a.distribution,
                    "version": a.version,
                    "loads": a.loads,
                    "error": a.problem,
                }
                for a in found
            ]
        )
        return
    if not found:
        echo("No adapters are installed.")
        return
    rows = [
        (a.name, a.target, f"{a.distribution} {a.version}", "ok" if a.loads else "FAILS")
        for a in found
    ]
    echo(format_table(("NAME", "TARGET", "FROM", "LOADS"), rows))
    for a in found:
        if a.problem:
            echo(f"{a.name}: {a.problem}", err=True)
