"""Which competitors and themes a text mentions: whole words, ignoring case.

Share of voice and themes are counted at report time from the text kept (a clip's title and
summary, a post's title, text and tags), so changing the keywords in the configuration
re-counts the past too. "Xen" matches "Xen 4.20" and "xen." but not "Xenial"; a keyword of
several words ("Xen Project") matches with any run of spaces between them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import regex

__all__ = ["KeywordSet"]


@dataclass(frozen=True)
class KeywordSet:
    """Named groups of keywords, compiled once: one pattern per group."""

    patterns: Mapping[str, regex.Pattern[str]]

    @classmethod
    def build(cls, groups: Mapping[str, Iterable[str]]) -> KeywordSet:
        compiled: dict[str, regex.Pattern[str]] = {}
        for name, words in groups.items():
            alternatives = sorted(
                (r"\s+".join(regex.escape(part) for part in w.split()) for w in words if w.strip()),
                key=len,
                reverse=True,
            )
            if alternatives:
                # \b would treat "C++" or ".NET" badly; "not a word character on either side" works
                # for any keyword.
                compiled[name] = regex.compile(
                    r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)",
                    regex.IGNORECASE,
                )
        return cls(compiled)

    @property
    def names(self) -> list[str]:
        return list(self.patterns)

    def matches(self, *texts: str) -> list[str]:
        """The groups mentioned at least once in any of `texts`, in configuration order."""
        joined = "\n".join(t for t in texts if t)
        return [name for name, pattern in self.patterns.items() if pattern.search(joined)]
