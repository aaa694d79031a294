"""Hypothesis strategies for values staff can get wrong, one per kind of input.

Each strategy draws only values that are wrong for a stated reason (the comment next to each
branch), never "random text that is probably wrong": a property that fails then points at a bug,
not at an unlucky draw. Text never holds a NUL or a lone surrogate, which no real command line
can carry; CSV files get those separately.
"""

from __future__ import annotations

from hypothesis import strategies as st

__all__ = [
    "CHANNELS",
    "bad_categories",
    "bad_channels",
    "bad_durations",
    "bad_feed_urls",
    "bad_item_ids",
    "bad_priorities",
    "bad_urls",
    "bad_whens",
    "no_digits",
]

CHANNELS = ("demo", "fast")  # the harness configuration's channels
_HELP = {"-h", "--help", "--version"}  # a positional value click would read as a request for help

_CHARS = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
_NO_DIGIT_CHARS = st.characters(blacklist_categories=("Cs", "Nd"), blacklist_characters="\x00")


def no_digits(min_size: int = 0) -> st.SearchStrategy[str]:
    """Text without a single digit: never a date, a number or a duration."""
    return st.text(_NO_DIGIT_CHARS, min_size=min_size, max_size=30).filter(lambda s: s not in _HELP)


def _two(low: int, high: int) -> st.SearchStrategy[str]:
    return st.integers(low, high).map(lambda n: f"{n:02d}")


def _longer_than(seconds: float) -> st.SearchStrategy[str]:
    """A duration ("N<unit>") longer than `seconds`, in any unit."""
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
    return st.sampled_from(sorted(units)).flatmap(
        lambda u: st.integers(int(seconds / units[u]) + 1, int(seconds / units[u]) * 10**6).map(
            lambda n: f"{n}{u}"
        )
    )


_PAST_YEAR_9999 = 3e11  # seconds: from 2026, past the last date a datetime holds (9999-12-31)
_PAST_TIMEDELTA = 8.7e13  # seconds beyond the longest timedelta (999,999,999 days)
_A_YEAR = 366 * 86400  # seconds: xensocial.config.feeds.MAX_INTERVAL


def bad_whens() -> st.SearchStrategy[str]:
    """Not a date/time `--not-before` or `--expires` can mean (the zone is Europe/Amsterdam)."""
    year = st.integers(1970, 2100).map(lambda y: f"{y:04d}")
    return st.one_of(
        no_digits(),  # words, punctuation, nothing at all
        st.builds("+{}".format, no_digits()),  # "+" and no duration
        st.builds("{}-{}-{}".format, year, _two(13, 99), _two(1, 28)),  # no such month
        st.builds("{}-{}-{}".format, year, _two(1, 12), _two(32, 99)),  # no such day
        st.builds("{}-02-{}".format, year, _two(30, 31)),  # no 30 or 31 February
        st.builds("{}-01-01 {}:00".format, year, _two(24, 99)),  # no such hour
        st.builds("{}-01-01T12:{}".format, year, _two(60, 99)),  # no such minute
        _longer_than(_PAST_YEAR_9999).map("+{}".format),  # beyond year 9999
        # Instants before year 1 or after year 9999 once in UTC.
        st.builds("0001-01-01T00:{}".format, _two(0, 15)),  # Amsterdam was UTC+0:19:32
        st.builds("0001-01-01T00:00+{}:00".format, _two(1, 14)),
        st.builds("9999-12-31T23:59-{}:00".format, _two(1, 12)),
    )


def bad_priorities() -> st.SearchStrategy[str]:
    """Not a priority: not a whole number, or outside the database's 32-bit integers."""
    return st.one_of(
        no_digits(min_size=1).filter(lambda s: s.strip() != ""),
        st.floats(allow_nan=False, allow_infinity=False)
        .filter(lambda f: f != int(f))
        .map(repr),  # 1.5
        st.integers(min_value=2**31).map(str),
        st.integers(max_value=-(2**31) - 1).map(str),
    )


def bad_item_ids() -> st.SearchStrategy[str]:
    """Not the id of an item: not a number, 0 or less, or a number no item has (the harness
    holds one item, id 1), up to numbers no database integer can hold."""
    return st.one_of(
        no_digits(min_size=1).filter(lambda s: not s.startswith("-")),
        st.integers(max_value=0).map(str),
        st.integers(min_value=2, max_value=2**63 - 1).map(str),
        st.integers(min_value=2**63).map(str),
    )


def bad_channels() -> st.SearchStrategy[str]:
    """Not a configured channel's name."""
    return st.text(_CHARS, max_size=30).filter(lambda s: s not in CHANNELS and s not in _HELP)


def bad_urls() -> st.SearchStrategy[str]:
    """Not an http(s) link to a page."""
    host = st.from_regex(r"[a-z]{1,10}\.(org|com)", fullmatch=True)
    return st.one_of(
        no_digits().filter(lambda s: ":" not in s),  # no scheme at all
        st.builds(  # another scheme
            "{}://example.org/".format,
            st.from_regex(r"[a-z][a-z0-9+.\-]{0,8}", fullmatch=True).filter(
                lambda s: s not in ("http", "https")
            ),
        ),
        st.sampled_from(["http://", "https://", "http:///path", "https://:443/", "http://@/"]),
        # What urlsplit itself refuses: a bracket not closed, a host NFKC changes ("℀" -> "a/c").
        st.sampled_from(["http://[::1:18500/bad", "https://[v1.x/", "http://a\u2100b.org/"]),
        st.builds(  # a port that is not one
            "https://{}:{}/".format,
            host,
            st.one_of(
                st.integers(65536, 10**12).map(str),
                st.text(st.characters(whitelist_categories=("Ll", "Lu")), min_size=1, max_size=5),
            ),
        ),
        st.builds(  # blanks or control characters inside the address
            "https://{}{}{}/".format,
            host,
            st.text(st.sampled_from(" \t\r\n\x0b\x0c\x01\x1f\x7f"), min_size=1, max_size=3),
            host,
        ),
    )


def bad_feed_urls() -> st.SearchStrategy[str]:
    """Not a feed address (`feeds add` also takes `file:PATH`, so no scheme-less text here)."""
    return bad_urls().filter(lambda u: "://" in u and not u.lower().startswith("file"))


def bad_categories() -> st.SearchStrategy[str]:
    """Not a category: blank, or longer than the 40 characters the database keeps."""
    return st.one_of(
        st.text(st.sampled_from(" \t"), max_size=5),
        st.text(st.characters(whitelist_categories=("Ll", "Lu")), min_size=41, max_size=80),
    )


def bad_durations() -> st.SearchStrategy[str]:
    """Not a feed's polling interval: not a duration, under a second, or beyond any date."""
    return st.one_of(
        no_digits(),
        st.builds("{}x".format, st.integers(1, 1000)),  # a unit that does not exist
        st.sampled_from(["0s", "0m", "999ms", "500ms", "1"]),
        _longer_than(_PAST_TIMEDELTA),  # longer than any duration can be
        _longer_than(_A_YEAR),  # longer than a feed may wait (its next poll overflowed)
    )
