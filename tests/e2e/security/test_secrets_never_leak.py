"""Secrets never leak: not in logs, the database, error messages or `--json` output.

Every network adapter gets channels whose secrets are distinctive sentinels (half `env:`, half
`file:`), each pointed at a network that fails differently: a revoked token (401), a server
error (500), a "bad request" that repeats the request back (400, the token with it), one that
never answers (a timeout), and an address where nothing listens. The daemon runs against them
(posting and collecting metrics), then the CLI runs every command that reads the channels or
what the daemon recorded, `--debug` tracebacks included. Then every byte written is searched
for every secret, raw and in the forms it travels in (URL-encoded, base64): stdout and stderr
of every command, the daemon's log, the outbox, and the database file with its WAL.

The test also proves it could fail: the hostile servers must have received each channel's
secrets (so they were echoed back into the errors the adapters saw), a channel must have been
paused for its revoked token, and deliveries must have failed with the servers' messages.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

from content_queue import ContentQueue, NewItem, make_engine
from tests.cli.security.hostile import MODES, HostileServer
from tests.network.adapters.conftest import closed_url
from tests.paths import ROOT
from xensocial.migrate import upgrade

pytestmark = pytest.mark.e2e

NETWORKS = {
    "x": ["consumer_key", "consumer_secret", "access_token", "access_token_secret"],
    "facebook": ["access_token"],
    "mastodon": ["access_token"],
    "bluesky": ["app_password"],
    "linkedin": ["access_token"],
}
OPTIONS = {
    "x": "",
    "facebook": 'page_id = "100064567890123"\n',
    "mastodon": "",
    "bluesky": 'handle = "xen.example.org"\nlink_cards = false\n',
    "linkedin": 'organization_id = "2414183"\nlink_cards = false\n',
}
FAILURES = (*MODES, "unreachable")
DB_PASSWORD = "SECRET-SENTINEL-7f3a/db+pw="


def sentinel(channel: str, name: str) -> str:
    # "/", "+" and "=" are encoded differently by each encoding a token travels in.
    return f"SECRET-SENTINEL-7f3a/{channel}+{name}="


def forms(secret: str) -> set[str]:
    """The secret as it may appear in text: raw, URL-encoded, base64."""
    raw = secret.encode()
    return {
        secret,
        quote(secret, safe=""),
        quote(secret),
        quote_plus(secret),
        base64.b64encode(raw).decode(),
        base64.urlsafe_b64encode(raw).decode(),
        base64.b64encode(raw).decode().rstrip("="),
    }


@dataclass(frozen=True)
class Channel:
    name: str
    network: str
    failure: str
    secrets: dict[str, str]  # secret name -> value


class Site:
    def __init__(self, root: Path, urls: dict[str, str]) -> None:
        self.root = root
        self.config = root / "xensocial.toml"
        self.channels: list[Channel] = []
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("XENSOCIAL_")}
        self.env["XENSOCIAL_DATA_DIR"] = str(root / "data")
        for key in ("NOTIFY_SOCKET", "WATCHDOG_USEC"):
            self.env.pop(key, None)
        parts = [
            'database_url = "sqlite:///queue.db"\nlog_format = "json"\nlog_level = "debug"\n'
            '[publishing]\nmax_attempts = 2\nbackoff = "100ms"\ntimeout = "500ms"\n'
            '[metrics]\npoll_every = "2s"\nfollowers_every = "1s"\nages = ["1s"]\n'
            "[intake]\nfetch_link_details = false\n"
            '[[channels]]\nname = "outbox"\nnetwork = "outbox"\ncron = "* * * * * *"\n'
            'max_per_day = 1000\n[channels.options]\npath = "outbox.jsonl"\n'
        ]
        index = 0
        for network, names in NETWORKS.items():
            for failure in FAILURES:
                name = f"{network}-{failure}"
                secrets = {n: sentinel(name, n) for n in names}
                refs = []
                for secret_name, value in secrets.items():
                    if index % 2:
                        path = root / "secrets" / f"{name}-{secret_name}"
                        path.parent.mkdir(exist_ok=True)
                        path.write_text(value + "\n")
                        path.chmod(0o600)
                        refs.append(f'{secret_name} = "file:{path}"')
                    else:
                        var = f"XS_LEAK_{index}_{secret_name.upper()}"
                        self.env[var] = value
                        refs.append(f'{secret_name} = "env:{var}"')
                    index += 1
                parts.append(
                    f'[[channels]]\nname = "{name}"\nnetwork = "{network}"\n'
                    'cron = "*/2 * * * * *"\nmax_per_day = 1000\n'
                    f'[channels.options]\napi_base_url = "{urls[failure]}"\n{OPTIONS[network]}'
                    "[channels.secrets]\n" + "\n".join(refs) + "\n"
                )
                self.channels.append(Channel(name, network, failure, secrets))
        self.config.write_text("\n".join(parts))
        self.config.chmod(0o600)
        self.outputs: list[str] = []  # every stdout and stderr, for the search

    @property
    def db(self) -> Path:
        return self.root / "data" / "queue.db"

    def secrets(self) -> dict[str, str]:
        """Every secret's value, by a label naming its channel."""
        out = {f"{c.name}.{n}": v for c in self.channels for n, v in c.secrets.items()}
        return {**out, "database password": DB_PASSWORD}

    def seed(self) -> list[int]:
        engine = make_engine(f"sqlite:///{self.db}")
        try:
            upgrade(engine)
            queue = ContentQueue(engine)
            every = ["outbox", *(c.name for c in self.channels)]
            return [
                queue.add(
                    NewItem(url=f"https://example.org/leak/{i}", title=f"Item {i}", channels=every)
                ).id  # fmt: skip
                for i in range(3)
            ]
        finally:
            engine.dispose()

    def xs(self, *args: str, env: dict[str, str] | None = None) -> int:
        done = subprocess.run(
            [sys.executable, "-m", "xensocial", "--config", str(self.config), *args],
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=120,
        )
        self.outputs.append(f"$ xensocial {' '.join(args)}\n{done.stdout}\n{done.stderr}")
        return done.returncode

    def verify(self, network: str) -> list[int]:
        """`--debug channels verify` each of `network`'s channels (in one process: see
        verify_many.py); their exit codes."""
        names = [c.name for c in self.channels if c.network == network]
        done = subprocess.run(
            [sys.executable, "-m", "tests.e2e.security.verify_many", str(self.config), *names],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            cwd=ROOT,
        )
        assert done.returncode == 0, done.stderr
        results = json.loads(done.stdout)
        for r in results:
            self.outputs.append(f"$ verify {r['channel']}\n{r['stdout']}\n{r['stderr']}")
        self.outputs.append(done.stderr)
        return [r["code"] for r in results]

    def state_files(self) -> str:
        """The database, its WAL and everything else in the data folder, as text."""
        blobs = [p.read_bytes() for p in sorted((self.root / "data").glob("*")) if p.is_file()]
        return b"\n".join(blobs).decode("utf-8", "replace")


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[Site, dict[str, HostileServer]]]:
    with ExitStack() as stack:
        servers = {m: stack.enter_context(HostileServer(m)) for m in MODES}
        urls = {m: s.url for m, s in servers.items()} | {"unreachable": closed_url()}
        yield Site(tmp_path, urls), servers


