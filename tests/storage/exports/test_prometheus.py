"""`/metrics`: every figure, parsed back with prometheus_client's own parsers, against the
database `seed()` wrote, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest
from prometheus_client.metrics_core import Metric
from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as openmetrics_families,
)
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import Engine

from tests.choosing import claim
from tests.conftest import FakeClock
from xensocial import __version__
from xensocial.heartbeat import Beat
from xensocial.reporting.http import Exports

from .conftest import DaemonSeen, Seeded, settings_for, utc

Figures = dict[str, dict[tuple[tuple[str, str], ...], float]]


def figures(families: Iterable[Metric]) -> tuple[Figures, dict[str, str]]:
    """{sample name: {sorted labels: value}} (process_* left out), and each family's HELP."""
    out: Figures = {}
    helps: dict[str, str] = {}
    for family in families:
        if family.name.startswith("process_"):
            continue
        helps[family.name] = family.documentation
        for sample in family.samples:
            labels = tuple(sorted(sample.labels.items()))
            out.setdefault(sample.name, {})[labels] = sample.value
    return out, helps


def by(label: str, values: dict[str, float]) -> dict[tuple[tuple[str, str], ...], float]:
    return {((label, k),): v for k, v in values.items()}


def two(
    values: dict[tuple[str, str], float], first: str, second: str
) -> dict[tuple[tuple[str, str], ...], float]:
    return {((first, a), (second, b)): v for (a, b), v in values.items()}


def expected_figures() -> Figures:
    """What seed() put in, counted by hand."""
    states = ("failed", "pending", "published", "publishing", "unknown")
    deliveries = {(c, s): 0.0 for c in ("alpha", "beta", "delta") for s in states}
    deliveries |= {
        ("alpha", "published"): 2,  # release, summit
        ("alpha", "failed"): 2,  # long, odd
        ("alpha", "pending"): 1,  # waiting (the draft's and the cancelled item's do not count)
        ("alpha", "publishing"): 1,  # flying
        ("beta", "published"): 1,  # release
        ("beta", "failed"): 2,  # long, template
        ("beta", "unknown"): 1,  # summit
        ("beta", "pending"): 1,  # waiting
        ("gamma", "published"): 1,  # no longer configured: its history still shows
    }
    return {
        "xensocial_info": {(("identity", "exports-test"), ("version", __version__)): 1},
        "xensocial_database_up": {(): 1},
        "xensocial_posts_published_total": by("channel", {"alpha": 2, "beta": 1, "gamma": 1}),
        "xensocial_last_post_timestamp_seconds": by(
            "channel",
            {
                "alpha": utc(2026, 3, 2, 8).timestamp(),
                "beta": utc(2026, 3, 1, 11).timestamp(),
                "gamma": utc(2026, 2, 27, 8).timestamp(),
            },
        ),
        "xensocial_deliveries_failed": two(
            {
                ("alpha", "too_long"): 1,
                ("alpha", "other"): 1,
                ("beta", "duplicate"): 1,
                ("beta", "render"): 1,
            },
            "channel",
            "reason",
        ),
        "xensocial_deliveries": two(deliveries, "channel", "state"),
        "xensocial_queue_items": by("state", {"approved": 7, "draft": 1, "cancelled": 1}),
        # beta's latest reading is null: absent, not 0 and not its older 50.
        "xensocial_followers": by("channel", {"alpha": 120, "gamma": 7}),
        "xensocial_channel_paused": by("channel", {"alpha": 0, "beta": 1, "delta": 0}),
        # The clock is 09:00 UTC: alpha's 09:30 slot, beta's next 5-minute mark; delta is off.
        "xensocial_next_slot_timestamp_seconds": by(
            "channel",
            {
                "alpha": utc(2026, 3, 2, 9, 30).timestamp(),
                "beta": utc(2026, 3, 2, 9, 5).timestamp(),
            },
        ),
        "xensocial_feed_consecutive_errors": by("feed", {"blog": 2, "news": 0, "fresh": 0}),
        "xensocial_feed_status": {
            (("feed", feed), ("status", status)): float(status == current)
            for feed, current in (("blog", "error"), ("news", "ok"), ("fresh", "new"))
            for status in ("new", "ok", "error", "gone")
        },
        "xensocial_feed_last_poll_timestamp_seconds": by(
            "feed", {"news": utc(2026, 3, 2, 9).timestamp()}
        ),
    }


@pytest.fixture
def exports(engine: Engine, clock: FakeClock, tmp_path: Path, seeded: Seeded) -> Iterator[Exports]:
    settings = settings_for(tmp_path, engine.url.render_as_string(hide_password=False))
    made = Exports(settings, clock=clock, daemon=DaemonSeen(clock))
    yield made
    made.close()


def test_every_figure_matches_the_database_in_the_text_format(exports: Exports) -> None:
    status, content_type, body = exports.metrics("")
    assert status == 200 and content_type.startswith("text/plain; version=0.0.4")
    found, helps = figures(text_string_to_metric_families(body.decode()))
    assert found == expected_figures()
    assert all(text.strip() for text in helps.values()), helps  # every family has HELP


