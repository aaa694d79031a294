"""`xensocial export csv`: read back with `csv`, nulls empty, filters in the configuration's zone."""

from __future__ import annotations

import csv
import importlib
import io
from pathlib import Path

import pytest

from tests.cli.conftest import CliHarness

from .conftest import Seeded


def rows(cli: CliHarness, *args: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(cli.ok("export", "csv", *args).stdout)))


def test_posts(export_cli: tuple[CliHarness, Seeded]) -> None:
    cli, seeded = export_cli
    posts = rows(cli, "--what", "posts")
    assert [(p["published_at"], p["channel"]) for p in posts] == [
        ("2026-02-27T08:00:00Z", "gamma"),
        ("2026-03-01T10:00:00Z", "alpha"),
        ("2026-03-01T11:00:00Z", "beta"),
        ("2026-03-02T08:00:00Z", "alpha"),
    ]
    assert posts[1] == {
        "published_at": "2026-03-01T10:00:00Z",
        "channel": "alpha",
        "item_id": str(seeded.items["release"]),
        "title": "Xen 4.20 is out",
        "url": "https://example.org/release",
        "category": "announcement",
        "tags": "xen;release",
        "remote_id": "alpha-release",
        "remote_url": "https://social.example/alpha/1",
        "text": "What's new in 4.20",  # recorded without a rendering: the item's text
    }
    assert posts[3]["remote_url"] == ""  # none given: empty, not "None"


def test_engagement_keeps_missing_counts_empty(export_cli: tuple[CliHarness, Seeded]) -> None:
    cli, seeded = export_cli
    samples = rows(cli, "--what", "engagement")
    common = {
        "channel": "alpha",
        "item_id": str(seeded.items["release"]),
        "remote_id": "alpha-release",
        "published_at": "2026-03-01T10:00:00Z",
        "found": "true",
        "quotes": "",
        "clicks": "",
    }
    assert list(samples[0])[-1] == "bookmarks"  # added last: earlier columns keep their place
    assert samples == [
        common
        | {
            "taken_at": "2026-03-01T11:00:05Z",
            "age_seconds": "3600",
            "likes": "4",
            "reposts": "0",  # a real zero stays 0 ...
            "replies": "",  # ... and a count the network did not give stays empty
            "impressions": "",
            "bookmarks": "",
        },
        common
        | {
            "taken_at": "2026-03-02T10:00:07Z",
            "age_seconds": "86400",
            "likes": "9",
            "reposts": "2",
            "replies": "1",
            "impressions": "300",
            "bookmarks": "5",
        },
    ]


def test_followers_and_the_header_row(export_cli: tuple[CliHarness, Seeded]) -> None:
    cli, _ = export_cli
    text = cli.ok("export", "csv", "--what", "followers").stdout
    assert text.splitlines()[0] == "taken_at,channel,followers"
    assert list(csv.reader(io.StringIO(text)))[1:] == [
        ["2026-03-01T00:00:00Z", "alpha", "100"],
        ["2026-03-01T00:00:00Z", "beta", "50"],
        ["2026-03-01T00:00:00Z", "gamma", "7"],
        ["2026-03-02T00:00:00Z", "alpha", "120"],
        ["2026-03-02T00:00:00Z", "beta", ""],
    ]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        # Dates are days in Europe/Amsterdam: 1 March is 28 Feb 23:00 to 1 Mar 23:00 UTC, and
        # --until of a date includes that whole day.
        (["--since", "2026-03-01", "--until", "2026-03-01"], ["alpha 03-01", "beta 03-01"]),
        (["--since", "2026-03-02"], ["alpha 03-02"]),
        (["--until", "2026-02-28"], ["gamma 02-27"]),
        (["--since", "2026-03-01T10:30Z"], ["beta 03-01", "alpha 03-02"]),
        # 11:00 and 09:00 Amsterdam are 10:00 and 08:00 UTC; a time as --until is excluded.
        (
            ["--since", "2026-03-01 11:00", "--until", "2026-03-02 09:00"],
            ["alpha 03-01", "beta 03-01"],
        ),
        (
            ["--since", "2026-03-01 11:01", "--until", "2026-03-02 09:01"],
            ["beta 03-01", "alpha 03-02"],
        ),
        (["--channel", "alpha"], ["alpha 03-01", "alpha 03-02"]),
        (["--channel", "gamma"], ["gamma 02-27"]),  # not configured, but has history
        (["--channel", "delta"], []),  # configured, never posted: just the header
        (["--since", "+1d"], []),
    ],
)
def test_filters(
    export_cli: tuple[CliHarness, Seeded], args: list[str], expected: list[str]
) -> None:
    cli, _ = export_cli
    found = rows(cli, "--what", "posts", *args)
    assert [f"{p['channel']} {p['published_at'][5:10]}" for p in found] == expected


def test_filters_apply_to_samples_too(export_cli: tuple[CliHarness, Seeded]) -> None:
    cli, _ = export_cli
    assert [r["followers"] for r in rows(cli, "--what", "followers", "--channel", "alpha")] == [
        "100",
        "120",
    ]
    later = rows(cli, "--what", "engagement", "--since", "2026-03-02")
    assert [r["likes"] for r in later] == ["9"]


def test_out_writes_the_file(export_cli: tuple[CliHarness, Seeded], tmp_path: Path) -> None:
    cli, _ = export_cli
    out = tmp_path / "followers.csv"
    assert cli.ok("export", "csv", "--what", "followers", "--out", str(out)).stdout == (
        f"Wrote 5 follower sample(s) to {out}.\n"
    )
    assert len(list(csv.DictReader(out.open(encoding="utf-8", newline="")))) == 5


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--what", "posts", "--since", "yesterday"], "--since: 'yesterday' is not a date/time"),
        (["--what", "posts", "--until", "2026-02-30"], "--until: '2026-02-30' is not a date/time"),
        (["--what", "posts", "--since", "2026-03-02", "--until", "2026-03-01"], "is not before"),
        (["--what", "likes"], "'likes' is not one of"),
        (["--since", "2026-03-01"], "Missing option '--what'"),
        (["--what", "posts", "--channel", "nope"], "no channel named 'nope'"),
    ],
)
def test_bad_input_is_refused(
    export_cli: tuple[CliHarness, Seeded], args: list[str], message: str
) -> None:
    cli, _ = export_cli
    result = cli.refused("export", "csv", *args)
    assert message in result.stderr, result.stderr
    assert result.stdout == ""  # not even the header row


def test_the_cli_offers_what_the_exporter_knows() -> None:
    # The CLI names the kinds and the feed's default size without importing the exporters
    # (which bring SQLAlchemy and feedgen to `--help`): they must stay in step.
    from xensocial.reporting.atom import DEFAULT_LIMIT
    from xensocial.reporting.csv_export import KINDS

    # The module, not the `export` group that xensocial.cli re-exports under the same name.
    module = importlib.import_module("xensocial.cli.export")
    assert set(module._KINDS) == set(KINDS) == set(module._ROW_NAMES)
    [limit] = [p for p in module.export.commands["atom"].params if p.name == "limit"]
    assert limit.default == DEFAULT_LIMIT
