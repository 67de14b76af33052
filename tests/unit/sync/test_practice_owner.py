"""One CeR client per practice (issue 15): the practice's lock is held by one engine at a time,
a second desk waits and takes it once the first lets go (or its connection ends), and
``status --json`` names the desk holding it."""

from __future__ import annotations

import json
import os

import pytest

from recepcja.cli.main import main
from recepcja.config.settings import ENV_DATABASE_URL
from recepcja.store.db import open_database
from recepcja.store.sender_lock import PgSenderLock, SenderBusy, lock_owner
from recepcja.sync.practice_owner import PracticeOwnership
from support.desks import desk_connection

_connect = desk_connection


def test_one_owner_at_a_time_and_the_next_takes_over(
    pg_database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    first = PracticeOwnership(_connect(pg_database, "recepcja-parter"))
    second = PracticeOwnership(_connect(pg_database, "recepcja-pietro"))
    watch = open_database(pg_database)
    try:
        assert lock_owner(watch) is None
        assert first.ensure() and first.held and first.token()
        assert not second.ensure() and not second.held and second.token() is None
        owner = lock_owner(watch)
        assert owner["workstation"] == "recepcja-parter" and owner["pid"] == os.getpid()
        # A one-shot sender (sync --once, the try after `book`) leaves its rows to the owner.
        with pytest.raises(SenderBusy, match="recepcja-parter|engine"):
            PgSenderLock(watch, "sync --once").acquire(0.0)
        with pytest.raises(SenderBusy):
            second.sender_lock().acquire(0.0)
        assert first.sender_lock().acquire(0.0).token == first.token()

        monkeypatch.setenv(ENV_DATABASE_URL, pg_database)
        assert main(["status", "--json"]) == 0
        named = json.loads(capsys.readouterr().out)["practice_owner"]
        assert (named["workstation"], named["pid"]) == ("recepcja-parter", os.getpid())
        assert named["since"]

        first.release()  # the engine stopped (or its connection ended: the server lets go)
        assert not first.held
        assert second.ensure() and lock_owner(watch)["workstation"] == "recepcja-pietro"
    finally:
        first.release()
        second.release()
        watch.close()


def test_on_sqlite_every_engine_is_its_own_desk_s_client() -> None:
    alone = PracticeOwnership(None)
    assert alone.ensure() and alone.held and alone.sender_lock() is None


def test_the_owner_keeps_the_change_journal_short(pg_database: str) -> None:
    db = open_database(pg_database)
    owner = PracticeOwnership(_connect(pg_database, "recepcja-parter"))
    try:
        db.conn.execute("INSERT INTO change_journal (at, entity) VALUES "
                        "(now() - interval '3 days', 'visit'), (now(), 'visit')")
        assert owner.ensure() and owner.ensure()  # held: housekeeping on the next pass
        assert db.conn.execute("SELECT count(*) FROM change_journal").fetchone()[0] == 1
    finally:
        owner.release()
        db.close()


def test_one_shot_cer_commands_leave_the_work_to_the_practice_s_client(
    pg_database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    """publish, reconcile and notifications pull on a practice database run only while
    holding the practice's lock: with a desk holding it they say so and call nobody."""
    from recepcja.sync import practice_owner

    monkeypatch.setattr(practice_owner, "ONE_SHOT_WAIT_S", 0.2)
    monkeypatch.setenv(ENV_DATABASE_URL, pg_database)
    monkeypatch.setenv("RECEPCJA_CER_URL", "http://127.0.0.1:9/cer")  # never called
    owner = PracticeOwnership(_connect(pg_database, "recepcja-parter"))
    try:
        assert owner.ensure()
        for command in (["publish"], ["reconcile"], ["notifications", "pull"]):
            assert main(command) == 1, command
            err = capsys.readouterr().err
            assert err.count("\n") == 1 and "recepcja-parter" in err, (command, err)
    finally:
        owner.release()
