"""The coverage stores on SQLite and PostgreSQL: clips (one per article), activities (one per
kind, day and title) and keyword counts (appended, never overwritten)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from content_queue.coverage import (
    ActivityStore,
    ClipStore,
    DuplicateActivity,
    DuplicateClip,
    KeywordCountStore,
    NewActivity,
    NewClip,
    month_bounds,
)
from content_queue.errors import ImportFailed, InvalidItem
from content_queue.schema import Activity, Clip
from tests.conftest import FakeClock
from tests.stored_rows import keyword_counts

MARCH_2 = date(2026, 3, 2)


def count(engine: Engine, table: type[Clip] | type[Activity]) -> int:
    with Session(engine) as s:
        return s.scalar(select(func.count()).select_from(table)) or 0


def test_a_clip_is_one_article_however_its_link_is_written(
    engine: Engine, clock: FakeClock
) -> None:
    store = ClipStore(engine, clock)
    clip = store.add(
        NewClip(
            url=" https://www.Example.org/news/xen-4-20/?utm_source=x ",
            published_on=date(2026, 3, 1),
            title="  Xen 4.20 ",
            created_by="tester",
        )
    )
    assert (clip.url, clip.title, clip.outlet) == (
        "https://www.Example.org/news/xen-4-20/?utm_source=x",
        "Xen 4.20",
        "example.org",  # no --outlet: the host, without www.
    )
    assert (clip.source, clip.created_at, clip.created_by) == ("manual", clock(), "tester")
    for again in (
        "https://WWW.example.org/news/xen-4-20",
        "https://www.example.org:443/news/xen-4-20/#comments",
        "https://www.example.org/news/xen-4-20/?fbclid=abc",
    ):
        with pytest.raises(DuplicateClip) as refused:
            store.add(NewClip(url=again, published_on=MARCH_2, title="other"))
        assert refused.value.existing_id == clip.id
        assert f"is already clip {clip.id} (Xen 4.20)" in str(refused.value)
    assert (
        store.find("http://www.example.org/news/xen-4-20") is None
    )  # another scheme: another page
    assert store.find("https://www.example.org/news/xen-4-20/") == clip
    assert count(engine, Clip) == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"url": "ftp://example.org/a"}, "url"),
        ({"published_on": date(2026, 3, 4)}, "date"),  # the clock says 2 March
        ({"outlet": "x" * 201}, "outlet"),
        ({"title": "x" * 1001}, "title"),
        ({"topic": "x" * 101}, "topic"),
        ({"source": "email"}, "source"),
    ],
)
def test_a_bad_clip_names_the_field_and_writes_nothing(
    engine: Engine, clock: FakeClock, changes: dict[str, object], field: str
) -> None:
    fields: dict[str, object] = {"url": "https://example.org/a", "published_on": MARCH_2}
    fields.update(changes)
    with pytest.raises(InvalidItem) as refused:
        ClipStore(engine, clock).add(NewClip(**fields))  # type: ignore[arg-type]
    assert refused.value.field == field
    assert count(engine, Clip) == 0


def test_tomorrow_is_allowed_for_a_zone_ahead_of_utc(engine: Engine, clock: FakeClock) -> None:
    clip = ClipStore(engine, clock).add(
        NewClip(url="https://example.org/nz", published_on=date(2026, 3, 3))
    )
    assert clip.published_on == date(2026, 3, 3)


def test_add_many_skips_repeats_and_refuses_a_bad_batch_whole(
    engine: Engine, clock: FakeClock
) -> None:
    store = ClipStore(engine, clock)
    first = store.add(NewClip(url="https://example.org/a", published_on=MARCH_2))
    rows = [
        (2, NewClip(url="https://example.org/b", published_on=MARCH_2, source="csv")),
        (3, NewClip(url="https://example.org/a/", published_on=MARCH_2, source="csv")),
        (4, NewClip(url="https://example.org/b?utm_medium=rss", published_on=MARCH_2)),
        (5, NewClip(url="mailto:someone@example.org", published_on=MARCH_2)),
    ]
    with pytest.raises(ImportFailed) as failed:
        store.add_many(rows, path="clips.csv")
    assert [(e.line, e.message.split(":")[0]) for e in failed.value.errors] == [(5, "url")]
    assert count(engine, Clip) == 1  # the good rows were rolled back with the bad one

    result = store.add_many(rows, skip_bad=True)
    assert [(line, view.url) for line, view in result.added] == [(2, "https://example.org/b")]
    assert [(line, dup.existing_id) for line, dup in result.duplicates] == [
        (3, first.id),
        (4, result.added[0][1].id),  # a repeat of an earlier row of the same batch
    ]
    assert [e.line for e in result.refused] == [5]
    assert count(engine, Clip) == 2


def test_clips_are_listed_newest_first_and_filtered(engine: Engine, clock: FakeClock) -> None:
    store = ClipStore(engine, clock)
    made = {
        name: store.add(
            NewClip(
                url=f"https://example.org/{name}",
                published_on=day,
                topic=topic,
                outlet=outlet,
                source=source,
            )
        ).id
        for name, day, topic, outlet, source in [
            ("jan31", date(2026, 1, 31), "release", "LWN", "manual"),
            ("feb1", date(2026, 2, 1), "Release", "The Register", "csv"),
            ("feb28", date(2026, 2, 28), "events", "LWN", "feed:news-xen"),
            ("mar1", date(2026, 3, 1), "", "lwn", "feed:news-kvm"),
            ("feb28b", date(2026, 2, 28), "release", "LWN", "manual"),
        ]
    }

    def ids(**filters: object) -> list[str]:
        by_id = {v: k for k, v in made.items()}
        return [by_id[c.id] for c in store.list_clips(**filters)]  # type: ignore[arg-type]

    assert ids() == ["mar1", "feb28b", "feb28", "feb1", "jan31"]  # then newest id first
    start, end = month_bounds("2026-02")
    assert (start, end) == (date(2026, 2, 1), date(2026, 3, 1))
    assert ids(start=start, end=end) == ["feb28b", "feb28", "feb1"]
    assert ids(topic="RELEASE") == ["feb28b", "feb1", "jan31"]
    assert ids(outlet="lwn") == ["mar1", "feb28b", "feb28", "jan31"]
    assert ids(source="feed") == ["mar1", "feb28"]
    assert ids(source="feed:news-xen") == ["feb28"]
    assert ids(source="manual", limit=1) == ["feb28b"]


@pytest.mark.parametrize("text", ["2026-13", "2026-3", "March", "2026-00", ""])
def test_a_month_is_yyyy_mm(text: str) -> None:
    with pytest.raises(InvalidItem, match="expected YYYY-MM"):
        month_bounds(text)
    assert month_bounds("2026-12") == (date(2026, 12, 1), date(2027, 1, 1))


def test_an_activity_is_one_per_kind_day_and_title(engine: Engine, clock: FakeClock) -> None:
    store = ActivityStore(engine, clock)
    release = store.add(
        NewActivity(
            kind=" Press-Release ",
            happened_on=MARCH_2,
            title="Xen  4.20   released",
            url="https://xenproject.org/pr/4.20",
        )
    )
    assert (release.kind, release.title, release.url) == (
        "press-release",
        "Xen 4.20 released",
        "https://xenproject.org/pr/4.20",
    )
    with pytest.raises(DuplicateActivity) as refused:
        store.add(
            NewActivity(kind="press-release", happened_on=MARCH_2, title="Xen 4.20 released ")
        )
    assert refused.value.existing_id == release.id
    # Another day, or another kind, is another activity.
    store.add(
        NewActivity(kind="press-release", happened_on=date(2026, 3, 3), title="Xen 4.20 released")
    )
    store.add(NewActivity(kind="interview", happened_on=MARCH_2, title="Xen 4.20 released"))
    assert count(engine, Activity) == 3


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"kind": "pr"},
            "kind: 'pr' is not one of press-release, interview, analyst-briefing, member-content, event",
        ),
        ({"title": "   "}, "title: missing"),
        (
            {"url": "xenproject.org/pr"},
            "url: 'xenproject.org/pr' is not an http:// or https:// address",
        ),
        ({"note": "x" * 10_001}, "note: 10001 characters, at most 10000"),
    ],
)
def test_a_bad_activity_is_refused_with_a_clear_message(
    engine: Engine, clock: FakeClock, fields: dict[str, str], message: str
) -> None:
    values: dict[str, object] = {"kind": "event", "happened_on": MARCH_2, "title": "Summit"}
    values.update(fields)
    with pytest.raises(InvalidItem) as refused:
        ActivityStore(engine, clock).add(NewActivity(**values))  # type: ignore[arg-type]
    assert str(refused.value).startswith(message)
    assert count(engine, Activity) == 0


def test_activities_are_listed_by_month_and_kind(engine: Engine, clock: FakeClock) -> None:
    store = ActivityStore(engine, clock)
    for kind, day, title in [
        ("event", date(2026, 2, 27), "Xen Summit"),
        ("interview", date(2026, 3, 1), "Podcast"),
        ("press-release", date(2026, 3, 2), "4.20"),
        ("interview", date(2026, 3, 31), "Radio"),
    ]:
        store.add(NewActivity(kind=kind, happened_on=day, title=title))
    start, end = month_bounds("2026-03")
    assert [a.title for a in store.list_activities(start=start, end=end)] == [
        "Radio",
        "4.20",
        "Podcast",
    ]
    assert [a.title for a in store.list_activities(kind="Interview")] == ["Radio", "Podcast"]
    with pytest.raises(InvalidItem, match="'talk' is not one of press-release"):
        store.list_activities(kind="talk")


def test_keyword_counts_are_appended_and_never_overwritten(
    engine: Engine, clock: FakeClock
) -> None:
    store = KeywordCountStore(engine, clock)
    day = datetime(2026, 2, 28, tzinfo=UTC)
    periods = [
        (day, day + timedelta(days=1), 12),
        (day + timedelta(days=1), day + timedelta(days=2), 7),
    ]
    assert store.latest_end("xen", "x") is None
    assert store.record("xen", "x", periods) == 2
    clock.advance(hours=5)
    # Read again later: the same periods are no-ops, even with another figure; a new one is added.
    later = [
        (day, day + timedelta(days=1), 99),
        (day + timedelta(days=2), day + timedelta(days=3), 3),
    ]
    assert store.record("xen", "x", later) == 1
    assert store.record("kvm", "x", periods[:1]) == 1
    rows = [
        (k.competitor, k.period_start.day, k.posts, k.taken_at) for k in keyword_counts(engine, "x")
    ]
    taken = clock() - timedelta(hours=5)
    assert rows == [
        ("kvm", 28, 12, clock()),
        ("xen", 28, 12, taken),  # the first reading stands
        ("xen", 1, 7, taken),
        ("xen", 2, 3, clock()),
    ]
    assert store.latest_end("xen", "x") == day + timedelta(days=3)
    assert store.latest_end("xen", "mastodon") is None
