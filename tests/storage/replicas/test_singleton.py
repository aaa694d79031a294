"""Named locks across processes (`content_queue.singleton`) and solo jobs (`xensocial.replicas`).

Each side is a separate engine (another replica's pool) or a separate process: a PostgreSQL
advisory lock or a SQLite file lock must keep every other holder out, never make anyone wait,
and be freed when its holder dies, however it dies.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from content_queue import make_engine
from content_queue.singleton import Singletons, advisory_key
from tests.chaos.cluster import wait_until
from xensocial.replicas import Replica


@pytest.fixture
def other_engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def test_one_holder_at_a_time_and_released_for_the_next(
    engine: Engine, other_engine: Engine
) -> None:
    ours, theirs = Singletons(engine), Singletons(other_engine)
    held = ours.try_acquire("feed:xen-blog")
    assert held is not None
    assert theirs.try_acquire("feed:xen-blog") is None
    assert ours.try_acquire("feed:xen-blog") is None  # a second holder in this process too
    other = theirs.try_acquire("metrics")  # another name is another lock
    assert other is not None
    held.release()
    held.release()  # idempotent
    again = theirs.try_acquire("feed:xen-blog")
    assert again is not None
    again.release()
    other.release()


def test_hold_says_whether_it_got_the_lock(engine: Engine, other_engine: Engine) -> None:
    ours, theirs = Singletons(engine), Singletons(other_engine)
    with ours.hold("metrics") as mine:
        assert mine
        with theirs.hold("metrics") as also_mine:
            assert not also_mine
    with theirs.hold("metrics") as mine_now:
        assert mine_now


def test_a_postgres_lock_leaves_no_transaction_open(engine: Engine) -> None:
    if engine.url.get_backend_name() != "postgresql":
        pytest.skip("advisory locks are PostgreSQL's")
    held = Singletons(engine).try_acquire("metrics")
    assert held is not None
    try:
        with engine.connect() as conn:
            schema = str(conn.scalar(text("SELECT current_schema()")))
            key = advisory_key(schema, "metrics") & 0xFFFF_FFFF_FFFF_FFFF  # shown as two oids
            rows = conn.exec_driver_sql(
                "SELECT a.state FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                "WHERE l.locktype = 'advisory' AND l.granted "
                f"AND l.classid = {key >> 32} AND l.objid = {key & 0xFFFF_FFFF}"
            ).all()
        assert [r[0] for r in rows] == ["idle"], rows  # held by a session, not a transaction
    finally:
        held.release()


_HOLDER = """
import sys, time
from content_queue import make_engine
from content_queue.singleton import Singletons
held = Singletons(make_engine(sys.argv[1])).try_acquire("feed:xen-blog")
print("held" if held else "refused", flush=True)
time.sleep(120)
"""


def test_a_killed_holder_frees_its_lock(engine: Engine, database_url: str, tmp_path: Path) -> None:
    script = tmp_path / "holder.py"
    script.write_text(textwrap.dedent(_HOLDER))
    proc = subprocess.Popen(
        [sys.executable, str(script), database_url], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        locks = Singletons(engine)
        assert locks.try_acquire("feed:xen-blog") is None
        proc.kill()  # SIGKILL: no release, no clean close
        proc.wait(10)

        def free() -> bool:
            held = locks.try_acquire("feed:xen-blog")
            if held is None:
                return False
            held.release()
            return True

        assert wait_until(free, timeout=10, poll=0.1), "the dead holder's lock was not freed"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def test_installations_in_other_schemas_do_not_share_locks(engine: Engine) -> None:
    if engine.url.get_backend_name() != "postgresql":
        pytest.skip("schemas are PostgreSQL's; a SQLite file is one installation")
    other = make_engine(
        engine.url.update_query_dict({"options": "-csearch_path=public"}).render_as_string(
            hide_password=False
        )
    )
    try:
        with (
            Singletons(engine).hold("identity:social-1") as ours,
            Singletons(other).hold("identity:social-1") as theirs,
        ):
            assert ours and theirs  # one advisory lock space, two installations
    finally:
        other.dispose()


def test_run_solo_skips_while_another_replica_runs_the_job(
    engine: Engine, other_engine: Engine
) -> None:
    a, b = Replica(engine, "social-1"), Replica(other_engine, "social-2")
    ran: list[str] = []

    def a_job() -> None:
        ran.append("a")
        assert not b.run_solo("metrics", lambda: ran.append("b"))  # a holds it: b skips

    assert a.run_solo("metrics", a_job)
    assert b.run_solo("metrics", lambda: ran.append("b"))  # released when a's job ended
    assert ran == ["a", "b"]


def test_run_solo_releases_the_lock_when_the_job_fails(engine: Engine) -> None:
    replica = Replica(engine, "social-1")

    def broken() -> None:
        raise RuntimeError("feed exploded")

    with pytest.raises(RuntimeError):
        replica.run_solo("feed:x", broken)
    assert replica.run_solo("feed:x", lambda: None)


def test_claim_identity_once_per_live_identity(engine: Engine, other_engine: Engine) -> None:
    first, same, other = (
        Replica(engine, "social-1"),
        Replica(other_engine, "social-1"),
        Replica(other_engine, "social-2"),
    )
    assert first.claim_identity()
    assert not same.claim_identity()  # two replicas given one name
    assert other.claim_identity()
    first.release()
    assert same.claim_identity()  # the first stopped: the name is free again
    same.release()
    other.release()
