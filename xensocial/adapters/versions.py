"""The networks' API versions: each adapter's default and the day each known version ends.

Two networks version their APIs by date and switch old versions off on a published day:
LinkedIn (monthly `LinkedIn-Version` headers, each served for at least a year, then answered
with 426) and Meta's Graph API (`vNN.0`, each served about two years). A default that was
right when written rots silently: the LinkedIn default of 202510 paused every LinkedIn channel
on 2026-10-15. So the defaults and the end dates live here, in one table:

- `channels verify` and the daemon's start warn when a channel's configured version ends
  within `WARN_DAYS` (60) days, naming the key to change (`version_warning`);
- `tests/network/adapters/test_versions.py` fails when a *default* is within 90 days of its end, so
  the next rot is a red test, not a paused channel.

Sources (read 2026-12-06): LinkedIn's Marketing API "Migrations" table of sunset dates, and
its versioning page ("supported and stable for a minimum of one year"); Meta's Graph API
changelog, "Available until" column. A version whose end is not published yet is given the
end its network's policy promises at the least (`estimated=True`): LinkedIn, one year after
its month; Graph, two years after its release.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

__all__ = [
    "DEFAULTS",
    "WARN_DAYS",
    "VersionEnd",
    "end_of",
    "how_to_move_on",
    "version_warning",
]

WARN_DAYS = 60
"""Warn this many days before a configured version ends."""


@dataclass(frozen=True)
class VersionEnd:
    """When one version of one network's API stops being served."""

    network: str
    version: str
    ends: date
    estimated: bool  # True: not published yet, the least the network's policy promises
    key: str  # the channel option that chooses the version


# network -> (the option naming the version, the default value)
DEFAULTS: dict[str, tuple[str, str]] = {
    "linkedin": ("api_version", "202607"),
    "facebook": ("graph_version", "v25.0"),
}

# Published end dates. Versions missing here get the policy's least (see `end_of`).
_LINKEDIN_SUNSETS: dict[str, date] = {
    "202506": date(2026, 6, 15),
    "202507": date(2026, 7, 15),
    "202508": date(2026, 8, 17),
    "202509": date(2026, 9, 15),
    "202510": date(2026, 10, 15),
    "202511": date(2026, 11, 16),
    "202601": date(2027, 1, 15),
    "202602": date(2027, 2, 15),
    "202603": date(2027, 3, 16),
}
_GRAPH_ENDS: dict[str, date] = {
    "v16.0": date(2025, 5, 14),
    "v17.0": date(2025, 9, 12),
    "v18.0": date(2026, 1, 26),
    "v19.0": date(2026, 5, 21),
    "v20.0": date(2026, 9, 24),
    "v21.0": date(2027, 1, 21),
    "v22.0": date(2027, 5, 20),
    "v23.0": date(2027, 10, 8),
    "v24.0": date(2028, 2, 18),
    "v25.0": date(2028, 7, 29),
}
_GRAPH_RELEASED: dict[str, date] = {
    "v26.0": date(2026, 7, 29),
    "v27.0": date(2026, 11, 4),
}


def end_of(network: str, version: str) -> VersionEnd | None:
    """When `version` of `network`'s API ends, or None for a network without dated versions
    (or a version too unlike the network's scheme to place)."""
    key = DEFAULTS.get(network, ("", ""))[0]
    if network == "linkedin":
        if version in _LINKEDIN_SUNSETS:
            return VersionEnd(network, version, _LINKEDIN_SUNSETS[version], False, key)
        month = _linkedin_month(version)
        if month is None:
            return None
        # At least one year: the 15th of the same month a year on, as LinkedIn's table shows.
        return VersionEnd(network, version, date(month.year + 1, month.month, 15), True, key)
    if network == "facebook":
        if version in _GRAPH_ENDS:
            return VersionEnd(network, version, _GRAPH_ENDS[version], False, key)
        if version in _GRAPH_RELEASED:
            released = _GRAPH_RELEASED[version]
            return VersionEnd(network, version, released.replace(year=released.year + 2), True, key)
        return _older_graph(version, key)
    return None


def version_warning(network: str, version: str, today: date, *, channel: str) -> str | None:
    """A one-line warning when `version` ends within `WARN_DAYS` of `today` (or has ended),
    naming the channel, the date and the key to change; None otherwise."""
    end = end_of(network, version)
    if end is None:
        return None
    left = (end.ends - today).days
    if left > WARN_DAYS:
        return None
    fix = how_to_move_on(network, version)
    when = "ended by" if left < 0 else "ends on"
    about = " (at the earliest)" if end.estimated else ""
    return (
        f"channel {channel!r}: {network} {end.key} {version} {when} "
        f"{end.ends.isoformat()}{about}; {fix}"
    )


def how_to_move_on(network: str, version: str) -> str:
    """What a person changes when `version` of `network`'s API ends or is refused: the key and
    the default to set, or (when the default itself is refused) an upgrade. One wording for the
    warning before the end and the pause after it."""
    key, default = DEFAULTS[network]
    if version != default:
        return f'set [channels.options] {key} = "{default}" (or remove it to use the default)'
    return f"upgrade xensocial, or set [channels.options] {key} to a version the network serves now"


def _linkedin_month(version: str) -> date | None:
    if len(version) != 6 or not version.isdigit():
        return None
    year, month = int(version[:4]), int(version[4:])
    if not 2022 <= year <= 2100 or not 1 <= month <= 12:
        return None
    return date(year, month, 1)


def _older_graph(version: str, key: str) -> VersionEnd | None:
    """A Graph version older than the table: it had ended by the table's oldest end."""
    try:
        major = int(version.lstrip("v").split(".")[0])
    except ValueError:
        return None
    if major >= 16:
        return None  # newer than the table knows: no claim
    return VersionEnd("facebook", version, _GRAPH_ENDS["v16.0"], False, key)
