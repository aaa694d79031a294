"""A slot storm: many channels sharing one slot, against slow fake networks, and its judge.

Used by `tests/daemon/test_concurrency.py` (a small storm, in CI) and `bench/slot_storm.py`
(1,000 channels). The networks are the fakes of `tests/fakes` (X, Mastodon, Facebook), each on
its own server answering every request after `latency` seconds, plus an outbox file. Channels
are spread over the four networks in turn and queued one item per slot, whose URL names the
channel, so that the judge reads everything from what the networks recorded: which channel
each post came from, whether one went out twice or never, and when the last one went out. The
servers also report the most requests they were answering at one moment.

The daemons are real subprocesses (`xensocial run`, see `tests/chaos/cluster.py`), one per
identity, on one configuration and one database; the slot ledger is read once they have stopped.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType

from sqlalchemy import select

from content_queue import ContentQueue, NewItem, make_engine
from content_queue.schema import SlotClaim
from tests.chaos.cluster import daemon_env, json_lines, spawn_daemon
from tests.fakes.facebook import FakeFacebook
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.server import FakeServer
from tests.fakes.x import CREDENTIALS as X_CREDENTIALS
from tests.fakes.x import FakeX
from xensocial.migrate import upgrade

__all__ = [
    "NETWORKS",
    "Daemons",
    "Posted",
    "StormNetworks",
    "Verdict",
    "judge",
    "queue_items",
    "slot_claims",
    "storm_channels",
    "write_config",
]

NETWORKS = ("x", "mastodon", "facebook", "outbox")
_HOST = "https://storm.example.org"
_URL = re.compile(re.escape(_HOST) + r"/[^\s<>\"]+")
_SECRETS = {
    "STORM_X_CONSUMER_KEY": X_CREDENTIALS["consumer_key"],
    "STORM_X_CONSUMER_SECRET": X_CREDENTIALS["consumer_secret"],
    "STORM_X_ACCESS_TOKEN": X_CREDENTIALS["access_token"],
    "STORM_X_ACCESS_TOKEN_SECRET": X_CREDENTIALS["access_token_secret"],
    "STORM_MASTODON_TOKEN": "storm-mastodon-token",
    "STORM_FACEBOOK_TOKEN": "storm-facebook-token",
}
_FACEBOOK_PAGE = "1029384756"


def storm_channels(count: int) -> list[tuple[str, str]]:
    """`count` (name, network) pairs, the networks taken in turn: 1,000 is 250 of each."""
    return [
        (f"{NETWORKS[i % len(NETWORKS)]}-{i:04d}", NETWORKS[i % len(NETWORKS)])
        for i in range(count)
    ]


def item_url(channel: str, slot: int) -> str:
    return f"{_HOST}/{channel}/{slot}"


def _channel_of(url: str) -> tuple[str, int] | None:
    parts = url.removeprefix(_HOST + "/").split("/")
    if len(parts) != 2 or not parts[1].isdigit():
        return None
    return parts[0], int(parts[1])


@dataclass(frozen=True)
class Posted:
    """One post as a network recorded it: whose it was (read from its link) and when."""

    network: str
    channel: str
    slot: int
    at: datetime


class StormNetworks:
    """The fake X, Mastodon and Facebook servers (with `latency`) and the outbox file."""

    def __init__(self, outbox: Path, *, latency: float) -> None:
        self.outbox = outbox
        self.servers = {name: FakeServer(latency=latency) for name in NETWORKS[:3]}
        self.x = FakeX(self.servers["x"])
        self.mastodon = FakeMastodon(
            self.servers["mastodon"], token=_SECRETS["STORM_MASTODON_TOKEN"]
        )
        self.facebook = FakeFacebook(
            self.servers["facebook"], page_id=_FACEBOOK_PAGE, token=_SECRETS["STORM_FACEBOOK_TOKEN"]
        )

    def __enter__(self) -> StormNetworks:
        for server in self.servers.values():
            server.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for server in self.servers.values():
            server.stop()

    @property
    def env(self) -> dict[str, str]:
        """The secrets the channels read (`env:` references), for the daemons' environment."""
        return dict(_SECRETS)

    def channel_toml(self, name: str, network: str, slots: Sequence[str]) -> str:
        """One `[[channels]]` table pointing `name` at its network's fake (or the outbox)."""
        head = (
            f'[[channels]]\nname = "{name}"\nnetwork = "{network}"\n'
            f"slots = {json.dumps(list(slots))}\nmax_per_day = 100\n"
        )
        if network == "outbox":
            return head + f"[channels.options]\npath = {json.dumps(str(self.outbox))}\n"
        url = self.servers[network].url
        if network == "x":
            secrets = {
                key: f"env:STORM_X_{key.upper()}"
                for key in (
                    "consumer_key",
                    "consumer_secret",
                    "access_token",
                    "access_token_secret",
                )
            }
            options = {"api_base_url": url}
        elif network == "mastodon":
            secrets = {"access_token": "env:STORM_MASTODON_TOKEN"}
            options = {"api_base_url": url}
        else:
            secrets = {"access_token": "env:STORM_FACEBOOK_TOKEN"}
            options = {"api_base_url": url, "page_id": _FACEBOOK_PAGE}
        lines = [head, "[channels.options]"]
        lines += [f"{k} = {json.dumps(v)}" for k, v in options.items()]
        lines.append("[channels.secrets]")
        lines += [f"{k} = {json.dumps(v)}" for k, v in secrets.items()]
        return "\n".join(lines) + "\n"

    def posts(self) -> list[Posted]:
        """Every post the networks hold now, repeats included."""
        out: list[Posted] = []

        def add(network: str, urls: Iterable[str], at: datetime) -> None:
            for url in urls:
                found = _channel_of(url)
                if found is not None:
                    out.append(Posted(network, found[0], found[1], at))
                    return

        for p in self.x.posts.copy().values():  # copy(): atomic while the server adds posts
            add("x", [str(u["expanded_url"]) for u in p.urls], p.created_at)
        for s in list(self.mastodon.statuses):
            add("mastodon", _URL.findall(s.text), s.created_at)
        for f in list(self.facebook.posts):
            add("facebook", [f.link or "", *_URL.findall(f.message)], f.created_time)
        for line in json_lines(self.outbox):
            at = datetime.fromisoformat(str(line["published_at"]))
            add("outbox", [str(line.get("url", ""))], at)
        return out

    def count(self) -> int:
        """How many posts the networks hold (cheaper than `posts`, for polling)."""
        outbox = 0
        if self.outbox.exists():
            with self.outbox.open("rb") as f:
                outbox = sum(1 for _ in f)
        x, masto, fb = self.x.posts, self.mastodon.statuses, self.facebook.posts
        return len(x) + len(masto) + len(fb) + outbox

    def peaks(self) -> dict[str, int]:
        """Per network server, the most requests it was answering at one moment."""
        return {name: server.peak_in_flight for name, server in self.servers.items()}

    def requests(self) -> dict[str, int]:
        return {name: len(server.log) for name, server in self.servers.items()}


