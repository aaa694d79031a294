"""`xensocial metrics poll`: run one collection round from the command line.

The daemon runs the same round on `[metrics] poll_every`; this command is for a first reading,
a check after changing the budget, or hosts that collect from cron instead.
"""

from __future__ import annotations

import click

from .app import App, pass_app
from .output import echo, emit_json, quiet_logger

__all__ = ["metrics"]


@click.group()
def metrics() -> None:
    """Engagement and follower counts read from the networks."""


@metrics.command("poll")
@click.option(
    "--now",
    is_flag=True,
    help="Read follower counts even if not due, and lift the budget's daily spread "
    "(never its monthly cap).",
)
@click.option("--channel", "channel_name", metavar="NAME", help="Only this channel.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array, one object a channel.")
@pass_app
def poll(app: App, now: bool, channel_name: str | None, as_json: bool) -> None:
    """Read what is due (followers, engagement at each age) once, and print what was
    collected and what the budget made it skip."""
    from content_queue.metrics_store import MetricsStore

    from ..metrics.collector import Collector
    from ..metrics.keyword_counts import KeywordCounts

    settings = app.settings
    channels = (
        [settings.channel(channel_name)] if channel_name is not None else list(settings.channels)
    )
    adapters = {c.name: app.build_adapter(c) for c in channels}
    try:
        collector = Collector(
            MetricsStore(app.engine, clock=app.clock),
            settings.metrics,
            channels,
            adapters,
            clock=app.clock,
            logger=quiet_logger(),
            keyword_counts=KeywordCounts.for_settings(
                settings, app.engine, adapters, clock=app.clock, logger=quiet_logger()
            ),
        )
        rounds = collector.run_round(now_all=now)
    finally:
        for adapter in adapters.values():
            adapter.close()
    if as_json:
        emit_json([r.as_dict() for r in rounds])
    else:
        for r in rounds:
            echo(r.describe())
    if any(r.error for r in rounds):
        raise click.exceptions.Exit(1)
