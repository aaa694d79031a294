"""What an item's fields may hold so that both databases store them: checked before writing.

SQLite stores almost anything; PostgreSQL refuses a category longer than its column, a priority
outside a 32-bit integer and a NUL character in any text, with a database error (exit 1) instead
of a clear refusal (exit 2). The queue checks these limits for every item it adds or edits, and
the CLI declares its options with the same bounds, so bad input is refused the same way on both
backends. Light on purpose (no SQLAlchemy): the CLI reads these numbers when it starts, and
the plain DB-API path (`fastwrite`) writes with them, so the ORM and the plain path share one
number for each size instead of copies (the words, such as states, are in `vocabulary`).

The sizes of an item's words (`size_problem`) are also what keeps the work on them bounded:
rendering a post and counting it the way a network counts (X's counter is quadratic on some
input) cost far more than measuring a string's length, so every path checks the sizes *first*,
before any rendering, counting or parsing: the queue when it adds or edits (`newitems`), and
`xensocial.rendering.render_post`, which the CLI's fit checks, `preview` and the daemon all call,
for whatever reaches it (a value stored before a limit existed, a row of a file).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

__all__ = [
    "FIRST_YEAR",
    "LAST_YEAR",
    "MAX_ACTOR",
    "MAX_CATEGORY",
    "MAX_DETAIL",
    "MAX_IMAGES",
    "MAX_ITEM_ID",
    "MAX_TAG",
    "MAX_TAGS",
    "MAX_TEXT",
    "MAX_TITLE",
    "MAX_URL",
    "PRIORITY_MAX",
    "PRIORITY_MIN",
    "nul_problem",
    "priority_problem",
    "size_problem",
    "year_problem",
]

MAX_CATEGORY = 40  # items.category and feeds.category are VARCHAR(40)
PRIORITY_MIN, PRIORITY_MAX = -(2**31), 2**31 - 1  # INTEGER on PostgreSQL
MAX_ITEM_ID = 2**63 - 1  # the largest integer SQLite (and a PostgreSQL bigint) can compare
# An item's words, in characters (code points). Far more than any network posts (X 280,
# Facebook 63,206 for the whole post): a longer title or text is a mistake, not a post.
MAX_TITLE = 1000
MAX_TEXT = 10_000  # the text, the alternate text (`alt_text`) and a channel's own text
# A link: web servers refuse a request line much longer than 8 KB (Apache's default is 8,190
# bytes), so a longer link leads nowhere. (X sees no link beyond 4,096; sitemaps stop at 2,048.)
MAX_URL = 8192
MAX_TAGS = 100  # tags of one item (each becomes a hashtag: a post shows a handful)
MAX_TAG = 200  # characters of one tag
# Who did something, as the audit log, created_by and paused_by store it: String(100) columns,
# so a longer name is cut to fit rather than refused (the CLI refuses a longer `--as` NAME).
MAX_ACTOR = 100
MAX_DETAIL = 2000  # characters of an audit entry's detail, cut to fit
# Images of one item: four is what X, Bluesky and Mastodon's default take in one post, and no
# network shows more at once in a feed. Each network's own limits are the service's (adapters).
MAX_IMAGES = 4
# The years a date may fall in. Python's dates end with 9999: an instant in 9999 (or in year 1)
# overflows once shown in a zone a day away, so a value kept in 1..9998 can always be converted,
# displayed and compared; the command line and the configuration refuse anything else.
FIRST_YEAR, LAST_YEAR = 1, 9998


def priority_problem(priority: int) -> str | None:
    """Why `priority` cannot be stored, or None."""
    if PRIORITY_MIN <= priority <= PRIORITY_MAX:
        return None
    return (
        f"{priority} is out of range; expected a whole number from {PRIORITY_MIN} to {PRIORITY_MAX}"
    )


def nul_problem(fields: Iterable[tuple[str, str]]) -> tuple[str, str] | None:
    """The first (name, problem) of `fields` holding a NUL character, or None."""
    for name, value in fields:
        if "\x00" in value:
            return name, "contains a NUL character (a binary file, or a bad copy and paste?)"
    return None


def _longer(value: str, limit: int) -> str | None:
    return None if len(value) <= limit else f"{len(value)} characters, at most {limit}"


def size_problem(
    *,
    url: str = "",
    title: str = "",
    text: str = "",
    category: str = "",
    tags: Sequence[str] = (),
    alt_text: str | None = None,
) -> tuple[str, str] | None:
    """The first (field, problem) of an item's words that is longer than its limit, or None.

    Only lengths are measured (constant time for each string), so this is safe to call on any
    input however large, and is called before anything reads the words (see the module's
    docstring). A category is measured trimmed, as it is stored."""
    if len(tags) > MAX_TAGS:
        return "tags", f"{len(tags)} tags, at most {MAX_TAGS}"
    checks: list[tuple[str, str, int]] = [
        ("url", url, MAX_URL),
        ("title", title, MAX_TITLE),
        ("text", text, MAX_TEXT),
        ("category", category.strip(), MAX_CATEGORY),
        *(("tags", tag, MAX_TAG) for tag in tags),
    ]
    if alt_text is not None:
        checks.append(("alt_text", alt_text, MAX_TEXT))
    for name, value, limit in checks:
        problem = _longer(value, limit)
        if problem is not None:
            return name, problem
    return None


def year_problem(year: int) -> str | None:
    """Why a date in `year` cannot be taken (see FIRST_YEAR), or None."""
    if FIRST_YEAR <= year <= LAST_YEAR:
        return None
    return f"year {year} is out of range; dates must fall in the years {FIRST_YEAR} to {LAST_YEAR}"
