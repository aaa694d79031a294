"""`xensocial notify ...`: the notification targets of `[[notify]]`, tried and shown.

`notify test` sends a test message through the very function the daemon's alerting job uses
(`xensocial.notify.send.send`), so a target that passes here is one alerts reach; `notify list`
reads the record the job keeps (`content_queue.notices`): the targets, the recent events and
what each notification became, and the reports mailed (`content_queue.report_sends`).
"""

from __future__ import annotations

import click

from ..tables import format_table, trim
from .app import App, pass_app
from .output import echo, emit_json

__all__ = ["notify"]


class TestFailed(click.ClickException):
    """A target did not take the test message (a run-time failure)."""

    exit_code = 1


@click.group()
def notify() -> None:
    """Notifications: alerts sent to the targets of [[notify]] (docs/notifications.md)."""


@notify.command("test")
@click.argument("target", required=False)
@pass_app
def test(app: App, target: str | None) -> None:
    """Send a test message to each target (or TARGET), and print what each answered.

    Exit 1 when any target failed, 2 when there is no such target."""
    from ..notify.email import NotifyFailed
    from ..notify.send import send, trial_notice

    settings = app.settings
    targets = [settings.notify_target(target)] if target else list(settings.notify)
    if not targets:
        echo(f"No notification target in {settings.source} (add a [[notify]] table).")
        return
    failed = 0
    for t in targets:
        try:
            send(t, trial_notice(t.name, app.clock()))
        except NotifyFailed as exc:
            failed += 1
            echo(f"{t.name} ({t.kind}): FAILED: {exc}")
            continue
        echo(f"{t.name} ({t.kind}): sent")
    if failed:
        raise TestFailed(f"{failed} of {len(targets)} target(s) failed")


@notify.command("list")
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True,
              help="How many recent events and notifications.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print targets, events and notices as JSON.")
@pass_app
def list_(app: App, limit: int, as_json: bool) -> None:
    """The targets, the recent events, what became of each notification, and the reports
    mailed (scheduled or by hand)."""
    from content_queue.notices import NoticeStore
    from content_queue.report_sends import ReportSendStore

    from ..durations import format_duration

    settings = app.settings
    store = NoticeStore(app.sessions, clock=app.clock)
    events, notices = store.events(limit), store.latest(limit)
    reports = ReportSendStore(app.sessions, clock=app.clock).latest(limit)
    targets = [
        {
            "name": t.name,
            "kind": t.kind,
            "events": sorted(t.events),
            "min_severity": t.min_severity,
            "repeat": format_duration(t.repeat),
        }
        for t in settings.notify
    ]
    if as_json:
        emit_json(
            {
                "targets": targets,
                "events": [
                    {
                        "key": e.key, "severity": e.severity, "active": e.active,
                        "started_at": e.started_at.isoformat(),
                        "cleared_at": e.cleared_at.isoformat() if e.cleared_at else None,
                        "message": e.message,
                    }
                    for e in events
                ],
                "notifications": [
                    {
                        "id": n.uid, "event": n.event_key, "target": n.target, "phase": n.phase,
                        "state": n.state, "attempts": n.attempts,
                        "created_at": n.created_at.isoformat(),
                        "sent_at": n.sent_at.isoformat() if n.sent_at else None,
                        "last_error": n.last_error,
                    }
                    for n in notices
                ],
                "reports": [
                    {
                        "id": r.uid, "period": r.period, "target": r.target,
                        "to": list(r.recipients), "by_hand": r.by_hand, "state": r.state,
                        "attempts": r.attempts, "created_at": r.created_at.isoformat(),
                        "sent_at": r.sent_at.isoformat() if r.sent_at else None,
                        "last_error": r.last_error,
                    }
                    for r in reports
                ],
            }
        )  # fmt: skip
        return
    echo("Targets:")
    rows = [
        (t.name, t.kind, t.min_severity, format_duration(t.repeat), _events(t.events))
        for t in settings.notify
    ]
    headers = ("NAME", "KIND", "MIN SEVERITY", "REPEAT", "EVENTS")
    echo(_indent(format_table(headers, rows)) if rows else "  none")
    echo("\nEvents:")
    rows = [
        (e.key, e.severity, "on" if e.active else "cleared", _at(e.started_at), _at(e.cleared_at))
        for e in events
    ]
    echo(
        _indent(format_table(("EVENT", "SEVERITY", "STATE", "SINCE", "CLEARED"), rows))
        if rows
        else "  none"
    )
    echo("\nNotifications:")
    owed = [
        (
            _at(n.created_at), trim(n.event_key, 40), n.target, n.phase, n.state, n.attempts,
            trim(n.last_error or "", 50),
        )
        for n in notices
    ]  # fmt: skip
    columns = ("OWED", "EVENT", "TARGET", "PHASE", "STATE", "TRIES", "LAST ERROR")
    echo(_indent(format_table(columns, owed)) if owed else "  none")
    echo("\nReports mailed ([[report.deliveries]], report send):")
    mailed = [
        (
            _at(r.created_at), r.period, r.target, trim(", ".join(r.recipients), 40),
            "by hand" if r.by_hand else "scheduled", r.state, r.attempts,
            trim(r.last_error or "", 50),
        )
        for r in reports
    ]  # fmt: skip
    heads = ("OWED", "PERIOD", "TARGET", "TO", "HOW", "STATE", "TRIES", "LAST ERROR")
    echo(_indent(format_table(heads, mailed)) if mailed else "  none")


def _events(names: frozenset[str]) -> str:
    from ..config.notify import EVENT_KINDS

    return "all" if names == set(EVENT_KINDS) else ", ".join(sorted(names))


def _at(value: object) -> str:
    from datetime import datetime

    return value.strftime("%Y-%m-%d %H:%M") if isinstance(value, datetime) else ""


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())
