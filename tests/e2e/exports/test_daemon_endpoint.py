"""The daemon serves the endpoint: `python -m xensocial run` as a subprocess, read over HTTP.

Posts show in `/metrics` as they are made, `/healthz` follows the database, `/feed.atom` has
the posts; and a port someone else holds costs the endpoint, never a post.
"""

from __future__ import annotations

import json
import signal
import socket
from pathlib import Path

import feedparser
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import Engine

from content_queue import ContentQueue, NewItem
from tests.e2e.conftest import Site
from tests.storage.exports.conftest import free_port, stop_database
from tests.storage.exports.test_endpoint import get

pytestmark = pytest.mark.e2e


def serving(site: Site, port: int) -> None:
    text = site.config.read_text()
    assert '[http]\nlisten = ""' in text  # the e2e site's default: no endpoint
    site.config.write_text(
        text.replace('[http]\nlisten = ""', f'[http]\nlisten = "127.0.0.1:{port}"')
    )


def published_total(base: str) -> float:
    status, _, body = get(base + "/metrics")
    assert status == 200
    for family in text_string_to_metric_families(body.decode()):
        if family.name == "xensocial_posts_published":
            return sum(s.value for s in family.samples if s.labels == {"channel": "demo"})
    return 0.0


def test_metrics_health_and_feed_from_the_running_daemon(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    site, port = Site(tmp_path, "0s"), free_port()
    serving(site, port)
    base = f"http://127.0.0.1:{port}"
    queue = ContentQueue(engine)
    proc = site.start(extra_env={"XENSOCIAL_DATABASE_URL": database_url})
    try:
        assert site.wait_for(lambda: '"event": "endpoint_listening"' in site.logs(), 30), (
            site.logs()
        )
        assert f'"address": "http://127.0.0.1:{port}"' in site.logs()
        assert published_total(base) == 0
        for n in (1, 2, 3):  # each post shows up in /metrics once it is made
            queue.add(
                NewItem(url=f"https://example.org/live/{n}", title=f"Live {n}", channels=["demo"])
            )
            assert site.wait_for(lambda n=n: published_total(base) == n, 20, poll=0.1), site.logs()

        status, _, body = get(base + "/healthz")
        assert status == 200, body
        assert json.loads(body)["scheduler"] == "running"

        status, _, body = get(base + "/feed.atom")
        feed = feedparser.parse(body)
        assert status == 200 and feed.bozo == 0
        assert [e.title for e in feed.entries] == ["Live 3", "Live 2", "Live 1"]
        keys = {d.idempotency_key for item in queue.list_items() for d in item.deliveries}
        assert {e.id.rpartition("/")[2] for e in feed.entries} == keys

        stop_database(engine)
        status, _, body = get(base + "/healthz")
        answer = json.loads(body)
        assert status == 503 and answer["database"] == "unreachable", answer
        assert answer["reason"].startswith("the database does not answer"), answer
        assert proc.poll() is None  # the daemon itself carries on
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(15)
        site.stop_all()
    assert code == 0, site.logs()[-3000:]


def test_a_taken_port_costs_the_endpoint_not_the_posts(tmp_path: Path) -> None:
    site = Site(tmp_path, "0s")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        serving(site, taken.getsockname()[1])
        site.add_items(2)
        proc = site.start()
        try:
            posted = site.wait_for(
                lambda: site.delivery_states() == {"published": 2}, timeout=30, poll=0.1
            )
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(15) == 0, site.logs()[-3000:]
        finally:
            site.stop_all()
    assert posted, site.logs()[-3000:]
    assert len(site.outbox.read_text().splitlines()) == 2
    [failed] = [json.loads(line) for line in site.logs().splitlines() if "endpoint_failed" in line]
    assert failed["level"] == "error" and "cannot listen there" in failed["reason"]