def write_config(
    path: Path,
    *,
    database_url: str,
    networks: StormNetworks,
    channels: Sequence[tuple[str, str]],
    slots: Sequence[datetime],
    publishing: str = "",
) -> Path:
    """The daemons' configuration: `channels`, each with the slots `slots` (UTC), JSON logs, no
    HTTP endpoint; `publishing` is extra lines for the `[publishing]` table."""
    times = [s.astimezone(UTC).strftime("%H:%M:%S") for s in slots]
    head = (
        f"database_url = {json.dumps(database_url)}\n"
        'timezone = "UTC"\nlog_format = "json"\n\n'
        '[publishing]\ntimeout = "10s"\nbackoff = "200ms"\n'
        f"{publishing}\n\n"
        "[intake]\nfetch_link_details = false\n\n"
        '[http]\nlisten = ""\n\n'
    )
    tables = [networks.channel_toml(name, network, times) for name, network in channels]
    path.write_text(head + "\n".join(tables), encoding="utf-8")
    path.chmod(0o600)  # it names no secret, but the daemon warns about any readable config
    return path


def queue_items(database_url: str, channels: Sequence[str], per_channel: int = 1) -> None:
    """Migrate the database and queue `per_channel` approved items for each channel, in one
    transaction: the only eligible items there are."""
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        rows = [
            (
                n,
                NewItem(
                    url=item_url(name, k),
                    channels=[name],
                    title=f"Storm {name} {k}",
                    created_by="storm",
                ),
            )
            for n, (name, k) in enumerate(
                ((name, k) for k in range(per_channel) for name in channels), start=1
            )
        ]
        result = ContentQueue(engine).add_many(rows)
        assert len(result.added) == len(rows), result
    finally:
        engine.dispose()


