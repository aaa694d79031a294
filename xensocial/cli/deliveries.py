"""`xensocial queue retry|resolve`: a person settles a delivery the daemon could not.

Two outcomes stop the daemon on purpose, because guessing could post twice or lose an item:
`failed` (the network refused the post) and `unknown` (a crash or a lost answer left it unclear
whether the post went out, and the network's lookup cannot tell). Someone looks at the account
and decides: `retry` (it is not out: post it again at the channel's next slot) or `resolve` (it
is out: record it as published, so it is never posted again).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from ..errors import ConfigError, UsageError
from .app import App, pass_app
from .output import echo
from .params import ITEM_ID
from .queue import queue

if TYPE_CHECKING:
    from content_queue.views import Posted


def _as_posted(app: App, item_id: int, channel: str) -> Posted | None:
    """The post the daemon sent (or tried to) for the item on `channel`, rendered again as it
    renders it: what `resolve` records as posted. Edits of what a post is made from are refused
    while a delivery is unknown, so this is what went out, unless the channel's configuration
    changed since. None when the channel is no longer configured or the item cannot be
    rendered there: the ledger then records the item's own fields."""
    from ..rendering import adapter_class, make_post, posted_record

    if channel not in app.settings.channel_names:
        return None
    config = app.settings.channel(channel)
    item = app.queue.get(item_id)
    delivery = item.delivery(channel)
    assert delivery is not None  # checked by _delivery_id
    try:
        return posted_record(make_post(config, adapter_class(app.settings, config), delivery, item))
    except (ValueError, ConfigError):  # cannot be rendered there, or its adapter cannot load
        return None


def _delivery_id(app: App, item_id: int, channel: str, allowed: tuple[str, ...]) -> int:
    item = app.queue.get(item_id)  # raises ItemNotFound
    delivery = item.delivery(channel)
    if delivery is None:
        targets = ", ".join(d.channel for d in item.deliveries) or "none"
        raise UsageError(f"item {item_id} is not for channel {channel!r} (its channels: {targets})")
    if delivery.state not in allowed:
        raise UsageError(
            f"item {item_id} on {channel} is {delivery.state}; only a delivery that is "
            f"{' or '.join(allowed)} can be settled this way"
        )
    return delivery.id


@queue.command()
@click.argument("item_id", metavar="ID", type=ITEM_ID)
@click.option("--channel", "channel", required=True, help="The channel whose delivery to retry.")
@pass_app
def retry(app: App, item_id: int, channel: str) -> None:
    """Post a failed or unknown delivery again, at the channel's next slot.

    Use it for `unknown` only after checking the account: if the post is there, use
    `queue resolve` instead, or it will appear twice."""
    delivery_id = _delivery_id(app, item_id, channel, ("failed", "unknown"))
    if not app.ledger.retry(delivery_id, by=app.user):
        raise UsageError(
            f"item {item_id} on {channel} changed meanwhile; look again with queue show"
        )
    echo(f"Item {item_id} on {channel} is pending again: it goes out at a coming slot.")


@queue.command()
@click.argument("item_id", metavar="ID", type=ITEM_ID)
@click.option("--channel", "channel", required=True, help="The channel whose delivery to settle.")
@click.option("--remote-url", help="The post's address on the network, if you have it.")
@pass_app
def resolve(app: App, item_id: int, channel: str, remote_url: str | None) -> None:
    """Record an unknown delivery as published: you found the post on the network."""
    delivery_id = _delivery_id(app, item_id, channel, ("unknown",))
    posted = _as_posted(app, item_id, channel)
    moved = app.ledger.resolve(
        delivery_id, remote_url=remote_url, at=app.clock(), by=app.user, posted=posted
    )
    if not moved:
        raise UsageError(
            f"item {item_id} on {channel} changed meanwhile; look again with queue show"
        )
    echo(f"Item {item_id} on {channel} is recorded as published; it will not be posted again.")
