"""A command that finds nothing to change changes nothing (issue 14): no `updated_at` moves, no
audit entry is added, and it says so, the same way for every such command."""

from __future__ import annotations

import pytest

from .conftest import Desk, later

URL = "https://example.org/a"


def _unchanged(desk: Desk, *args: str) -> str:
    """Run a command the clock has moved past, which must change not a single row."""
    later(desk.clock)
    before = desk.dump()
    out = desk.ok(*args).stdout.strip()
    assert desk.dump() == before, args
    assert out.endswith("; nothing changed."), out
    return out


def test_cancelling_twice_changes_nothing_the_second_time(desk: Desk) -> None:
    desk.ok("queue", "add", URL, "--title", "A")
    later(desk.clock)
    assert desk.ok("queue", "cancel", "1").stdout.startswith("Cancelled item 1: A")
    cancelled_at = desk.json("queue", "show", "1")["updated_at"]
    assert _unchanged(desk, "queue", "cancel", "1") == (
        "Item 1 was already cancelled; nothing changed."
    )
    assert desk.json("queue", "show", "1")["updated_at"] == cancelled_at


def test_cancelling_a_fully_published_item_says_nothing_was_left_to_stop(desk: Desk) -> None:
    desk.ok("queue", "add", URL, "--title", "A")
    desk.post("demo")
    desk.post("fast")
    assert _unchanged(desk, "queue", "cancel", "1") == (
        "Item 1 is already published on every channel (demo, fast): nothing was left to stop; "
        "nothing changed."
    )
    assert desk.json("queue", "show", "1")["state"] == "approved"


def test_cancelling_a_partly_published_item_says_what_stays_out(desk: Desk) -> None:
    desk.ok("queue", "add", URL, "--title", "A")
    desk.post("demo")
    out = desk.ok("queue", "cancel", "1").stdout.strip()
    assert out == "Cancelled item 1: A -> demo, fast (cancelled); it stays published on demo"


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("queue", "approve", "1"), "Item 1 was already approved"),
        (("queue", "edit", "1", "--title", " A ", "--priority", "0"), "Item 1 already has these values"),
        (("queue", "edit", "1", "--channel", "demo", "--text", "Own"), "Item 1 on demo has this text already"),
        (("queue", "edit", "1", "--channel", "fast", "--clear-text"), "Item 1 on fast has no text of its own"),
        (("channels", "pause", "demo", "--reason", "storm"), "demo was already paused: storm"),
        (("channels", "resume", "fast"), "fast was not paused"),
    ],
)  # fmt: skip
def test_every_command_with_nothing_to_do_changes_nothing(
    desk: Desk, args: tuple[str, ...], said: str
) -> None:
    desk.ok("queue", "add", URL, "--title", "A")
    desk.ok("queue", "edit", "1", "--channel", "demo", "--text", "Own")
    desk.ok("channels", "pause", "demo", "--reason", "storm")
    assert _unchanged(desk, *args) == f"{said}; nothing changed."
