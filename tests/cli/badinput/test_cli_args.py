"""Bad command-line values, generated: each is refused with exit 2, one `error:` line on
stderr (no traceback) and the database exactly as it was.

Every kind of value staff type (dates and times, priorities, item ids, channel names, URLs,
categories, durations, counts) is tried in every command that takes it. The regular tests at
the bottom pin the bugs these properties found, one example each.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from .conftest import PROPERTY, Seeded, refused_in_one_line
from .strategies import (
    bad_categories,
    bad_channels,
    bad_durations,
    bad_feed_urls,
    bad_item_ids,
    bad_priorities,
    bad_urls,
    bad_whens,
    no_digits,
)

NEW = "https://example.org/new"
FEED = "https://example.org/feed.xml"


def add(*args: str) -> tuple[str, ...]:
    return ("queue", "add", NEW, "--title", "T", *args)


def taking(cli: Seeded, command: str) -> tuple[str, ...]:
    """The start of a command that takes an item's fields: "add", "edit" or "feeds" (add)."""
    return {
        "add": add(),
        "edit": ("queue", "edit", str(cli.item)),
        "feeds": ("feeds", "add", FEED),
    }[command]


@PROPERTY
@given(
    value=bad_whens().filter(lambda v: v.strip().lower() not in {"none", "never", "-"}),
    option=st.sampled_from(["--not-before", "--expires"]),
    command=st.sampled_from(["add", "edit"]),
)
def test_dates_and_times(cli: Seeded, value: str, option: str, command: str) -> None:
    before = taking(cli, command)
    refused_in_one_line(cli, *before, option, value)


@PROPERTY
@given(
    not_before=st.datetimes(datetime(2027, 1, 1), datetime(2030, 12, 31)),
    earlier=st.integers(0, 60 * 24 * 400),
    command=st.sampled_from(["add", "edit"]),
)
def test_an_expiry_not_after_the_start(
    cli: Seeded, not_before: datetime, earlier: int, command: str
) -> None:
    expires = not_before - timedelta(minutes=earlier)
    before = taking(cli, command)
    # In UTC ("Z"): local times across a DST change need not keep their order.
    refused_in_one_line(
        cli,
        *before,
        *("--not-before", f"{not_before:%Y-%m-%dT%H:%M}Z"),
        *("--expires", f"{expires:%Y-%m-%dT%H:%M}Z"),
    )


@pytest.mark.parametrize(
    ("option", "values"), [("--priority", bad_priorities()), ("--category", bad_categories())]
)
@PROPERTY
@given(command=st.sampled_from(["add", "edit", "feeds"]), data=st.data())
def test_priorities_and_categories(
    cli: Seeded, option: str, values: st.SearchStrategy[str], command: str, data: st.DataObject
) -> None:
    refused_in_one_line(cli, *taking(cli, command), option, data.draw(values))


@PROPERTY
@given(
    value=bad_item_ids(),
    command=st.sampled_from(
        [
            (("queue", "show"), ()),
            (("queue", "approve"), ()),
            (("queue", "cancel"), ()),
            (("queue", "edit"), ("--title", "New")),
            (("preview",), ()),
            (("queue", "retry"), ("--channel", "demo")),
            (("queue", "resolve"), ("--channel", "demo")),
        ]
    ),
)
def test_item_ids(
    cli: Seeded, value: str, command: tuple[tuple[str, ...], tuple[str, ...]]
) -> None:
    words, options = command
    refused_in_one_line(cli, *words, value, *options)


@PROPERTY
@given(
    name=bad_channels(),
    command=st.sampled_from(
        [
            "queue add",
            "queue list",
            "channels pause",
            "channels resume",
            "channels verify",
            "schedule",
            "preview",
            "queue retry",
            "queue resolve",
            "feeds add",
            "metrics poll",
        ]
    ),
)
def test_channel_names(cli: Seeded, name: str, command: str) -> None:
    item = str(cli.item)
    args = {
        "queue add": add("--channel", name),
        "queue list": ("queue", "list", "--channel", name),
        "channels pause": ("channels", "pause", name),
        "channels resume": ("channels", "resume", name),
        "channels verify": ("channels", "verify", name),
        "schedule": ("schedule", "--channel", name),
        "preview": ("preview", item, "--channel", name),
        "queue retry": ("queue", "retry", item, "--channel", name),
        "queue resolve": ("queue", "resolve", item, "--channel", name),
        "feeds add": ("feeds", "add", FEED, "--channel", name),
        "metrics poll": ("metrics", "poll", "--channel", name),
    }[command]
    refused_in_one_line(cli, *args)


