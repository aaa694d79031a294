"""The report delivered: `[[report.deliveries]]` mailed on their schedule, once, and by hand.

One check (`run_once`, every `[alerts] check_every` in the daemon) does two steps:

1. for each delivery, the period due now (`reporting.schedule.due_period`: by default the
   month just ended, from the 1st at 09:00 local) is recorded as owed (`content_queue.
   report_sends`), unique per (period, target, recipients, send time): every replica and every
   restart computes the same row, so a month's report is owed once;
2. each owed row is claimed (a lease, as alerts are), the report built and mailed through the
   delivery's `email` [[notify]] target (`email.send_email`, its server and credentials), then
   marked sent. A failure is retried with alerting's backoff (`job.retry_at`: 30 s doubling to
   an hour, for two days; a refused login at once `failed`), and logged (`report_failed`).

So a daemon started on the 1st at 10:00, or restarted after a crash, still sends the report,
and never twice: a process killed between the claim and the mark sends it again after its
restart, and the repeat carries the same `X-Xensocial-Id` and `Message-ID` (`email.identify`),
so mail programs that deduplicate show it once. The job runs on its own thread and under
`Replica.run_solo("report_delivery")`: building a report and talking to an SMTP server never
holds up a slot.

`report send` mails one by hand through `send_by_hand`: recorded too (`by_hand`), for the
record, but due at the moment it was asked for, so it never stands in for the scheduled one (a
copy sent to oneself to check it must not cancel the board's).
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import structlog

from content_queue.report_sends import ReportSendRow, ReportSendStore
from content_queue.timeutil import Clock

from .email import NotifyFailed
from .job import LEASE, retry_at

if TYPE_CHECKING:
    from email.message import EmailMessage

    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session, sessionmaker

    from ..config import Settings
    from ..reporting.model import Report
    from ..reporting.periods import Period

__all__ = ["EXECUTOR", "ReportDeliveries", "mail_report", "period_of"]

log = structlog.get_logger("xensocial.report_delivery")

EXECUTOR = "reports"
ALL_FORMATS = ("html", "csv", "pdf")

ReportFor = Callable[["Period"], "Report"]


def period_of(label: str, zone: str) -> Period:
    """The period a record's label names: `2026-11` or `2026-Q4`."""
    from ..reporting.periods import parse_month, parse_quarter

    return parse_quarter(label, zone) if "Q" in label else parse_month(label, zone)


def mail_report(
    settings: Settings,
    report: Report,
    target_name: str,
    recipients: Sequence[str],
    formats: Sequence[str],
    uid: str,
    *,
    tls_context: ssl.SSLContext | None = None,
) -> EmailMessage:
    """Mail `report` to `recipients` through the email target `target_name` (its server, its
    login, its sender); the message sent. Raises NotifyFailed."""
    from ..errors import UsageError
    from ..reporting.mail import report_email
    from .email import identify, send_email
    from .send import target_secrets

    try:
        target = settings.notify_target(target_name)
    except UsageError as exc:  # removed from the configuration since it was owed
        raise NotifyFailed(target_name, str(exc), retry=False) from None
    if target.kind != "email":
        raise NotifyFailed(target_name, f"a report goes by email, not {target.kind}", retry=False)
    message = report_email(
        report, sender=target.options["from"], recipients=recipients, formats=formats
    )
    identify(message, uid, target.options["from"])
    to = replace(target, options={**target.options, "to": tuple(recipients)})
    send_email(to, target_secrets(target), message, tls_context=tls_context)
    return message


