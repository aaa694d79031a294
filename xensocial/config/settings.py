"""`Settings`: the whole configuration, validated and frozen, as every command and the daemon
read it. Made only by `load.load_settings`; each table's own type is in the module that parses
that table (`channels.ChannelConfig`, `feeds.FeedConfig`, `publishing.PublishingConfig`...).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property
from pathlib import Path

from content_queue.csvrecords import CsvLimits

from ..errors import UsageError
from .blackouts import BlackoutConfig
from .channels import ChannelConfig
from .editorial import EditorialConfig
from .feeds import FeedConfig
from .health import HealthConfig
from .http import HttpConfig
from .intake import IntakeConfig
from .metrics import MetricsConfig
from .notify import AlertsConfig, NotifyTarget
from .paths import backend
from .publishing import PublishingConfig
from .report import CoverageFeedConfig, ReportConfig
from .web import WebConfig

__all__ = ["Settings"]


@dataclass(frozen=True)
class Settings:
    source: str  # the file it came from, as shown in messages
    database_url: str
    timezone: str
    data_dir: Path
    identity: str
    catch_up_grace: timedelta
    auto_migrate: bool
    import_at_start: tuple[Path, ...]
    log_level: str
    log_format: str
    publishing: PublishingConfig
    channels: tuple[ChannelConfig, ...]
    config_dir: Path
    feeds: tuple[FeedConfig, ...] = ()  # [[feeds]], see feeds.py
    intake: IntakeConfig = IntakeConfig()  # [intake]: the limits of every fetch
    metrics: MetricsConfig = MetricsConfig()  # [metrics]: see metrics.py
    report: ReportConfig = ReportConfig()  # [report]: see report.py
    coverage_feeds: tuple[CoverageFeedConfig, ...] = ()  # [[coverage_feeds]]: news searches
    http: HttpConfig = HttpConfig()  # [http]: the daemon's endpoint, see http.py
    health: HealthConfig = HealthConfig()  # [health]: what counts as unwell, health.py
    blackouts: tuple[BlackoutConfig, ...] = ()  # [[blackouts]]: see blackouts.py
    editorial: EditorialConfig = EditorialConfig()  # [editorial]: see editorial.py
    categories: tuple[str, ...] = ()  # `categories`: besides the built-in ones (`item_rules`)
    demo: bool = False  # the embedded demo, chosen because no file was named
    imports: CsvLimits = CsvLimits()  # [imports]: how much of a CSV file is read (imports.py)
    web: WebConfig = WebConfig()  # [web]: the web console, see web.py
    notify: tuple[NotifyTarget, ...] = ()  # [[notify]]: where alerts go (notify.py)
    alerts: AlertsConfig = AlertsConfig()  # [alerts]: what counts as an event (notify.py)

    def notify_target(self, name: str) -> NotifyTarget:
        for target in self.notify:
            if target.name == name:
                return target
        names = ", ".join(t.name for t in self.notify) or "none"
        raise UsageError(
            f"no notification target named {name!r} in {self.source} (targets: {names})"
        )

    @property
    def channel_names(self) -> list[str]:
        return [c.name for c in self.channels]

    def channel(self, name: str) -> ChannelConfig:
        found = self._by_name.get(name)
        if found is not None:
            return found
        raise UsageError(
            f"no channel named {name!r} in {self.source} "
            f"(channels: {', '.join(self.channel_names) or 'none'})"
        )

    @cached_property
    def _by_name(self) -> dict[str, ChannelConfig]:
        # Asked per delivery (reconciling after a slot storm): a scan of 1,000 channels each.
        return {c.name: c for c in self.channels}

    def is_sqlite(self) -> bool:
        # database_url is always rendered by `load._Parser.database_url`: the scheme comes first.
        return backend(self.database_url) == "sqlite"
