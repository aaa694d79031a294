"""`queue retry` and `queue resolve`: a person settles what the daemon would not guess."""

from __future__ import annotations

from datetime import timedelta

from content_queue import Ledger, make_engine
from tests.choosing import take_next
from tests.cli.conftest import CliHarness


def _add(cli: CliHarness) -> int:
    return int(
        cli.json("queue", "add", "https://xenproject.org/r", "--title", "R", "--channel", "demo")[
            "id"
        ]
    )


def _stuck(cli: CliHarness, item_id: int, how: str) -> None:
    """Leave the item's demo delivery `failed` or `unknown`, as the daemon would."""
    engine = make_engine(f"sqlite:///{cli.db}")
    try:
        ledger = Ledger(engine, cli.clock)
        at, lease = cli.clock() + timedelta(days=1), cli.clock() + timedelta(minutes=5)
        began = take_next(ledger, "demo", "host-a", now=at, lease_until=lease)
        assert began is not None
        delivery_id = began[0].id
        if how == "failed":
            assert ledger.mark_failed(delivery_id, "refused by the network")
        else:
            assert ledger.mark_unknown(delivery_id, "answer lost; lookup cannot tell")
    finally:
        engine.dispose()


def _state(cli: CliHarness, item_id: int) -> str:
    [delivery] = cli.json("queue", "show", str(item_id))["deliveries"]
    return str(delivery["state"])


def test_retry_puts_a_failed_or_unknown_delivery_back_in_line(cli: CliHarness) -> None:
    for how in ("failed", "unknown"):
        item = _add(cli)
        _stuck(cli, item, how)
        done = cli.ok("queue", "retry", str(item), "--channel", "demo")
        assert "pending again" in done.stdout
        assert _state(cli, item) == "pending"
        cli.ok("queue", "cancel", str(item))  # out of the way of the next round's URL


def test_resolve_records_an_unknown_delivery_as_published(cli: CliHarness) -> None:
    item = _add(cli)
    _stuck(cli, item, "unknown")
    url = "https://social.example/@xen/1"
    done = cli.ok("queue", "resolve", str(item), "--channel", "demo", "--remote-url", url)
    assert "never" in done.stdout or "not be posted again" in done.stdout
    [delivery] = cli.json("queue", "show", str(item))["deliveries"]
    assert (delivery["state"], delivery["remote_url"]) == ("published", url)


def test_what_cannot_be_settled_is_refused_and_changes_nothing(cli: CliHarness) -> None:
    item = _add(cli)
    assert "is pending" in cli.refused("queue", "retry", str(item), "--channel", "demo").stderr
    assert "is pending" in cli.refused("queue", "resolve", str(item), "--channel", "demo").stderr
    _stuck(cli, item, "failed")
    # A failed post was refused by the network: it is not out, so it cannot be "resolved".
    assert "unknown" in cli.refused("queue", "resolve", str(item), "--channel", "demo").stderr
    assert "not for channel" in cli.refused("queue", "retry", str(item), "--channel", "fast").stderr
    assert "no item with id 99" in cli.refused("queue", "retry", "99", "--channel", "demo").stderr
    cli.refused("queue", "retry", str(item))  # --channel is required
    assert _state(cli, item) == "failed"
