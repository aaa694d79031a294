"""The Bluesky session kept between processes, and `verify` on the PDS alone: the adapter
through the real atproto SDK, over real HTTP, against the fake PDS, which counts the sessions
it creates (`createSession` is limited per account) and renews (`refreshSession`).

Two adapters on one data directory stand for two processes here (each reads the state file
afresh and takes its lock); `tests/cli/test_bluesky_cli.py` runs two real processes.
"""

from __future__ import annotations

import json
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import FakeClock
from tests.fakes.bluesky import FakeBluesky
from tests.fakes.server import FakeServer, Fault
from tests.network.adapters.conftest import TIMEOUT
from xensocial.adapters.base import AuthError, ChannelContext, Post
from xensocial.adapters.bluesky import BlueskyAdapter


@pytest.fixture
def bsky(server: FakeServer, clock: FakeClock) -> FakeBluesky:
    return FakeBluesky(server, clock=clock, followers=321)


@pytest.fixture
def made() -> Iterator[list[BlueskyAdapter]]:
    """The adapters a test made, closed after it."""
    adapters: list[BlueskyAdapter] = []
    yield adapters
    for a in adapters:
        a.close()


def adapter(
    made: list[BlueskyAdapter],
    server: FakeServer,
    fake: FakeBluesky,
    clock: FakeClock,
    data_dir: Path,
    **options: object,
) -> BlueskyAdapter:
    a = BlueskyAdapter(
        ChannelContext(
            name="bsky",
            options={"handle": fake.handle, "api_base_url": server.url, "link_cards": False}
            | options,
            secrets={"app_password": fake.password},
            data_dir=data_dir,
            timeout_seconds=TIMEOUT,
            clock=clock,
        )
    )
    made.append(a)
    return a


def post(n: int) -> Post:
    return Post(key=f"k{n}", channel="bsky", item_id=n, text=f"Post {n} #xen", url="")


def state(data_dir: Path) -> Path:
    return data_dir / "credentials" / "bluesky-bsky.json"


def test_the_session_is_kept_private_and_reused_by_the_next_process(
    made: list[BlueskyAdapter],
    server: FakeServer,
    bsky: FakeBluesky,
    clock: FakeClock,
    tmp_path: Path,
) -> None:
    first = adapter(made, server, bsky, clock, tmp_path)
    first.verify()
    path = state(tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    stored = json.loads(path.read_text())
    assert stored["did"] == bsky.did and stored["handle"] == bsky.handle
    assert stored["accessJwt"] in bsky._access and stored["refreshJwt"] in bsky._refresh
    assert "password" not in path.read_text() and bsky.password not in path.read_text()

    second = adapter(made, server, bsky, clock, tmp_path)  # another process, later
    second.publish(post(1))
    assert second.fetch_followers() == 321
    assert (bsky.sessions_created, bsky.refreshes) == (1, 0)
    assert len(bsky.posts) == 1


def test_an_access_token_near_its_expiry_is_refreshed_not_signed_in_again(
    made: list[BlueskyAdapter],
    server: FakeServer,
    bsky: FakeBluesky,
    clock: FakeClock,
    tmp_path: Path,
) -> None:
    a = adapter(made, server, bsky, clock, tmp_path)
    a.publish(post(1))
    clock.advance(hours=1, minutes=56)  # 4 minutes left: renewed before it is refused
    a.publish(post(2))
    assert (bsky.sessions_created, bsky.refreshes) == (1, 1)
    assert len(server.requests("POST", FakeBluesky.CREATE_RECORD)) == 2  # none refused
    stored = json.loads(state(tmp_path).read_text())
    assert stored["accessJwt"] in bsky._access  # the renewed session is the one kept

    clock.advance(days=3)  # a process started days later: the stored token has expired
    b = adapter(made, server, bsky, clock, tmp_path)
    b.publish(post(3))
    assert (bsky.sessions_created, bsky.refreshes) == (1, 2)
    assert len(bsky.posts) == 3


def test_a_refused_token_is_refreshed_and_a_refused_refresh_signs_in_again(
    made: list[BlueskyAdapter],
    server: FakeServer,
    bsky: FakeBluesky,
    clock: FakeClock,
    tmp_path: Path,
) -> None:
    a = adapter(made, server, bsky, clock, tmp_path)
    a.verify()
    bsky.expire_tokens()  # refused before their time (as after a PDS restart)
    a.publish(post(1))
    assert (bsky.sessions_created, bsky.refreshes) == (1, 1)

    bsky.expire_tokens()
    bsky._refresh.clear()  # the refresh token was refused too (expired, or revoked)
    a.publish(post(2))
    assert (bsky.sessions_created, bsky.refreshes) == (2, 1)
    stored = json.loads(state(tmp_path).read_text())
    assert stored["accessJwt"] in bsky._access
    assert len(bsky.posts) == 2


def test_a_session_renewed_by_another_process_is_taken_not_renewed_again(
    made: list[BlueskyAdapter],
    server: FakeServer,
    bsky: FakeBluesky,
    clock: FakeClock,
    tmp_path: Path,
) -> None:
    """Refresh tokens are single use: the second process must not spend the first's again."""
    a = adapter(made, server, bsky, clock, tmp_path)
    b = adapter(made, server, bsky, clock, tmp_path)
    a.verify()
    b.verify()  # both hold the same session now
    bsky.expire_tokens()
    a.publish(post(1))  # refused, then refreshed by a
    b.publish(post(2))  # refused too, then takes a's new session from the file
    assert (bsky.sessions_created, bsky.refreshes) == (1, 1)
    assert len(bsky.posts) == 2


def test_two_processes_renewing_at_once_refresh_once(
    made: list[BlueskyAdapter],
    server: FakeServer,
    bsky: FakeBluesky,
    clock: FakeClock,
    tmp_path: Path,
) -> None:
    adapters = [adapter(made, server, bsky, clock, tmp_path) for _ in range(4)]
    adapters[0].verify()
    server.latency = 0.2  # a slow PDS: without the file's lock, the renewals would overlap
    clock.advance(hours=3)  # every one of them finds the stored token expired
    start = threading.Barrier(len(adapters))
    errors: list[BaseException] = []

    def run(a: BlueskyAdapter, n: int) -> None:
        start.wait()
        try:
            a.publish(post(n))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(a, n)) for n, a in enumerate(adapters)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    assert (bsky.sessions_created, bsky.refreshes) == (1, 1)
    assert len(bsky.posts) == 4


