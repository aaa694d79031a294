"""Durations as written in the configuration: parse, format, and the round trip."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xensocial.durations import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0s", timedelta(0)),
        ("90s", timedelta(seconds=90)),
        ("5m", timedelta(minutes=5)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("1h 30m", timedelta(hours=1, minutes=30)),
        (" 2D ", timedelta(days=2)),
        ("1w", timedelta(weeks=1)),
        ("250ms", timedelta(milliseconds=250)),
        ("1m500ms", timedelta(minutes=1, milliseconds=500)),
        ("1.5h", timedelta(minutes=90)),
        ("0.5s", timedelta(milliseconds=500)),
        ("1d2h3m4s", timedelta(days=1, hours=2, minutes=3, seconds=4)),
    ],
)
def test_parse(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text", ["", "  ", "5", "m", "5x", "5 minutes", "-5m", "+5m", "1h-30m", "1e3s", "5m!", "s5"]
)
def test_parse_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="duration such as|is not a duration"):
        parse_duration(text)


def test_parse_error_names_the_text() -> None:
    with pytest.raises(ValueError) as info:
        parse_duration("5 mins")
    assert "'5 mins' is not a duration" in str(info.value)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (timedelta(0), "0s"),
        (timedelta(seconds=90), "1m30s"),
        (timedelta(hours=1), "1h"),
        (timedelta(days=2, seconds=5), "2d5s"),
        (timedelta(milliseconds=1500), "1s500ms"),
        (timedelta(milliseconds=250), "250ms"),
        (timedelta(seconds=-90), "-1m30s"),
    ],
)
def test_format(value: timedelta, text: str) -> None:
    assert format_duration(value) == text


@given(st.integers(min_value=0, max_value=400 * 86_400_000))
def test_format_then_parse_is_the_same_duration(millis: int) -> None:
    value = timedelta(milliseconds=millis)
    assert parse_duration(format_duration(value)) == value
