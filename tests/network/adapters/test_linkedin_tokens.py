"""LinkedIn tokens: renewed with a refresh token before they end, warned about where there is
none, against the fake LinkedIn and its fake OAuth server over real HTTP. Time moves with the
clock, never with sleeps: the fake's tokens run out by the same clock.
"""

from __future__ import annotations

import json
import stat
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from structlog.testing import capture_logs

from content_queue import Ledger, SlotOutcome
from tests.conftest import FakeClock
from tests.fakes.linkedin import FakeLinkedIn
from tests.fakes.linkedin_oauth import ACCESS_TOKEN_LIFE, FakeLinkedInOAuth
from tests.fakes.server import FakeServer, Fault
from tests.network.adapters.conftest import slot_publisher
from tests.network.adapters.linkedin_rig import creates, li, make, post
from xensocial.adapters._state import state_file
from xensocial.adapters.base import AuthError
from xensocial.adapters.linkedin import LinkedInAdapter
from xensocial.redaction import redact_text

__all__ = ["li"]  # a fixture, from the rig

RENEWALS = FakeLinkedInOAuth.ACCESS_TOKEN


def renewing(
    server: FakeServer, li: FakeLinkedIn, clock: FakeClock, data: Path, **options: str
) -> LinkedInAdapter:
    """An adapter with a refresh token and the app's credentials, its state kept in `data`."""
    secrets = {
        "refresh_token": "li-refresh",
        "client_id": li.oauth.client_id,
        "client_secret": li.oauth.client_secret,
    }
    options.setdefault("oauth_base_url", server.url)
    return make(server.url, li.token, clock, secrets=secrets, data_dir=data, **options)


def stored(data: Path) -> dict[str, object]:
    return state_file(data, "linkedin", "li").load() or {}


# -- renewal ------------------------------------------------------------------------------------


def test_a_token_is_renewed_before_it_ends_and_kept_privately(
    server: FakeServer, li: FakeLinkedIn, clock: FakeClock, tmp_path: Path
) -> None:
    li.oauth.issue_refresh_token("li-refresh")
    ends = clock() + ACCESS_TOKEN_LIFE
    adapter = renewing(server, li, clock, tmp_path, token_expires_at=ends.isoformat())
    adapter.publish(post(1))  # 60 days left: nothing to renew
    assert server.requests("POST", RENEWALS) == []
    clock.set(ends - timedelta(days=6))  # within 7 days of its end
    with capture_logs() as logs:
        adapter.publish(post(2))
    (renewal,) = server.requests("POST", RENEWALS)
    assert renewal.form == {
        "grant_type": "refresh_token",
        "refresh_token": "li-refresh",
        "client_id": li.oauth.client_id,
        "client_secret": li.oauth.client_secret,
    }
    first, second = server.requests("POST", FakeLinkedIn.POSTS)
    assert first.headers["authorization"] == f"Bearer {li.token}"
    new = second.headers["authorization"].removeprefix("Bearer ")
    assert new != li.token and new in li.oauth.access_tokens
    state = state_file(tmp_path, "linkedin", "li")
    assert stat.S_IMODE(state.path.stat().st_mode) == 0o600
    record = stored(tmp_path)["renewed"]
    assert isinstance(record, dict) and record["access_token"] == new
    assert record["expires_at"] == (clock() + ACCESS_TOKEN_LIFE).isoformat()
    assert "li-refresh" not in state.path.read_text()  # not rotated: the configured one stands
    logged = json.dumps(logs, default=str)
    assert "linkedin_token_renewed" in logged
    assert new not in logged and "li-refresh" not in logged
    assert redact_text(f"token {new}") == "token [redacted]"  # registered as a secret
    clock.advance(days=1)
    again = renewing(server, li, clock, tmp_path, token_expires_at=ends.isoformat())
    again.fetch_followers()  # another process: the stored token, no second renewal
    assert len(server.requests("POST", RENEWALS)) == 1
    assert server.log[-1].headers["authorization"] == f"Bearer {new}"


def test_a_token_of_unknown_age_is_renewed_at_the_first_call(
    server: FakeServer, li: FakeLinkedIn, clock: FakeClock, tmp_path: Path
) -> None:
    li.oauth.issue_refresh_token("li-refresh")
    adapter = renewing(server, li, clock, tmp_path)
    adapter.publish(post(1))
    assert len(server.requests("POST", RENEWALS)) == 1
    adapter.publish(post(2))
    assert len(server.requests("POST", RENEWALS)) == 1  # 60 days known now


