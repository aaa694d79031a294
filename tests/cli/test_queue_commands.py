"""`queue add/list/show/approve/cancel/edit`: the happy paths, and bad input refused with exit 2
and the database unchanged."""

from __future__ import annotations

import getpass

import pytest

from tests.cli.conftest import CliHarness

ITEM_FIELDS = {"id", "url", "title", "category", "state", "deliveries", "tags", "not_before"}


def test_add_says_what_was_done(cli: CliHarness) -> None:
    result = cli.ok("queue", "add", "https://example.org/a", "--title", "Hello")
    assert result.stdout.strip() == "Added item 1: Hello -> demo, fast (approved)"


def test_add_json_has_the_item(cli: CliHarness) -> None:
    item = cli.json(
        "queue",
        "add",
        "https://example.org/a",
        "--channel",
        "demo",
        "--tag",
        "#xen",
        "--tag",
        "oss",
        "--draft",
        "--priority",
        "3",
        "--category",
        "Event",
    )
    assert set(item) >= ITEM_FIELDS
    assert item["state"] == "draft"
    assert item["tags"] == ["xen", "oss"]
    assert item["priority"] == 3 and item["category"] == "event"
    assert [(d["channel"], d["state"]) for d in item["deliveries"]] == [("demo", "pending")]
    assert item["created_by"] == "tester"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("2026-12-01", "2026-11-30T23:00:00+00:00"),  # midnight in Europe/Amsterdam (CET)
        ("2026-07-01 09:30", "2026-07-01T07:30:00+00:00"),  # summer time (CEST)
        ("2026-12-01T09:30", "2026-12-01T08:30:00+00:00"),
        ("2026-12-01T09:30-05:00", "2026-12-01T14:30:00+00:00"),
        ("2026-12-01T09:30Z", "2026-12-01T09:30:00+00:00"),
        ("+2h", "2026-03-02T11:00:00+00:00"),  # the fake clock is 2026-03-02 09:00 UTC
        ("+3d", "2026-03-05T09:00:00+00:00"),
    ],
)
def test_dates_in_every_accepted_form(cli: CliHarness, typed: str, expected: str) -> None:
    item = cli.json("queue", "add", "https://example.org/a", "--not-before", typed)
    assert item["not_before"] == expected


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ftp://example.org/x"], "is not an http:// or https:// address"),
        (["not a url"], "is not an http:// or https:// address"),
        (["https://example.org/x", "--not-before", "tomorrow"], "accepted: 2026-12-01"),
        (["https://example.org/x", "--expires", "2026-02-30"], "accepted: 2026-12-01"),
        (["https://example.org/x", "--not-before", "+2 weeks"], "accepted:"),
        (["https://example.org/x", "--channel", "nope"], "the channels are: demo, fast"),
        (["https://example.org/x", "--priority", "high"], "'high' is not a valid integer"),
        (
            ["https://example.org/x", "--not-before", "+2d", "--expires", "+1d"],
            "expires_at: must be later than not_before",
        ),
        (["https://example.org/x", "--bogus"], "No such option"),
    ],
)
def test_add_refuses_bad_input(cli: CliHarness, args: list[str], message: str) -> None:
    cli.ok("queue", "add", "https://example.org/existing")
    result = cli.refused("queue", "add", *args)
    assert message in result.stderr


def test_add_refuses_a_duplicate_naming_the_existing_item(cli: CliHarness) -> None:
    cli.ok("queue", "add", "https://Example.org/page/?utm_source=x", "--title", "Page")
    result = cli.refused("queue", "add", "https://example.org/page#top")
    assert "already in the queue as item 1 (approved)" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    again = cli.ok("queue", "add", "https://example.org/page", "--allow-duplicate")
    assert again.stdout.startswith("Added item 2:")


def test_created_by_is_the_os_user(cli: CliHarness) -> None:
    from xensocial.cli import App
    from xensocial.cli.app import current_user

    assert App().user == current_user() == getpass.getuser()


def test_list_table_and_json(cli: CliHarness) -> None:
    cli.ok("queue", "add", "https://example.org/a", "--title", "First item")
    cli.ok("queue", "add", "https://example.org/b", "--title", "x" * 80, "--channel", "fast")
    cli.ok("queue", "add", "https://example.org/c", "--draft")
    table = cli.ok("queue", "list").stdout.splitlines()
    assert table[0].split() == ["ID", "STATE", "CATEGORY", "TITLE", "DELIVERIES", "CREATED"]
    assert table[1].split()[:2] == ["3", "draft"]
    assert "x" * 47 + "…" in table[2] and "x" * 49 not in table[2]
    assert "demo:pending fast:pending" in table[3]
    assert "2026-03-02 10:00 CET" in table[3]  # created, in the configured zone

    items = cli.json("queue", "list")
    assert [i["id"] for i in items] == [3, 2, 1]
    for item in items:
        assert set(item) >= ITEM_FIELDS
        assert all({"channel", "state"} <= set(d) for d in item["deliveries"])
    assert [i["id"] for i in cli.json("queue", "list", "--state", "draft")] == [3]
    assert [i["id"] for i in cli.json("queue", "list", "--channel", "demo")] == [3, 1]
    assert [i["id"] for i in cli.json("queue", "list", "--limit", "1")] == [3]
    assert cli.ok("queue", "list", "--state", "cancelled").stdout.strip() == "No cancelled items."