def test_a_session_for_another_account_or_pds_is_not_used(
    made: list[BlueskyAdapter],
    server: FakeServer,
    bsky: FakeBluesky,
    clock: FakeClock,
    tmp_path: Path,
) -> None:
    adapter(made, server, bsky, clock, tmp_path).verify()
    with FakeServer() as other_server:
        other = FakeBluesky(other_server, handle="other.bsky.social", clock=clock)
        adapter(made, other_server, other, clock, tmp_path).verify()
        assert other.sessions_created == 1  # the configuration changed: signed in afresh
        assert json.loads(state(tmp_path).read_text())["service"] == other_server.url


@pytest.mark.parametrize("content", ["", "{not json", "[]", '{"identifier": 1}'])
def test_an_unreadable_file_means_signing_in_again(
    made: list[BlueskyAdapter],
    server: FakeServer,
    bsky: FakeBluesky,
    clock: FakeClock,
    tmp_path: Path,
    content: str,
) -> None:
    path = state(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text(content)
    adapter(made, server, bsky, clock, tmp_path).publish(post(1))
    assert bsky.sessions_created == 1
    assert json.loads(path.read_text())["did"] == bsky.did


def test_a_revoked_app_password_pauses_and_forgets_the_session(
    made: list[BlueskyAdapter],
    server: FakeServer,
    bsky: FakeBluesky,
    clock: FakeClock,
    tmp_path: Path,
) -> None:
    a = adapter(made, server, bsky, clock, tmp_path)
    a.verify()
    bsky.revoke()
    with pytest.raises(AuthError, match="Invalid identifier or password"):
        a.publish(post(1))
    assert not state(tmp_path).exists()
    assert bsky.posts == []


def test_no_token_is_in_an_error_message(
    made: list[BlueskyAdapter],
    server: FakeServer,
    bsky: FakeBluesky,
    clock: FakeClock,
    tmp_path: Path,
) -> None:
    a = adapter(made, server, bsky, clock, tmp_path)
    a.verify()
    stored = json.loads(state(tmp_path).read_text())
    server.fault("POST", FakeBluesky.CREATE_RECORD, Fault.respond(400, {"error": "X"}))
    with pytest.raises(Exception) as caught:
        a.publish(post(1))
    held = a._sessions.held
    assert held is not None
    for token in (stored["accessJwt"], stored["refreshJwt"]):
        assert token not in str(caught.value)
        assert token not in repr(held)


# -- verify ----------------------------------------------------------------------------------


def test_verify_asks_the_pds_and_reads_followers_from_the_appview(
    made: list[BlueskyAdapter],
    server: FakeServer,
    bsky: FakeBluesky,
    clock: FakeClock,
    tmp_path: Path,
) -> None:
    info = adapter(made, server, bsky, clock, tmp_path).verify()
    assert (info.account, info.followers) == ("@xen.bsky.social", 321)
    assert info.url == "https://bsky.app/profile/xen.bsky.social"
    assert len(server.requests("GET", FakeBluesky.GET_SESSION)) == 1


def test_verify_works_on_a_pds_without_an_appview(
    made: list[BlueskyAdapter],
    server: FakeServer,
    bsky: FakeBluesky,
    clock: FakeClock,
    tmp_path: Path,
) -> None:
    bsky.appview = False
    info = adapter(made, server, bsky, clock, tmp_path).verify()
    assert (info.account, info.followers) == ("@xen.bsky.social", None)
    assert server.requests("GET", FakeBluesky.GET_PROFILE)  # asked, and it was not there


def test_verify_works_through_an_appview_outage(
    made: list[BlueskyAdapter],
    server: FakeServer,
    bsky: FakeBluesky,
    clock: FakeClock,
    tmp_path: Path,
) -> None:
    outage = Fault.respond(502, {"error": "UpstreamFailure", "message": "Upstream Failure"})
    server.fault("GET", FakeBluesky.GET_PROFILE, outage)
    info = adapter(made, server, bsky, clock, tmp_path).verify()
    assert info.followers is None and info.account == "@xen.bsky.social"


def test_verify_still_refuses_a_wrong_password(
    made: list[BlueskyAdapter],
    server: FakeServer,
    bsky: FakeBluesky,
    clock: FakeClock,
    tmp_path: Path,
) -> None:
    a = adapter(made, server, bsky, clock, tmp_path)
    bsky.appview = False
    bsky.password = "changed-in-the-app"  # the configured one is no longer it
    with pytest.raises(AuthError, match="Invalid identifier or password"):
        a.verify()
    assert bsky.sessions_created == 0
