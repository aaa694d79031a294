"""`clips` and `activity` through the real CLI (`CliHarness`): what each says, what it stores,
and bad input refused with exit 2, one `error:` line and the database unchanged."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.cli.conftest import CliHarness
from tests.fakes.server import Reply
from tests.storage.intake.test_feeds_ingest import FeedSite


def test_clips_add_says_what_it_added_and_what_the_clip_mentions(cov: CliHarness) -> None:
    # 23:30 UTC on 1 March is already 2 March in Amsterdam, the configuration's zone.
    cov.clock.set(datetime(2026, 3, 1, 23, 30, tzinfo=UTC))
    done = cov.ok(
        "clips",
        "add",
        "https://www.theregister.example/xen-420",
        "--title",
        "Xen 4.20 lands in cars",
        "--summary",
        "Automotive and embedded systems get a faster boot; KVM lags behind.",
        "--topic",
        "release",
    )
    assert done.stdout.splitlines() == [
        "Added clip 1: Xen 4.20 lands in cars (theregister.example, 2026-03-02)",
        "Mentions: xen, kvm; themes: mobile.",
    ]
    [clip] = cov.json("clips", "list")
    assert {k: clip[k] for k in ("id", "date", "outlet", "topic", "source", "created_by")} == {
        "id": 1,
        "date": "2026-03-02",
        "outlet": "theregister.example",
        "topic": "release",
        "source": "manual",
        "created_by": "tester",
    }
    assert (clip["competitors"], clip["themes"]) == (["xen", "kvm"], ["mobile"])


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("2026-02-10", "2026-02-10"),
        ("yesterday", "2026-03-01"),
        ("today", "2026-03-02"),
        ("-3d", "2026-02-27"),
        ("+1d", "2026-03-03"),
        ("2026-02-28T23:30+00:00", "2026-03-01"),  # an instant: its date in Amsterdam
    ],
)
def test_clips_add_reads_the_date_forms_of_the_other_commands(
    cov: CliHarness, given: str, stored: str
) -> None:
    added = cov.json("clips", "add", "https://lwn.example/a", "--title", "T", "--date", given)
    assert added["date"] == stored


def test_clips_add_refuses_bad_input_and_changes_nothing(cov: CliHarness) -> None:
    cov.ok("clips", "add", "https://lwn.example/a/", "--title", "First", "--outlet", "LWN")
    for args, message in [
        (
            ["--date", "2026-02-30"],
            "error: --date: '2026-02-30' is not a date; accepted: 2026-03-02, today,",
        ),
        (["--date", "soon"], "error: --date: 'soon' is not a date"),
        (["--date", "2099-01-01"], "error: date: 2099-01-01 is in the future"),
        (["--outlet", "x" * 201], "error: outlet: 201 characters, at most 200"),
    ]:
        refused = cov.refused("clips", "add", "https://lwn.example/b", "--title", "T", *args)
        assert refused.stderr.startswith(message), refused.stderr
    duplicate = cov.refused("clips", "add", "https://LWN.example/a?utm_source=rss", "--title", "T")
    assert (
        duplicate.stderr
        == "error: https://LWN.example/a?utm_source=rss is already clip 1 (First)\n"
    )
    not_a_link = cov.refused("clips", "add", "lwn.example/c", "--title", "T")
    assert "is not an http:// or https:// address" in not_a_link.stderr


def test_clips_list_shows_mentions_and_filters_by_month_and_topic(cov: CliHarness) -> None:
    for url, day, title, topic in [
        ("https://a.example/1", "2026-02-03", "KVM and Xen in the cloud", "hv"),
        ("https://a.example/2", "2026-02-20", "Docker 30 released", ""),
        ("https://a.example/3", "2026-03-01", "XenServer news", "hv"),
        ("https://a.example/4", "2026-01-31", "Nothing relevant", ""),
    ]:
        args = ["clips", "add", url, "--date", day, "--title", title, "--outlet", "Example"]
        cov.ok(*args, *(["--topic", topic] if topic else []))
    february = cov.ok("clips", "list", "--month", "2026-02").stdout.splitlines()
    assert february[0].split() == ["ID", "DATE", "OUTLET", "TITLE", "TOPIC", "MENTIONS", "THEMES"]
    assert [line.split()[:2] for line in february[1:3]] == [
        ["2", "2026-02-20"],
        ["1", "2026-02-03"],
    ]
    assert february[1].split()[-2:] == ["docker", "-"]
    assert february[2].split()[-3:] == ["xen,", "kvm", "cloud"]
    assert february[-1] == "2 clip(s); mentions: xen 1, kvm 1, docker 1."
    assert [c["id"] for c in cov.json("clips", "list", "--topic", "HV")] == [3, 1]
    assert cov.ok("clips", "list", "--month", "2025-12").stdout == "No clips in 2025-12.\n"
    bad = cov.refused("clips", "list", "--month", "2026-13")
    assert bad.stderr == "error: month: '2026-13' is not a month; expected YYYY-MM, e.g. 2026-03\n"


def test_clips_import_is_all_or_nothing_and_skips_what_is_there(
    cov: CliHarness, tmp_path: Path
) -> None:
    cov.ok("clips", "add", "https://lwn.example/known", "--title", "Known", "--date", "2026-02-01")
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "url,outlet,date,title,topic\n"
        "https://a.example/1,A,2026-02-10,Xen at FOSDEM,events\n"
        "not-a-link,A,2026-02-11,Broken,\n"
        "https://a.example/3,A,10/02/2026,Wrong date,\n"
        "https://a.example/4,A,2026-02-12,Fine,\n",
        encoding="utf-8",
    )
    refused = cov.refused("clips", "import", str(bad))
    assert refused.stderr.splitlines() == [
        f"error: {bad}: 2 bad row(s); nothing was imported (fix them, or use --skip-bad to import the good rows)",
        "  line 3: url: 'not-a-link' is not an http:// or https:// address",
        "  line 4: date: '10/02/2026' is not a date; expected YYYY-MM-DD, e.g. 2026-03-02",
    ]
    good = tmp_path / "good.csv"
    good.write_text(
        "\ufefftitle,url,date,summary\r\n"
        "Xen at FOSDEM,https://a.example/1,2026-02-10,The Xen Project in Brussels\r\n"
        "Again,https://lwn.example/known/,2026-02-10,\r\n"
        "Undated,https://a.example/2,,\r\n"
        "Same as line 2,https://a.example/1?utm_campaign=x,2026-02-10,\r\n",
        encoding="utf-8",
    )
    done = cov.ok("clips", "import", str(good))
    assert done.stdout.splitlines() == [
        f"Added 2 clip(s) from {good}:",
        "  2: Xen at FOSDEM (a.example, 2026-02-10)",
        "  3: Undated (a.example, 2026-03-02)",
        "Skipped 2 already recorded:",
        "  line 3: https://lwn.example/known/ is already clip 1 (Known)",
        "  line 5: https://a.example/1?utm_campaign=x is already clip 2 (Xen at FOSDEM)",
    ]
    again = cov.json("clips", "import", str(good))
    assert again["added"] == [] and [d["line"] for d in again["duplicates"]] == [2, 3, 4, 5]
    partial = cov.json("clips", "import", str(bad), "--skip-bad")
    assert [(a["line"], a["clip"]["title"]) for a in partial["added"]] == [(5, "Fine")]
    assert [r["line"] for r in partial["refused"]] == [3, 4]
    assert [c["source"] for c in cov.json("clips", "list")] == ["csv", "csv", "csv", "manual"]


def test_a_csv_file_with_a_bad_header_is_refused(cov: CliHarness, tmp_path: Path) -> None:
    path = tmp_path / "clips.csv"
    path.write_text("link,date\nhttps://a.example/1,2026-02-10\n", encoding="utf-8")
    refused = cov.refused("clips", "import", str(path))
    assert (
        "line 1: unknown column(s) 'link'; expected some of url,outlet,date,title,topic,summary"
        in refused.stderr
    )
    path.write_text("kind,title\nevent,Summit\n", encoding="utf-8")
    refused = cov.refused("activity", "import", str(path))
    assert (
        "line 1: the header needs a 'date' column; expected kind,date,title,url,outlet,note"
        in refused.stderr
    )


def test_activity_add_list_and_the_rules_of_kinds_and_repeats(cov: CliHarness) -> None:
    done = cov.ok(
        "activity", "add", "--kind", "press-release", "--date", "2026-03-02",
        "--title", "Xen 4.20 released", "--url", "https://xenproject.org/pr", "--outlet", "PR Newswire",
    )  # fmt: skip
    assert (
        done.stdout
        == "Added activity 1: press-release 'Xen 4.20 released' (2026-03-02, PR Newswire)\n"
    )
    cov.ok("activity", "add", "--kind", "Interview", "--date", "yesterday", "--title", "Podcast")
    cov.ok("activity", "add", "--kind", "event", "--date", "2026-02-27", "--title", "Summit")
    unknown = cov.refused("activity", "add", "--kind", "pr", "--date", "today", "--title", "X")
    assert unknown.stderr == (
        "error: kind: 'pr' is not one of press-release, interview, analyst-briefing, "
        "member-content, event\n"
    )
    repeat = cov.refused(
        "activity",
        "add",
        "--kind",
        "press-release",
        "--date",
        "2026-03-02",
        "--title",
        " Xen 4.20  released",
    )
    assert (
        repeat.stderr
        == "error: the press-release 'Xen 4.20 released' of 2026-03-02 is already activity 1\n"
    )
    cov.refused("activity", "add", "--kind", "event", "--date", "31 Feb", "--title", "X")
    missing = cov.refused("activity", "add", "--kind", "event", "--title", "X")
    assert "Missing option '--date'" in missing.stderr
    march = cov.ok("activity", "list", "--month", "2026-03").stdout.splitlines()
    assert [line.split()[:3] for line in march[1:3]] == [
        ["1", "2026-03-02", "press-release"],
        ["2", "2026-03-01", "interview"],
    ]
    assert march[-1] == "2 activities: 1 press-release, 1 interview."
    assert [a["title"] for a in cov.json("activity", "list", "--kind", "event")] == ["Summit"]
    cov.refused("activity", "list", "--kind", "talk")


def test_activity_import(cov: CliHarness, tmp_path: Path) -> None:
    path = tmp_path / "activities.csv"
    path.write_text(
        "kind,date,title,url,outlet,note\n"
        "interview,2026-02-03,Linux Weekly,,LWN,about 4.20\n"
        "analyst-briefing,2026-02-04,Hypervisor market,,Analyst firm,\n"
        "member-content,2026-02-05,Case study,https://member.example/xen,,\n"
        "press-release,2026-02-06,,,,\n"
        "keynote,2026-02-07,Summit,,,\n",
        encoding="utf-8",
    )
    refused = cov.refused("activity", "import", str(path))
    assert refused.stderr.splitlines()[1:] == [
        "  line 5: title: missing",
        "  line 6: kind: 'keynote' is not one of press-release, interview, analyst-briefing, member-content, event",
    ]
    done = cov.json("activity", "import", str(path), "--skip-bad")
    assert [(a["line"], a["activity"]["kind"]) for a in done["added"]] == [
        (2, "interview"),
        (3, "analyst-briefing"),
        (4, "member-content"),
    ]
    again = cov.ok("activity", "import", str(path), "--skip-bad").stdout.splitlines()
    assert again[:2] == [f"Added 0 activity(s) from {path}.", "Skipped 3 already recorded:"]
    assert [a["source"] for a in cov.json("activity", "list")] == ["csv"] * 3


def test_clips_poll_without_coverage_feeds_says_how_to_add_one(cov: CliHarness) -> None:
    done = cov.ok("clips", "poll")
    assert (
        done.stdout == "No coverage feeds. Add a [[coverage_feeds]] table to the configuration.\n"
    )


PAGE = b"""<html><head><title>Ignored</title>
<meta property="og:title" content="Xen 4.20 in the cloud">
<meta property="og:description" content="The hypervisor behind KVM's rivals">
</head><body></body></html>"""


def test_clips_add_without_a_title_reads_the_page(
    make_cli: Callable[[str], CliHarness], site: FeedSite
) -> None:
    site.server.route("GET", "/article", lambda _r: Reply(200, PAGE, {"Content-Type": "text/html"}))
    url = site.url("/article")
    cli = make_cli("\n[intake]\nallow_private_addresses = true\n")
    added = cli.json("clips", "add", url, "--outlet", "Example")
    assert (added["title"], added["summary"]) == (
        "Xen 4.20 in the cloud",
        "The hypervisor behind KVM's rivals",
    )
    assert (added["competitors"], added["themes"]) == (["xen", "kvm"], ["cloud"])
    # A duplicate is refused before anything is fetched.
    cli.refused("clips", "add", url + "/")
    assert len(site.hits("/article")) == 1


def test_clips_add_refuses_a_page_in_the_local_network(
    make_cli: Callable[[str], CliHarness], site: FeedSite
) -> None:
    site.server.route("GET", "/article", lambda _r: Reply(200, PAGE, {"Content-Type": "text/html"}))
    cli = make_cli("\n[intake]\nfetch_link_details = true\n")
    refused = cli.refused("clips", "add", site.url("/article"))
    assert "127.0.0.1" in refused.stderr and "give --title" in refused.stderr
    assert site.hits("/article") == []


def test_a_clip_without_words_is_added_with_a_warning(cov: CliHarness) -> None:
    done = cov.ok("clips", "add", "https://lwn.example/untitled")  # fetching is off in tests
    assert done.stdout.startswith("Added clip 1: https://lwn.example/untitled (lwn.example, ")
    assert done.stderr == (
        "warning: the clip has no title or summary, so it mentions no competitor or theme "
        "(it still counts as a clip); give --title to record its words.\n"
    )


def test_a_page_that_cannot_be_read_does_not_stop_the_add(
    make_cli: Callable[[str], CliHarness], site: FeedSite
) -> None:
    site.server.route("GET", "/down", lambda _r: Reply(500, b"oops"))
    cli = make_cli("\n[intake]\nallow_private_addresses = true\n")
    done = cli.ok("clips", "add", site.url("/down"), "--summary", "Xen news")
    assert done.stderr.startswith(
        "warning: could not read the page (HTTP 500 Internal Server Error).\n"
    )
    assert done.stdout.splitlines()[1] == "Mentions: xen; themes: none."