def test_list_refuses_bad_filters(cli: CliHarness) -> None:
    assert "is not one of" in cli.refused("queue", "list", "--state", "nope").stderr
    assert "no channel named 'nope'" in cli.refused("queue", "list", "--channel", "nope").stderr
    cli.refused("queue", "list", "--limit", "0")


def test_show(cli: CliHarness) -> None:
    cli.ok("queue", "add", "https://example.org/a", "--title", "Hello", "--tag", "xen")
    text = cli.ok("queue", "show", "1").stdout
    assert "URL:        https://example.org/a" in text
    assert "Tags:       xen" in text
    assert "Created:    2026-03-02 10:00 CET by tester" in text
    assert [
        line.split()[:2] for line in text.splitlines() if line.startswith(("demo", "fast"))
    ] == [
        ["demo", "pending"],
        ["fast", "pending"],
    ]
    assert cli.json("queue", "show", "1")["title"] == "Hello"
    assert cli.refused("queue", "show", "7").stderr.strip() == "error: no item with id 7"
    cli.refused("queue", "show", "seven")


def test_approve_and_cancel(cli: CliHarness) -> None:
    cli.ok("queue", "add", "https://example.org/a", "--draft", "--title", "A")
    cli.ok("queue", "add", "https://example.org/b", "--draft", "--title", "B")
    assert cli.ok("queue", "approve", "1", "2").stdout.splitlines() == [
        "Approved item 1: A -> demo, fast (approved)",
        "Approved item 2: B -> demo, fast (approved)",
    ]
    assert (
        cli.ok("queue", "approve", "1").stdout.strip()
        == "Item 1 was already approved; nothing changed."
    )
    assert cli.ok("queue", "cancel", "2").stdout.startswith("Cancelled item 2: B")
    assert cli.json("queue", "show", "2")["state"] == "cancelled"
    assert "cannot be approved" in cli.refused("queue", "approve", "2").stderr
    cli.refused("queue", "approve")  # an id is required


def test_approve_of_several_changes_none_when_one_is_unknown(cli: CliHarness) -> None:
    cli.ok("queue", "add", "https://example.org/a", "--draft")
    assert "no item with id 9" in cli.refused("queue", "approve", "1", "9").stderr
    assert "no item with id 9" in cli.refused("queue", "cancel", "1", "9").stderr


def test_edit(cli: CliHarness) -> None:
    cli.ok("queue", "add", "https://example.org/a", "--tag", "old", "--not-before", "+1d")
    result = cli.ok(
        "queue",
        "edit",
        "1",
        "--title",
        "New",
        "--tag",
        "x",
        "--tag",
        "y",
        "--not-before",
        "none",
        "--expires",
        "2026-04-01",
        "--priority",
        "5",
    )
    assert result.stdout.startswith(
        "Changed expires_at, not_before, priority, tags, title of item 1: New"
    )
    item = cli.json("queue", "show", "1")
    assert item["tags"] == ["x", "y"] and item["not_before"] is None
    assert item["expires_at"] == "2026-03-31T22:00:00+00:00" and item["priority"] == 5
    cli.ok("queue", "edit", "1", "--url", "https://example.org/moved")
    assert cli.json("queue", "show", "1")["url"] == "https://example.org/moved"


def test_edit_refuses_bad_input(cli: CliHarness) -> None:
    cli.ok("queue", "add", "https://example.org/a")
    cli.ok("queue", "add", "https://example.org/b")
    assert (
        "already in the queue as item 1"
        in cli.refused("queue", "edit", "2", "--url", "https://example.org/a/").stderr
    )
    assert "nothing to change" in cli.refused("queue", "edit", "1").stderr
    assert "no item with id 5" in cli.refused("queue", "edit", "5", "--title", "x").stderr
    assert "accepted:" in cli.refused("queue", "edit", "1", "--expires", "someday").stderr
    cli.refused("queue", "edit", "1", "--url", "mailto:x@example.org")
    cli.ok("queue", "cancel", "1")
    assert "cannot be edited" in cli.refused("queue", "edit", "1", "--title", "x").stderr
