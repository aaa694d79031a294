"""What is wrong now, as events: each found by asking the function that already decides it.

Every check returns the events that are *on* (`content_queue.notices.Found`: a kind, a
subject, a severity and one paragraph saying what happened, what it means for the schedule, and
the command that fixes it); the record (`NoticeStore.record`) turns that into starts, repeats
and clearings. The decisions are not made again here:

- `channel_paused`: a channel the service paused (`Ledger.paused_by_service`: the network
  refused every post: a revoked or expired token, no credits left, a retired API version). A
  person's pause (`channels pause`) is a decision, not an alarm: it is not an event.
- `channel_warning`: what the channel's adapter warns of before it breaks (`Adapter.warnings`:
  a token or API version near its end), known only where adapters are built (the daemon).
- `delivery_unknown`, `delivery_failed`: deliveries in those states (`Ledger.problem_deliveries`;
  one event per post in doubt, one per channel for its failures of the last `FAILED_WITHIN`,
  so an old failure does not ring forever and a batch of them is one message).
- `queue_dry`: the forecast (`xensocial.forecast.plan_channels`, what `schedule` shows) finds a
  slot with nothing to post in the next `[alerts] queue_dry_days`.
- `feed_failing`, `feed_gone`: a feed whose polls have failed for longer than
  `[alerts] feed_failing_after` since its last good poll, or that answered 410 Gone.
- `metrics_budget`: a network's monthly budget of metrics reads is spent
  (`metrics.budget.reads_available`, the rule the collector applies, without the daily spread).

`database_unreachable` cannot be found in a database that does not answer: the job itself
notices it (`job.NotifyJob`), and says it without a record.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from content_queue.notices import Found

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from content_queue import Ledger
    from content_queue.blackouts import Period
    from content_queue.settling import Problem

    from ..adapters.base import Adapter
    from ..config import Settings

__all__ = ["FAILED_WITHIN", "TITLES", "detect", "title"]

FAILED_WITHIN = timedelta(days=3)

TITLES = {
    "channel_paused": "channel {} is paused",
    "channel_warning": "channel {} needs attention soon",
    "delivery_unknown": "a post may or may not be out ({})",
    "delivery_failed": "posts failed on {}",
    "queue_dry": "channel {} is running out of posts",
    "feed_failing": "feed {} keeps failing",
    "feed_gone": "feed {} is gone",
    "metrics_budget": "the {} metrics budget is spent",
    "database_unreachable": "{} cannot reach its database",
    "test": "test message to {}",
}


def title(kind: str, subject: str) -> str:
    """The one-line title of an event (a mail's subject, a chat message's first line)."""
    return TITLES.get(kind, kind + ": {}").format(subject)


def detect(
    settings: Settings,
    engine: Engine,
    now: datetime,
    adapters: Mapping[str, Adapter] | None = None,
) -> list[Found]:
    """Every event on at `now` (see the module docstring); `adapters`: the daemon's, for their
    warnings (None: no `channel_warning`)."""
    from content_queue import Ledger

    ledger = Ledger(engine, clock=lambda: now)
    found = [*_paused(ledger), *_deliveries(ledger, now), *_feeds(settings, engine, now)]
    paused = {f.subject for f in found if f.kind == "channel_paused"}
    found += _dry(settings, ledger, now, skip=paused)
    found += _warnings(adapters or {})
    found += _budgets(settings, engine, now)
    return found


def _paused(ledger: Ledger) -> list[Found]:
    return [
        Found(
            "channel_paused",
            st.channel,
            "critical",
            f"Channel {st.channel} was paused by the service at {_when(st.paused_at)}: "
            f"{st.pause_reason or 'no reason recorded'}. Nothing is posted on it until it is "
            "resumed; its items stay queued and nothing is lost, but its slots are skipped "
            f"(`xensocial schedule --channel {st.channel}` shows them). Fix the cause (for a "
            "refused token: new credentials in the channel's secrets, checked with "
            f"`xensocial channels verify {st.channel}`), then run "
            f"`xensocial channels resume {st.channel}`.",
        )
        for st in ledger.paused_by_service()
    ]


def _deliveries(ledger: Ledger, now: datetime) -> list[Found]:
    """One `delivery_unknown` per post in doubt (each needs its own look at the account), and
    one `delivery_failed` per channel whatever the number of failures (a network refusing a
    batch of posts must not send a batch of mails)."""
    out = []
    failed: dict[str, list[Problem]] = {}
    for d in ledger.problem_deliveries(failed_since=now - FAILED_WITHIN):
        if d.state != "unknown":
            failed.setdefault(d.channel, []).append(d)
            continue
        out.append(
            Found(
                "delivery_unknown",
                f"item {d.item_id} on {d.channel}",
                "critical",
                f"Item {d.item_id} may or may not have been posted on {d.channel}: "
                f"{d.last_error or 'the network could not tell'}. The item is held on that "
                "channel until a person decides, so it will not be posted twice, nor at all. "
                "Look at the account: if the post is there, run "
                f"`xensocial queue resolve {d.item_id} --channel {d.channel}`; if it is not, "
                f"`xensocial queue retry {d.item_id} --channel {d.channel}`.",
            )
        )
    for channel, problems in failed.items():
        latest = problems[-1]
        ids = ", ".join(str(p.item_id) for p in problems[:10])
        more = f" and {len(problems) - 10} more" if len(problems) > 10 else ""
        out.append(
            Found(
                "delivery_failed",
                channel,
                "warning",
                f"{len(problems)} post(s) failed on {channel} in the last {FAILED_WITHIN.days} "
                f"days (items {ids}{more}); the latest, item {latest.item_id}: "
                f"{latest.last_error or 'no reason given'}. The network refused them, so they "
                "are not tried again on that channel; the next slots take other items. Fix an "
                f"item (`xensocial queue edit ID`) and run `xensocial queue retry ID --channel "
                f"{channel}`, or leave it (`xensocial queue list --state failed` lists them).",
            )
        )
    return out


def _dry(settings: Settings, ledger: Ledger, now: datetime, skip: set[str]) -> list[Found]:
    from ..forecast import NOTHING_QUEUED, plan_channels

    days = settings.alerts.queue_dry_days
    channels = [c for c in settings.channels if c.enabled and c.name not in skip]
    if not channels:
        return []
    blackouts: list[Period] = [*settings.blackouts, *ledger.blackouts(ending_after=now)]
    plans = plan_channels(
        channels, ledger, now, now + timedelta(days=days), blackouts=blackouts,
        editorial=settings.editorial,
    )  # fmt: skip
    out = []
    for plan in plans:
        empty = [s for s in plan.slots if s.skipped == NOTHING_QUEUED and not s.pinned]
        if plan.paused or not empty:
            continue
        name = plan.channel.name
        out.append(
            Found(
                "queue_dry",
                name,
                "warning",
                f"Channel {name} is running out of posts: from {_when(empty[0].at)} on, "
                f"{len(empty)} of its {len(plan.slots)} slots in the next {days} day(s) find "
                "no eligible item and will post nothing. Add or approve items for it "
                f"(`xensocial queue add URL --channel {name}`, `xensocial queue approve ID`), "
                f"and check with `xensocial schedule --channel {name}`.",
            )
        )
    return out


def _feeds(settings: Settings, engine: Engine, now: datetime) -> list[Found]:
    from content_queue.sources import FeedStore

    out = []
    after = settings.alerts.feed_failing_after
    for feed in FeedStore(engine, clock=lambda: now).list_feeds():
        if feed.status == "gone":
            out.append(
                Found(
                    "feed_gone",
                    feed.name,
                    "warning",
                    f"Feed {feed.name} ({feed.url}) answered that it is gone for good (HTTP "
                    "410); it is no longer polled, so nothing new comes from it into the queue. "
                    "Find its new address and change the feed in the configuration (or remove "
                    f"it), then run `xensocial feeds poll {feed.name}`.",
                )
            )
        elif feed.status == "error" and feed.last_polled_at and now - feed.last_polled_at > after:
            out.append(
                Found(
                    "feed_failing",
                    feed.name,
                    "warning",
                    f"Feed {feed.name} ({feed.url}) has failed every poll since "
                    f"{_when(feed.last_polled_at)} ({feed.error_count} failures; the latest: "
                    f"{feed.last_error or 'no reason given'}). Nothing new comes from it into the "
                    "queue meanwhile. Check the address, then run "
                    f"`xensocial feeds poll {feed.name}`.",
                )
            )
    return out


def _warnings(adapters: Mapping[str, Adapter]) -> list[Found]:
    out = []
    for name, adapter in adapters.items():
        said: Sequence[str] = adapter.warnings()
        if said:
            out.append(
                Found(
                    "channel_warning",
                    name,
                    "warning",
                    f"Channel {name}: {' '.join(said)} It still posts, but stops when that "
                    "runs out. Do what the warning says, then check with "
                    f"`xensocial channels verify {name}`.",
                )
            )
    return out


def _budgets(settings: Settings, engine: Engine, now: datetime) -> list[Found]:
    from content_queue.metrics_store import MetricsStore

    from ..metrics.budget import month_start, reads_available

    store = MetricsStore(engine, clock=lambda: now)
    out = []
    for network in sorted({c.network for c in settings.channels if c.enabled}):
        budget = settings.metrics.budget_for(network)
        if budget is None:
            continue
        spent = store.reads_spent(network, month_start(now))
        if reads_available(budget, spent, now, spread=False) == 0:
            out.append(
                Found(
                    "metrics_budget",
                    network,
                    "info",
                    f"The {network} metrics budget of {now:%Y-%m} is spent: {spent} of {budget} "
                    "reads. Engagement and follower readings of its channels are skipped until "
                    "the 1st of next month (posting goes on); the month's report will miss them. "
                    f"If the month needs more, raise `{network}` under [metrics.budget] in the "
                    "configuration and restart the daemon.",
                )
            )
    return out


def _when(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC") if at is not None else "an unknown time"