class ReportDeliveries:
    """The deliveries of one process (see the module docstring). `report_for` builds a
    period's report (the daemon's: from its engine); `reclaim_own`: this process holds its
    identity's lock, so rows claimed under that name belong to a process that died."""

    def __init__(
        self,
        settings: Settings,
        sessions: Engine | sessionmaker[Session],
        report_for: ReportFor,
        *,
        clock: Clock,
        reclaim_own: bool = False,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        self.settings, self.clock, self.reclaim_own = settings, clock, reclaim_own
        self.store = ReportSendStore(sessions, clock=clock)
        self.report_for = report_for
        self.tls_context = tls_context

    @classmethod
    def for_engine(cls, settings: Settings, engine: Engine, **kwargs: Any) -> ReportDeliveries:
        """The daemon's: reports built from `engine` at the clock's time."""
        from ..reporting.build import build_report

        clock: Clock = kwargs["clock"]

        def report_for(period: Period) -> Report:
            return build_report(engine, period, settings.report, settings.channel_names,
                                now=clock())  # fmt: skip

        return cls(settings, engine, report_for, **kwargs)

    def run_once(self) -> tuple[int, int]:
        """Record what is due now, then send every due row; (sent, failed) counts."""
        from ..reporting.schedule import due_period, send_time

        now = self.clock()
        for d in self.settings.report.deliveries:
            period = due_period(now, self.settings.timezone, d.period, d.day, d.at)
            if self.store.owe(period.label, d.target, d.to, send_time(period, d.day, d.at)):
                log.info("report_owed", period=period.label, target=d.target)
        sent = failed = 0
        owner = self.settings.identity
        for row in self.store.due(owner, reclaim_own=self.reclaim_own):
            if not self.store.claim(row.id, owner, LEASE, reclaim_own=self.reclaim_own):
                continue  # another replica took it meanwhile
            if self._send(row, self._formats(row)):
                sent += 1
            else:
                failed += 1
        return sent, failed

    def send_by_hand(self, period: Period, target: str, recipients: Sequence[str]) -> EmailMessage:
        """Mail `period`'s report now, recorded as sent by hand. Raises NotifyFailed."""
        owner = self.settings.identity
        report = self.report_for(period)  # first: nothing is recorded of a report not made
        row_id = self.store.owe(period.label, target, recipients, self.clock(), by_hand=True)
        row = self.store.get(row_id) if row_id is not None else None
        if row is None or not self.store.claim(row.id, owner, LEASE):
            raise NotifyFailed(target, "the same report was being sent at the same instant")
        try:
            message = mail_report(self.settings, report, target, recipients, ALL_FORMATS,
                                  row.uid, tls_context=self.tls_context)  # fmt: skip
        except NotifyFailed as exc:
            self.store.failed(row.id, owner, str(exc), None)
            raise
        self.store.sent(row.id, owner)
        return message

    def _formats(self, row: ReportSendRow) -> tuple[str, ...]:
        for d in self.settings.report.deliveries:
            if d.target == row.target and d.to == row.recipients:
                return d.formats
        return ALL_FORMATS  # the delivery changed since: the full report

    def _send(self, row: ReportSendRow, formats: Sequence[str]) -> bool:
        owner = self.settings.identity
        try:
            report = self.report_for(period_of(row.period, self.settings.timezone))
            mail_report(self.settings, report, row.target, row.recipients, formats, row.uid,
                        tls_context=self.tls_context)  # fmt: skip
        except NotifyFailed as exc:
            return self._failed(row, exc)
        except Exception as exc:  # the report could not be built: tried again later
            log.exception("report_build_failed", period=row.period)
            return self._failed(row, NotifyFailed(row.target, f"{type(exc).__name__}: {exc}"))
        self.store.sent(row.id, owner)
        log.info("report_sent", period=row.period, target=row.target, to=list(row.recipients))
        return True

    def _failed(self, row: ReportSendRow, exc: NotifyFailed) -> bool:
        again = retry_at(self.clock(), row.created_at, row.attempts, exc)
        self.store.failed(row.id, self.settings.identity, str(exc), again)
        log.warning("report_failed", period=row.period, target=row.target, reason=str(exc),
                    retry_at=again.isoformat() if again else None)  # fmt: skip
        return False

    # -- in the daemon -----------------------------------------------------------------------

    def schedule(self, scheduler: Any, solo: Callable[[str, Callable[[], None]], bool]) -> None:
        """Add the check to the daemon's scheduler, every `[alerts] check_every`, through
        `solo` (`Replica.run_solo`), on its own executor; first at once (a daemon started after
        the send time sends the report without waiting a period)."""
        if not self.settings.report.deliveries:
            return
        scheduler.add_job(
            lambda: solo("report_delivery", self._guarded),
            "interval",
            seconds=self.settings.alerts.check_every.total_seconds(),
            next_run_time=datetime.now(UTC),
            id="report_delivery",
            name="report delivery",
            executor=EXECUTOR,
        )

    def _guarded(self) -> None:
        try:
            self.run_once()
        except Exception:  # a database hiccup: the next check tries again; posting goes on
            log.exception("report_delivery_round_failed")