def leaks(text: str, secrets: dict[str, str]) -> list[str]:
    return [
        f"{label} as {form!r}"
        for label, value in secrets.items()
        for form in forms(value)
        if form in text
    ]


def test_no_secret_is_written_anywhere(site: tuple[Site, dict[str, HostileServer]]) -> None:
    s, servers = site
    items = s.seed()
    log = s.root / "daemon.log"
    with log.open("wb") as out:
        daemon = subprocess.Popen(
            [sys.executable, "-m", "xensocial", "--config", str(s.config), "run"],
            env=s.env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )

    def everyone_tried() -> bool:
        """Every hostile server has had the secrets of each of its channels."""
        return all(
            any(
                f.encode() in servers[c.failure].seen()
                for v in c.secrets.values()
                for f in forms(v)
            )
            for c in s.channels
            if c.failure in servers
        )

    try:
        # Meanwhile, staff check every channel's credentials (with --debug tracebacks).
        with ThreadPoolExecutor(max_workers=3) as pool:
            verified = pool.map(s.verify, NETWORKS)
            deadline = time.monotonic() + 60
            while not everyone_tried() and time.monotonic() < deadline:
                assert daemon.poll() is None, log.read_text()[-3000:]
                time.sleep(0.2)
            codes = [code for network in verified for code in network]
        assert everyone_tried(), "the daemon did not reach every channel's network"
        assert len(codes) == len(s.channels) and set(codes) == {1}, codes  # every verify failed
        time.sleep(2)  # a few more slots and a metrics round
        while_running = s.state_files()  # the WAL exists only while the daemon is connected
    finally:
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(20) == 0, log.read_text()[-3000:]

    # Then everything that shows what the daemon recorded, and a metrics round from the CLI.
    s.xs("--debug", "metrics", "poll", "--now", "--json")
    for args in (
        ["queue", "list", "--json"],
        ["queue", "list"],
        ["queue", "show", str(items[0]), "--json"],
        ["queue", "show", str(items[0])],
        ["channels", "list", "--json"],
        ["preview", str(items[0]), "--json"],
        ["schedule", "--days", "1", "--json"],
        ["db", "status", "--json"],
    ):
        assert s.xs(*args) == 0, s.outputs[-1]
    bad_db = f"postgresql+psycopg://xs:{quote(DB_PASSWORD, safe='')}@127.0.0.1:9/xs"
    assert s.xs("--debug", "db", "status", "--json", env={"XENSOCIAL_DATABASE_URL": bad_db}) == 1

    # It could have leaked: the errors the adapters saw held the secrets, and were recorded.
    recorded = s.state_files()
    assert "refused: " in recorded  # the servers' messages are in the database
    assert "auth failed" in recorded  # a revoked token paused a channel, with its reason

    secrets = s.secrets()
    everything = {
        "daemon log": log.read_text(),
        "CLI output": "\n".join(s.outputs),
        "data folder while running": while_running,
        "data folder after": recorded,
    }
    found = {where: leaks(text, secrets) for where, text in everything.items()}
    assert found == {where: [] for where in everything}, json.dumps(found, indent=1)[:4000]
    # ... and it would have: the secrets came back in what the networks answered.
    assert "[redacted]" in recorded and "[redacted]" in everything["CLI output"]