def test_a_401_renews_once_and_sends_the_post_once(
    server: FakeServer, li: FakeLinkedIn, clock: FakeClock, tmp_path: Path
) -> None:
    li.oauth.issue_refresh_token("li-refresh")
    adapter = renewing(server, li, clock, tmp_path, token_expires_at="2027-01-01T00:00:00Z")
    li.revoke()  # the configured token stops working long before its end
    adapter.publish(post(1))
    refused, sent = server.requests("POST", FakeLinkedIn.POSTS)
    assert refused.headers["authorization"] == f"Bearer {li.token}"
    (renewal,) = server.requests("POST", RENEWALS)
    assert server.log.index(refused) < server.log.index(renewal) < server.log.index(sent)
    (created,) = li.posts  # refused before anything was done: one post
    assert sent.headers["authorization"] != refused.headers["authorization"]


def test_a_rotated_refresh_token_is_kept_and_used_next_time(
    server: FakeServer, li: FakeLinkedIn, clock: FakeClock, tmp_path: Path
) -> None:
    li.oauth.issue_refresh_token("li-refresh")
    li.oauth.rotate = True
    adapter = renewing(server, li, clock, tmp_path)
    adapter.fetch_followers()
    record = stored(tmp_path)["renewed"]
    assert isinstance(record, dict)
    rotated = record["refresh_token"]
    assert rotated != "li-refresh" and rotated in li.oauth.refresh_tokens
    clock.advance(ACCESS_TOKEN_LIFE - timedelta(days=3))
    adapter.fetch_followers()  # the configured refresh token is spent: the kept one works
    second = server.requests("POST", RENEWALS)[1]
    assert second.form["refresh_token"] == rotated


def test_a_new_configured_refresh_token_sets_the_stored_tokens_aside(
    server: FakeServer, li: FakeLinkedIn, clock: FakeClock, tmp_path: Path
) -> None:
    li.oauth.issue_refresh_token("li-refresh")
    renewing(server, li, clock, tmp_path).fetch_followers()
    li.oauth.issue_refresh_token("li-refresh-2")
    secrets = {
        "refresh_token": "li-refresh-2",
        "client_id": li.oauth.client_id,
        "client_secret": li.oauth.client_secret,
    }
    make(
        server.url, li.token, clock, secrets=secrets, data_dir=tmp_path, oauth_base_url=server.url
    ).fetch_followers()
    renewals = server.requests("POST", RENEWALS)
    assert [r.form["refresh_token"] for r in renewals] == ["li-refresh", "li-refresh-2"]


def test_an_early_renewal_that_fails_goes_on_with_the_token_it_has(
    server: FakeServer, li: FakeLinkedIn, clock: FakeClock, tmp_path: Path
) -> None:
    li.oauth.issue_refresh_token("li-refresh")
    ends = clock() + timedelta(days=5)
    li.oauth.expire(li.token, ends)
    adapter = renewing(server, li, clock, tmp_path, token_expires_at=ends.isoformat())
    server.fault("POST", RENEWALS, Fault.respond(503, {"error": "server_error"}))
    with capture_logs() as logs:
        adapter.publish(post(1))
    assert len(li.posts) == 1  # posted with the token that still works
    assert any(e["event"] == "linkedin_token_renewal_failed" for e in logs)
    adapter.publish(post(2))
    assert len(server.requests("POST", RENEWALS)) == 1  # not again within the hour
    clock.advance(hours=1)
    adapter.publish(post(3))
    assert len(server.requests("POST", RENEWALS)) == 2  # and then it worked
    assert "renewed" in stored(tmp_path)


def test_a_refused_refresh_token_pauses_the_channel_saying_what_to_do(
    engine: Engine, server: FakeServer, li: FakeLinkedIn, clock: FakeClock, tmp_path: Path
) -> None:
    li.oauth.issue_refresh_token("li-refresh", lives=timedelta(days=30))
    adapter = renewing(server, li, clock, tmp_path / "state")
    adapter.fetch_followers()  # renewed at once (unknown age), the refresh token has 30 days
    clock.advance(ACCESS_TOKEN_LIFE + timedelta(days=1))  # both tokens have ended
    queue, item, channel, pub = slot_publisher(engine, clock, tmp_path, adapter, "li", "linkedin")
    result = pub.run_slot(channel, clock())
    assert result.outcome is SlotOutcome.SKIPPED
    reason = Ledger(engine, clock).status("li").pause_reason or ""
    assert reason.startswith("auth failed: renewing the LinkedIn access token: HTTP 400")
    assert "invalid_grant" in reason and "[channels.secrets] refresh_token" in reason
    delivery = queue.get(item).delivery("li")
    assert delivery is not None and delivery.state == "pending"
    assert creates(server) == 0 and li.posts == []