def slot_claims(database_url: str, since: datetime) -> list[tuple[str, datetime, str, str]]:
    """(channel, slot, claimed by, outcome) of every slot claimed at or after `since` (read
    once the daemons have stopped: on SQLite every transaction takes the write lock)."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(
                    SlotClaim.channel, SlotClaim.slot_at, SlotClaim.claimed_by, SlotClaim.outcome
                ).where(SlotClaim.slot_at >= since)
            )
            return [(c, s.replace(tzinfo=s.tzinfo or UTC), by, o) for c, s, by, o in rows]
    finally:
        engine.dispose()


@dataclass
class Verdict:
    """What the networks show after a storm of `expected` posts (channels x slots)."""

    expected: int
    posted: int  # distinct (channel, slot) posts out
    duplicates: int  # posts beyond the first of their (channel, slot)
    missing: list[tuple[str, int]]
    last_after_slot: dict[int, float]  # per slot index: seconds from it to its last post
    by_network: Counter[str] = field(default_factory=Counter)

    @property
    def broken(self) -> list[str]:
        """What is wrong (not slow): a post missing or out twice."""
        out = []
        if self.duplicates:
            out.append(f"{self.duplicates} post(s) out twice")
        if self.missing:
            shown = ", ".join(f"{c}#{k}" for c, k in self.missing[:5])
            out.append(f"{len(self.missing)} post(s) missing ({shown}...)")
        return out


def judge(
    posts: Sequence[Posted], channels: Sequence[tuple[str, str]], slots: Sequence[datetime]
) -> Verdict:
    """Compare what the networks hold with one post per channel and slot (slot k took item k:
    the oldest first)."""
    seen = Counter((p.channel, p.slot) for p in posts)
    wanted = [(name, k) for k in range(len(slots)) for name, _ in channels]
    last: dict[int, float] = {}
    for p in posts:
        after = (p.at - slots[p.slot]).total_seconds() if p.slot < len(slots) else 0.0
        last[p.slot] = max(last.get(p.slot, after), after)
    return Verdict(
        expected=len(wanted),
        posted=sum(1 for key in wanted if seen[key]),
        duplicates=sum(n - 1 for n in seen.values() if n > 1),
        missing=[key for key in wanted if not seen[key]],
        last_after_slot=last,
        by_network=Counter(p.network for p in posts),
    )


@dataclass
class _Run:
    proc: subprocess.Popen[bytes]
    log: Path
    ready_at: datetime | None = None
    peak_rss_kib: int = 0
    peak_threads: int = 0
    cpu_seconds: float = 0.0  # user + system, at the last sample
    cpu_at_ready: float = 0.0  # ... when it started scheduling: what start-up cost


class Daemons:
    """`xensocial run` once per identity, over one configuration (each its own data folder)."""

    def __init__(self, root: Path, config: Path, env: dict[str, str]) -> None:
        self.root, self.config, self.env = root, config, env
        self.runs: dict[str, _Run] = {}

    def start(self, identities: Sequence[str], extra_env: dict[str, str] | None = None) -> None:
        for identity in identities:
            env = daemon_env(
                self.root / identity, **self.env, **(extra_env or {}), XENSOCIAL_IDENTITY=identity
            )
            log = self.root / f"{identity}.log"
            self.runs[identity] = _Run(spawn_daemon(self.config, env, log), log)

    def wait_ready(self, timeout: float) -> bool:
        """Wait until every daemon logged `scheduling` (its jobs are in place)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for run in self.runs.values():
                if run.ready_at is None:
                    run.ready_at = _scheduling_at(run.log)
                    run.cpu_at_ready = _cpu_seconds(run.proc.pid)
            if all(r.ready_at is not None for r in self.runs.values()):
                return True
            if self.exited():
                return False
            time.sleep(0.1)
        return False

    def exited(self) -> dict[str, int]:
        return {i: rc for i, r in self.runs.items() if (rc := r.proc.poll()) is not None}

    def sample(self) -> None:
        """Note each daemon's peak resident memory and thread count (Linux /proc)."""
        for run in self.runs.values():
            status = _proc_status(run.proc.pid)
            run.peak_rss_kib = max(run.peak_rss_kib, status.get("VmHWM", 0))
            run.peak_threads = max(run.peak_threads, status.get("Threads", 0))
            run.cpu_seconds = max(run.cpu_seconds, _cpu_seconds(run.proc.pid))

    def stop(self, timeout: float = 20) -> dict[str, int | None]:
        """SIGTERM every daemon; their exit codes (None: it had to be killed)."""
        self.sample()
        for run in self.runs.values():
            if run.proc.poll() is None:
                run.proc.send_signal(signal.SIGTERM)
        codes: dict[str, int | None] = {}
        for identity, run in self.runs.items():
            try:
                codes[identity] = run.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                run.proc.kill()
                run.proc.wait(10)
                codes[identity] = None
        return codes

    def kill(self) -> None:
        for run in self.runs.values():
            if run.proc.poll() is None:
                run.proc.kill()
                run.proc.wait(10)

    def records(self, identity: str) -> list[dict[str, object]]:
        return json_lines(self.runs[identity].log)

    def log_tail(self, chars: int = 3000) -> str:
        return "".join(r.log.read_text(errors="replace") for r in self.runs.values())[-chars:]


def _scheduling_at(log: Path) -> datetime | None:
    if not log.exists():
        return None
    for raw in log.read_text(errors="replace").splitlines():
        if '"event": "scheduling"' in raw:
            return datetime.fromisoformat(json.loads(raw)["timestamp"])
    return None


def _proc_status(pid: int) -> dict[str, int]:
    """The numeric fields of /proc/PID/status (memory in KiB), or nothing once it is gone."""
    out: dict[str, int] = {}
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return out
    for line in text.splitlines():
        key, _, value = line.partition(":")
        first = value.split()
        if first and first[0].isdigit():
            out[key] = int(first[0])
    return out


def _cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a running process (Linux /proc), 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def whole_second(at: datetime) -> datetime:
    """`at` rounded up to a whole second (slots are written to the second)."""
    return (at + timedelta(seconds=1)).replace(microsecond=0)
