"""`xensocial health`: the daemon's heartbeat record and a fresh read of the database, judged by
the rule `/healthz` uses; exit 0 healthy, 1 unhealthy, 2 misconfigured; nothing ever created.

The record is written by the daemon's own `Heartbeat` (real ticks against the real database,
real crashes counted), so what is judged is what the daemon writes. The running daemon, with
its database made unwritable, is in tests/e2e/test_health.py.
"""

from __future__ import annotations

from pathlib import Path

from content_queue import make_engine
from tests.cli.conftest import CliHarness, write_config
from tests.conftest import FakeClock
from xensocial.heartbeat import Heartbeat, heartbeat_path

HEALTH = '\n[health]\ncrashed_slots = 2\nstale_after = "60s"\n'


def heartbeat(cli: CliHarness) -> Heartbeat:
    """The daemon's heartbeat writer on the harness's database, on the harness's clock."""
    data = cli.db.parent
    return Heartbeat(
        heartbeat_path(data), make_engine(f"sqlite:///{cli.db}"), clock=cli.clock, identity="t"
    )


def tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def unhealthy(cli: CliHarness) -> str:
    result = cli.run("health")
    assert result.exit_code == 1, (result.exit_code, result.stdout, result.stderr)
    assert result.stdout == "" and len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith("error: unhealthy: "), result.stderr
    return result.stderr.removeprefix("error: unhealthy: ").strip()


def test_healthy_only_while_the_daemons_work_reaches_the_database(
    cli: CliHarness, clock: FakeClock
) -> None:
    cli.config.write_text(cli.config.read_text() + HEALTH)
    beat = heartbeat(cli)
    assert (
        unhealthy(cli)
        == f"no heartbeat at {heartbeat_path(cli.db.parent)} (is the daemon running?)"
    )

    beat.tick()  # a committed write to the real database: the beat
    result = cli.ok("health")
    assert result.stdout.startswith("healthy: the database answers"), result.stdout

    clock.advance(seconds=61)  # no slot or tick since: stale
    assert unhealthy(cli) == (
        "the heartbeat is 61 s old (limit 60 s): no slot or tick has completed its database "
        "work since"
    )
    beat.slot_completed()
    cli.ok("health")

    beat.slot_crashed(KeyError("boom"))  # one crash in a row is not yet `crashed_slots`
    cli.ok("health")
    beat.slot_crashed(ValueError("bad\nsecond line"))
    assert unhealthy(cli) == "the last 2 slots crashed (the latest: ValueError: bad)"
    beat.slot_completed()  # a slot that completes starts the count again
    cli.ok("health")
    beat.engine.dispose()


def test_a_database_that_refuses_writes_is_unhealthy(cli: CliHarness) -> None:
    # The daemon's engine on a connection SQLite opened read-only (`mode=ro`): its tick's
    # committed write fails, the record says so, and `health` believes the record (it runs as
    # root here, to whom the file itself is writable, and writes nothing of its own).
    engine = make_engine(f"sqlite:///file:{cli.db}?mode=ro&uri=true")
    beat = Heartbeat(heartbeat_path(cli.db.parent), engine, clock=cli.clock, identity="t")
    beat.tick()
    assert unhealthy(cli) == (
        "the database refuses writes: OperationalError: attempt to write a readonly database; "
        "no slot or tick has completed its database work yet"
    )
    engine.dispose()


def test_a_record_of_another_version_is_unhealthy_not_a_crash(cli: CliHarness) -> None:
    path = heartbeat_path(cli.db.parent)
    path.write_text("")  # what the daemon wrote before: an empty file, touched
    assert unhealthy(cli) == (
        f"the heartbeat {path} is not a record this version writes (a daemon of another "
        "version, or a damaged file)"
    )


def test_a_data_directory_moved_away_is_misconfigured_and_nothing_is_created(
    cli: CliHarness,
) -> None:
    heartbeat(cli).tick()
    data = cli.db.parent
    moved = data.rename(data.with_name("moved"))
    before = tree(cli.config.parent)
    result = cli.run("health")
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stderr == (
        f"error: misconfigured: the data directory {data} does not exist (moved, or never "
        "created: `xensocial run` creates it)\n"
    )
    assert tree(cli.config.parent) == before and not data.exists()
    assert moved.is_dir()


def test_a_missing_database_is_misconfigured_and_not_created(
    tmp_path: Path, clock: FakeClock
) -> None:
    (tmp_path / "data").mkdir()
    cli = CliHarness(write_config(tmp_path), tmp_path / "data" / "queue.db", clock)
    before = tree(tmp_path)
    result = cli.run("health")
    assert (result.exit_code, result.stderr) == (
        2,
        f"error: misconfigured: no database at {cli.db}\n",
    )
    assert tree(tmp_path) == before


def test_a_database_that_does_not_answer_is_unhealthy(cli: CliHarness) -> None:
    beat = heartbeat(cli)
    beat.tick()
    beat.engine.dispose()
    cli.db.write_bytes(b"not a database, but a file of that name" * 100)
    for journal in ("-wal", "-shm"):  # else pages in the WAL would still answer
        cli.db.with_name(cli.db.name + journal).unlink(missing_ok=True)
    assert unhealthy(cli).startswith(
        "the database does not answer: DatabaseError: file is not a database"
    )


def test_the_exit_codes_are_the_helps(cli: CliHarness) -> None:
    text = cli.ok("health", "--help").stdout
    assert "0 when the daemon can post" in " ".join(text.split())
    assert "1 when not, 2 when misconfigured" in " ".join(text.split())
