"""Each channel's and each feed's state, as `channels list`, `feeds list` and the web console's
channels page show it: paused and why (by a person, or by the daemon on the network's
answer), last post, next slot, approved items waiting, what the adapter warns of (a token near
its end, an API version near retirement); a feed's last poll and its errors.

One module so that the CLI and the console say the same thing in the same words. The figures
of every channel are read in a few statements (`content_queue.calendar_store.channel_figures`),
not four per channel, so a page of fifty channels stays fast. Building an adapter for its
warnings does no network I/O, and a channel that cannot be built (a missing secret, a wrong
option) is itself a warning: the status never fails for it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    from content_queue import Ledger
    from content_queue.sources import FeedView
    from content_queue.timeutil import Clock

    from .adapters.base import AccountInfo, Adapter
    from .config import ChannelConfig, Settings

__all__ = [
    "ChannelOverview",
    "FeedStatus",
    "Verified",
    "adapter_warnings",
    "channel_overviews",
    "feed_status",
    "verify_channel",
]


@dataclass(frozen=True)
class ChannelOverview:
    """One channel's state. `paused_by_daemon`: the daemon paused it because its network
    refused the credentials or blocked the account (`pause_reason` is the network's answer);
    else a person (`paused_by`) did, from the CLI or the console."""

    channel: ChannelConfig
    paused: bool
    pause_reason: str | None
    paused_by: str | None
    paused_at: datetime | None
    paused_by_daemon: bool
    pending: int
    last_post: datetime | None
    next_slot: datetime | None  # None for a disabled channel
    warnings: tuple[str, ...]

    @property
    def state(self) -> str:
        """`disabled`, `active` or `paused (<reason>)`, as `channels list` prints it."""
        if self.paused:
            return f"paused ({self.pause_reason or 'no reason'})"
        return "active" if self.channel.enabled else "disabled"


def channel_overviews(
    settings: Settings,
    ledger: Ledger,
    clock: Clock,
    *,
    channels: Collection[str] | None = None,
    warnings: bool = True,
) -> list[ChannelOverview]:
    """The state of each configured channel (or of `channels`, configured names), in the
    configuration's order, at `clock()`. `warnings`: build each enabled channel's adapter
    for what it warns of (`adapter_warnings`); False leaves them out (a quick page)."""
    from content_queue.calendar_store import channel_figures

    from .slots import next_slot

    now = clock()
    chosen = list(settings.channels)
    if channels is not None:
        names = {settings.channel(name).name for name in channels}  # raises UsageError
        chosen = [c for c in chosen if c.name in names]
    figures = channel_figures(ledger, [c.name for c in chosen])
    out = []
    for ch in chosen:
        f = figures[ch.name]
        st = f.status
        out.append(
            ChannelOverview(
                channel=ch,
                paused=st.paused,
                pause_reason=st.pause_reason,
                paused_by=st.paused_by,
                paused_at=st.paused_at,
                paused_by_daemon=st.paused and f.paused_by_daemon,
                pending=f.pending,
                last_post=f.last_post,
                next_slot=next_slot(ch, now) if ch.enabled else None,
                warnings=adapter_warnings(settings, ch, clock) if warnings and ch.enabled else (),
            )
        )
    return out


def adapter_warnings(settings: Settings, channel: ChannelConfig, clock: Clock) -> tuple[str, ...]:
    """What `channel`'s adapter warns of, one line each; never raises, never calls a network.

    The adapter is built as the daemon builds it (`adapters.factory`), quietly: a secret file
    others can read is said by the commands that use secrets (`channels verify`, `run`), not
    by a listing."""
    from .adapters.base import AdapterError
    from .adapters.factory import build_adapter
    from .errors import BadInput

    name = channel.name
    try:
        adapter = build_adapter(settings, channel, clock=clock, warn=lambda _: None)
    except (AdapterError, BadInput, ValueError, ImportError) as exc:
        text = _one_line(exc)
        return (text if repr(name) in text else f"channel {name!r}: {text}",)
    try:
        return tuple(_one_line(w) for w in adapter.warnings())
    except Exception as exc:  # an adapter's own bug must not hide the list
        return (f"channel {name!r}: its warnings could not be read ({type(exc).__name__})",)
    finally:
        adapter.close()


def _one_line(text: object) -> str:
    lines = str(text).strip().splitlines()
    return " ".join(line.strip() for line in lines) if lines else type(text).__name__


@dataclass(frozen=True)
class FeedStatus:
    """A feed and its state in a word or three (`feed_status`); `failing` when its latest
    polls failed or it was disabled for it."""

    feed: FeedView
    state: str
    failing: bool


def feed_status(feed: FeedView) -> FeedStatus:
    """`disabled (<why>)`, `error xN` (N polls in a row failed) or the feed's status, as
    `feeds list` prints it."""
    if feed.disabled_reason:
        return FeedStatus(feed, f"disabled ({feed.disabled_reason})", True)
    if feed.status == "error":
        return FeedStatus(feed, f"error x{feed.error_count}", True)
    return FeedStatus(feed, feed.status, False)


@dataclass(frozen=True)
class Verified:
    """What `channels verify` and the console's Verify button learn of a channel: the account
    it posts as and its adapter's warnings, or `problem`, why it could not be verified (the
    credentials refused, or the network not reached)."""

    account: AccountInfo | None
    warnings: tuple[str, ...]
    problem: str | None


def verify_channel(channel: ChannelConfig, build: Callable[[ChannelConfig], Adapter]) -> Verified:
    """Ask `channel`'s network, live, who its credentials post as (`build` makes its adapter,
    secrets resolved). A secret that is not configured is the caller's input to fix: UsageError
    naming the reference, never a value."""
    from .adapters.base import AdapterError, AuthError
    from .errors import UsageError

    name = channel.name
    try:
        adapter = build(channel)
    except AuthError as exc:  # raised while building: a needed secret is not configured
        raise UsageError(f"channel {name!r}: {_one_line(exc)}") from None
    try:
        return Verified(adapter.verify(), tuple(adapter.warnings()), None)
    except AuthError as exc:
        return Verified(None, (), f"channel {name!r}: credentials refused: {_one_line(exc)}")
    except AdapterError as exc:
        return Verified(None, (), f"channel {name!r}: cannot verify now: {_one_line(exc)}")
    finally:
        adapter.close()