def test_openmetrics_is_served_when_asked_for_and_says_the_same(exports: Exports) -> None:
    status, content_type, body = exports.metrics("application/openmetrics-text; version=1.0.0")
    assert status == 200 and content_type.startswith("application/openmetrics-text")
    assert body.endswith(b"# EOF\n")
    found, _ = figures(openmetrics_families(body.decode()))
    assert found == expected_figures()


def test_a_retried_delivery_leaves_the_failed_figure(
    exports: Exports, engine: Engine, seeded: Seeded
) -> None:
    from content_queue import Ledger

    assert Ledger(engine).retry(seeded.deliveries["long", "alpha"])
    found, _ = figures(text_string_to_metric_families(exports.metrics("")[2].decode()))
    assert (("channel", "alpha"), ("reason", "too_long")) not in found[
        "xensocial_deliveries_failed"
    ]
    assert found["xensocial_deliveries"][(("channel", "alpha"), ("state", "pending"))] == 2


def test_failure_classes_cover_what_the_publisher_and_adapters_write(
    engine: Engine, clock: FakeClock, tmp_path: Path
) -> None:
    from content_queue import ContentQueue, Ledger, NewItem

    errors = {
        "rejected: posting to Bluesky: 301 graphemes, Bluesky allows 300": "too_long",
        "cannot render: too long for channel 'x' (x): even shortened it counts 300": "too_long",
        "rejected: posting: X refused a duplicate (403): Duplicate content": "duplicate",
        "rejected: Facebook: (#506) Duplicate status message": "duplicate",
        "auth failed: the token was revoked": "auth",
        "rejected: X refused access (403), the app may not allow it": "auth",
        "rate limited until 2026-03-02T10:00:00+00:00": "rate_limited",
        "cannot render: unknown placeholder {nope}": "render",
        "rejected: the instance refused the status (422)": "rejected",
        "3 attempt(s) failed; last: TransientError: HTTP 503": "transient",
        "something else entirely": "other",
    }
    queue, ledger = ContentQueue(engine, clock), Ledger(engine, clock)
    for n, error in enumerate(errors):
        [delivery] = queue.add(
            NewItem(url=f"https://example.org/{n}", channels=["alpha"])
        ).deliveries
        claim(ledger, delivery.id, "test", utc(2030, 1, 1), channel="alpha", now=clock())
        assert ledger.mark_failed(delivery.id, error)
    settings = settings_for(tmp_path, engine.url.render_as_string(hide_password=False))
    exports = Exports(settings, clock=clock, daemon=DaemonSeen(clock))
    try:
        found, _ = figures(text_string_to_metric_families(exports.metrics("")[2].decode()))
    finally:
        exports.close()
    expected: dict[str, int] = {}
    for reason in errors.values():
        expected[reason] = expected.get(reason, 0) + 1
    assert found["xensocial_deliveries_failed"] == {
        (("channel", "alpha"), ("reason", reason)): n for reason, n in expected.items()
    }


def test_an_unreachable_database_is_a_figure_not_a_failed_scrape(
    tmp_path: Path, clock: FakeClock
) -> None:
    settings = settings_for(tmp_path, f"sqlite:///{tmp_path / 'missing' / 'queue.db'}")
    exports = Exports(settings, clock=clock, daemon=DaemonSeen(clock))
    try:
        status, _, body = exports.metrics("")
    finally:
        exports.close()
    assert status == 200
    found, _ = figures(text_string_to_metric_families(body.decode()))
    assert found["xensocial_database_up"] == {(): 0}
    assert set(found) == {"xensocial_info", "xensocial_database_up"}
    assert not (tmp_path / "missing").exists()  # reading never creates the database


def test_the_next_slot_follows_the_clock(exports: Exports, clock: FakeClock) -> None:
    def next_slots() -> dict[tuple[tuple[str, str], ...], float]:
        body = exports.metrics("")[2].decode()
        return figures(text_string_to_metric_families(body))[0][
            "xensocial_next_slot_timestamp_seconds"
        ]

    assert next_slots()[(("channel", "alpha"),)] == utc(2026, 3, 2, 9, 30).timestamp()
    clock.set(utc(2026, 3, 2, 9, 30))  # the slot itself is no longer "next"
    assert next_slots() == by(
        "channel",
        {"alpha": utc(2026, 3, 2, 15).timestamp(), "beta": utc(2026, 3, 2, 9, 35).timestamp()},
    )


def test_a_database_that_refuses_writes_is_not_up(
    engine: Engine, clock: FakeClock, tmp_path: Path, seeded: Seeded
) -> None:
    # It still reads (every figure is there), but the daemon's latest write was refused: it
    # cannot post, so `xensocial_database_up` must not say 1 (issue 15).
    settings = settings_for(tmp_path, engine.url.render_as_string(hide_password=False))
    daemon = DaemonSeen(clock)
    exports = Exports(settings, clock=clock, daemon=daemon)
    try:
        before, _ = figures(text_string_to_metric_families(exports.metrics("")[2].decode()))
        daemon.record = Beat(at=clock(), write_refused="OperationalError: disk I/O error")
        after, _ = figures(text_string_to_metric_families(exports.metrics("")[2].decode()))
    finally:
        exports.close()
    assert before["xensocial_database_up"] == {(): 1}
    assert after["xensocial_database_up"] == {(): 0}
    assert after["xensocial_posts_published_total"] == before["xensocial_posts_published_total"]