@PROPERTY
@given(url=bad_urls(), command=st.sampled_from(["add", "edit"]))
def test_item_urls(cli: Seeded, url: str, command: str) -> None:
    if command == "add":
        refused_in_one_line(cli, "queue", "add", url, "--title", "T")
    else:
        refused_in_one_line(cli, "queue", "edit", str(cli.item), "--url", url)


@PROPERTY
@given(url=bad_feed_urls())
def test_feed_urls(cli: Seeded, url: str) -> None:
    refused_in_one_line(cli, "feeds", "add", url)


@PROPERTY
@given(interval=bad_durations())
def test_feed_intervals(cli: Seeded, interval: str) -> None:
    refused_in_one_line(cli, "feeds", "add", FEED, "--interval", interval)


@PROPERTY
@given(
    case=st.one_of(
        st.tuples(st.just(("queue", "list", "--limit")), st.integers(max_value=0).map(str)),
        st.tuples(st.just(("schedule", "--days")), st.integers(max_value=0).map(str)),
        st.tuples(st.just(("schedule", "--days")), st.integers(min_value=367).map(str)),
        st.tuples(st.just(("feeds", "add", FEED, "--initial")), st.integers(max_value=-1).map(str)),
        st.tuples(
            st.sampled_from([("queue", "list", "--limit"), ("schedule", "--days")]),
            no_digits(min_size=1),
        ),
    )
)
def test_counts(cli: Seeded, case: tuple[tuple[str, ...], str]) -> None:
    command, value = case
    refused_in_one_line(cli, *command, value)


# -- the bugs the properties found, one regular test each ------------------------------------


@pytest.mark.parametrize(
    "value",
    ["+99999999999w", "+100000000d", "0001-01-01", "9999-12-31T23:59-05:00"],
)
def test_a_date_beyond_what_can_be_stored_is_bad_input(cli: Seeded, value: str) -> None:
    # Was exit 1: OverflowError (timedelta or date out of range).
    result = refused_in_one_line(cli, *add("--not-before", value))
    assert "--not-before" in result.stderr


@pytest.mark.parametrize("value", [str(2**31), str(-(2**31) - 1), "99999999999999999999"])
def test_a_priority_the_database_cannot_hold_is_bad_input(cli: Seeded, value: str) -> None:
    # Was exit 1 (SQLite: "Python int too large"; PostgreSQL: integer out of range).
    refused_in_one_line(cli, *add("--priority", value))
    refused_in_one_line(cli, "queue", "edit", str(cli.item), "--priority", value)


@pytest.mark.parametrize("command", [("queue", "show"), ("queue", "approve"), ("preview",)])
def test_an_id_no_database_integer_can_hold_is_no_item(
    cli: Seeded, command: tuple[str, ...]
) -> None:
    # Was exit 1: "Python int too large to convert to SQLite INTEGER".
    result = refused_in_one_line(cli, *command, str(2**63))
    assert f"no item with id {2**63}" in result.stderr


def test_a_category_longer_than_the_database_keeps_is_bad_input(cli: Seeded) -> None:
    # Was accepted on SQLite and exit 1 on PostgreSQL (the column is VARCHAR(40)).
    # Categories are a known set now: a long one must be named in the configuration, which
    # refuses one longer than the column.
    result = refused_in_one_line(cli, *add("--category", "c" * 41))
    assert "category" in result.stderr
    text = cli.config.read_text()
    cli.config.write_text(f'categories = ["{"c" * 41}"]\n' + text)
    result = cli.run(*add("--category", "c" * 41))
    assert result.exit_code == 2
    assert "categories[0]: " in result.stderr and "at most 40" in result.stderr
    cli.config.write_text(f'categories = ["{"c" * 40}"]\n' + text)
    cli.ok(*add("--category", "c" * 40))


@pytest.mark.parametrize(
    "url", ["https://exa mple.org/", "https://example.org\x7f/", "http://a\tb.org/"]
)
def test_a_link_with_blanks_or_control_characters_is_bad_input(cli: Seeded, url: str) -> None:
    # Was accepted, and would have been posted as a broken link.
    refused_in_one_line(cli, "queue", "add", url, "--title", "T")


def test_a_feed_url_with_a_bad_port_is_bad_input(cli: Seeded) -> None:
    # Was stored, and every poll of the feed failed.
    result = refused_in_one_line(cli, "feeds", "add", "https://example.org:99999/feed")
    assert "port" in result.stderr


def test_an_interval_longer_than_any_duration_is_bad_input(cli: Seeded) -> None:
    # Was exit 1: OverflowError from timedelta.
    result = refused_in_one_line(cli, "feeds", "add", FEED, "--interval", "99999999999w")
    assert "--interval" in result.stderr
