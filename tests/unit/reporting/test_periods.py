"""Periods: what `--month` and `--quarter` accept, and their exact UTC bounds across DST."""

from __future__ import annotations

from datetime import date

import pytest

from tests.storage.reporting.conftest import at
from xensocial.errors import UsageError
from xensocial.reporting.periods import (
    Period,
    default_month,
    default_quarter,
    parse_month,
    parse_quarter,
)

AMS = "Europe/Amsterdam"


def hours(period: Period) -> float:
    return (period.end - period.start).total_seconds() / 3600


def test_a_month_is_its_local_days_in_utc_across_both_changes() -> None:
    march = parse_month("2026-03", AMS)
    assert (march.first_day, march.end_day) == (date(2026, 3, 1), date(2026, 4, 1))
    assert (march.start, march.end) == (at("2026-02-28 23:00"), at("2026-03-31 22:00"))
    assert hours(march) == 31 * 24 - 1  # the spring change takes an hour out
    october = parse_month("2026-10", AMS)
    assert (october.start, october.end) == (at("2026-09-30 22:00"), at("2026-10-31 23:00"))
    assert hours(october) == 31 * 24 + 1  # the autumn change gives it back
    assert hours(parse_month("2026-03", "UTC")) == 31 * 24
    assert (march.label, march.name, march.kind, march.days) == (
        "2026-03",
        "March 2026",
        "month",
        31,
    )


def test_a_quarter_is_three_local_months() -> None:
    q1 = parse_quarter("2026-Q1", AMS)
    assert (q1.first_day, q1.end_day) == (date(2026, 1, 1), date(2026, 4, 1))
    assert (q1.start, q1.end) == (at("2025-12-31 23:00"), at("2026-03-31 22:00"))
    assert (q1.label, q1.name, q1.days) == ("2026-Q1", "Q1 2026", 90)
    assert hours(q1) == 90 * 24 - 1
    q4 = parse_quarter("2026-Q4", "America/New_York")
    assert (q4.start, q4.end) == (at("2026-10-01 04:00"), at("2027-01-01 05:00"))


def test_neighbours() -> None:
    january = parse_month("2026-01", AMS)
    assert january.previous().label == "2025-12"
    assert january.year_before().label == "2025-01"
    q1 = parse_quarter("2026-Q1", AMS)
    assert (q1.previous().label, q1.year_before().label) == ("2025-Q4", "2025-Q1")
    assert q1.previous().zone == AMS


@pytest.mark.parametrize(
    ("text", "label"),
    [("2026-03", "2026-03"), ("2026-3", "2026-03"), (" 2026-12 ", "2026-12")],
)
def test_month_forms(text: str, label: str) -> None:
    assert parse_month(text, AMS).label == label


@pytest.mark.parametrize(
    ("text", "label"),
    [("2026-Q1", "2026-Q1"), ("2026q2", "2026-Q2"), ("2026-q3", "2026-Q3"), ("2026 Q4", "2026-Q4")],
)
def test_quarter_forms(text: str, label: str) -> None:
    assert parse_quarter(text, AMS).label == label


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "2026", "26-03", "2026-03-01", "March", ""])
def test_bad_months(text: str) -> None:
    with pytest.raises(UsageError, match="is not a month; expected YYYY-MM"):
        parse_month(text, AMS)


@pytest.mark.parametrize("text", ["2026-Q5", "2026-Q0", "2026-03", "Q1", "2026-Q12"])
def test_bad_quarters(text: str) -> None:
    with pytest.raises(UsageError, match="is not a quarter; expected YYYY-Qn"):
        parse_quarter(text, AMS)


def test_defaults_are_the_last_complete_period_on_the_local_calendar() -> None:
    # 31 March 22:30 UTC is already 1 April in Amsterdam: March is complete there, not in UTC.
    late = at("2026-03-31 22:30")
    assert default_month(late, AMS).label == "2026-03"
    assert default_month(late, "UTC").label == "2026-02"
    assert default_month(at("2026-01-15 12:00"), AMS).label == "2025-12"
    assert default_quarter(late, AMS).label == "2026-Q1"
    assert default_quarter(late, "UTC").label == "2025-Q4"
    assert default_quarter(at("2026-08-01 12:00"), AMS).label == "2026-Q2"