def test_adapters_due_at_once_renew_once_under_the_file_lock(
    server: FakeServer, li: FakeLinkedIn, clock: FakeClock, tmp_path: Path
) -> None:
    li.oauth.issue_refresh_token("li-refresh")
    li.oauth.rotate = True  # a second renewal with the spent token would be refused
    adapters = [renewing(server, li, clock, tmp_path) for _ in range(4)]
    errors: list[BaseException] = []

    def call(a: LinkedInAdapter) -> None:
        try:
            a.fetch_followers()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=call, args=(a,)) for a in adapters]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert len(server.requests("POST", RENEWALS)) == 1


# -- warnings where there is no refresh token ---------------------------------------------------


def test_a_configured_end_warns_from_7_days_before_without_network_io(
    server: FakeServer, li: FakeLinkedIn, clock: FakeClock, tmp_path: Path
) -> None:
    ends = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
    adapter = make(
        server.url, li.token, clock, data_dir=tmp_path, token_expires_at="2026-03-20T12:00:00Z"
    )
    clock.set(ends - timedelta(days=7, minutes=1))
    assert adapter.warnings() == []
    clock.set(ends - timedelta(days=7))
    [warning] = adapter.warnings()
    assert warning.startswith("channel 'li': linkedin access_token expires on 2026-03-20 12:00")
    assert "(in 7 days)" in warning and "[channels.secrets] access_token" in warning
    assert "token_expires_at" in warning
    clock.set(ends + timedelta(hours=1))
    [warning] = adapter.warnings()
    assert "expired on 2026-03-20 12:00 UTC" in warning
    assert server.log == []


def test_verify_learns_the_end_from_introspection_and_it_is_kept(
    server: FakeServer, li: FakeLinkedIn, clock: FakeClock, tmp_path: Path
) -> None:
    ends = clock() + timedelta(days=5, hours=3)
    li.oauth.expire(li.token, ends)
    secrets = {"client_id": li.oauth.client_id, "client_secret": li.oauth.client_secret}
    adapter = make(
        server.url, li.token, clock, secrets=secrets, data_dir=tmp_path, oauth_base_url=server.url
    )
    assert adapter.warnings() == []  # nothing known yet
    adapter.verify()
    (asked,) = server.requests("POST", FakeLinkedInOAuth.INTROSPECT)
    assert asked.form == {
        "client_id": li.oauth.client_id,
        "client_secret": li.oauth.client_secret,
        "token": li.token,
    }
    [warning] = adapter.warnings()
    assert f"expires on {ends:%Y-%m-%d %H:%M} UTC (in 5 days)" in warning
    assert li.token not in state_file(tmp_path, "linkedin", "li").path.read_text()
    later = make(
        server.url, li.token, clock, secrets=secrets, data_dir=tmp_path, oauth_base_url=server.url
    )
    assert later.warnings() == [warning]  # another process (`channels list`, the daemon)
    assert len(server.log) == 3  # organization, followers, introspection: none since
    other = make(server.url, "another-token", clock, data_dir=tmp_path)
    assert other.warnings() == []  # what was learned belongs to the token it was about


def test_an_introspection_that_fails_is_a_warning_not_a_failed_verify(
    server: FakeServer, li: FakeLinkedIn, clock: FakeClock, tmp_path: Path
) -> None:
    secrets = {"client_id": li.oauth.client_id, "client_secret": "wrong"}
    adapter = make(
        server.url, li.token, clock, secrets=secrets, data_dir=tmp_path, oauth_base_url=server.url
    )
    assert adapter.verify().account == li.name
    [warning] = adapter.warnings()
    assert "could not read the access token's end" in warning and "invalid_client" in warning
    assert "wrong" not in warning


def test_with_a_refresh_token_only_its_own_end_is_warned_about(
    server: FakeServer, li: FakeLinkedIn, clock: FakeClock, tmp_path: Path
) -> None:
    li.oauth.issue_refresh_token("li-refresh", lives=timedelta(days=20))
    adapter = renewing(server, li, clock, tmp_path, token_expires_at=clock().isoformat())
    assert adapter.warnings() == []  # the access token is renewed: its end is no concern
    adapter.fetch_followers()
    clock.advance(days=12, hours=23, minutes=59)
    assert adapter.warnings() == []
    clock.advance(minutes=1)  # 7 days left
    [warning] = adapter.warnings()
    assert "linkedin refresh_token expires on" in warning and "authorize the app again" in warning


def test_a_revoked_token_without_a_refresh_token_is_an_auth_error(
    server: FakeServer, li: FakeLinkedIn, clock: FakeClock, tmp_path: Path
) -> None:
    adapter = make(server.url, li.token, clock, data_dir=tmp_path)
    li.revoke()
    with pytest.raises(AuthError, match="REVOKED_ACCESS_TOKEN"):
        adapter.publish(post(1))
    assert server.requests("POST", RENEWALS) == [] and not (tmp_path / "credentials").exists()
