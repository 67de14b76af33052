"""The notification receiver runs on the practice's CeR client only (issue 15): two desks on
one PostgreSQL practice database, each with its receiver enabled - only the desk holding the
practice's lock listens, and when it lets go (its engine stops) or its lock connection is
lost, it stops listening and the desk that takes over listens. ``status --json`` names the
desk that receives."""

from __future__ import annotations

import json
import socket

import pytest

from recepcja.cli.main import main
from recepcja.config.settings import ENV_DATABASE_URL
from recepcja.store.db import open_database
from recepcja.store.sender_lock import SENDER_LOCK_KEY, lock_owner
from recepcja.sync.owner_receiver import OwnerReceiver
from recepcja.sync.practice_owner import PracticeOwnership
from recepcja.sync.receiver import NotificationReceiver
from support.desks import desk_connection
from support.polling import wait_until

DESKS = ("recepcja-parter", "recepcja-pietro")


_connect = desk_connection


def _listens(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return True
    except OSError:
        return False


def test_only_the_practice_s_cer_client_listens_and_the_next_takes_over(
    pg_database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    owners = [PracticeOwnership(_connect(pg_database, name)) for name in DESKS]
    receivers = [OwnerReceiver(NotificationReceiver(_connect(pg_database, name), "sekret",
                                                    port=0), ownership=owner)
                 for name, owner in zip(DESKS, owners, strict=True)]
    watch = open_database(pg_database)
    try:
        for receiver in receivers:
            receiver.start()  # neither is the owner yet: neither listens
        assert not any(receiver.listening for receiver in receivers)
        first, second = owners
        assert first.ensure() and not second.ensure()
        assert receivers[0].listening and not receivers[1].listening
        port = receivers[0].receiver.port
        assert _listens(port)
        owner = lock_owner(watch)
        assert owner["workstation"] == DESKS[0] and owner["receiver"] == receivers[0].url

        monkeypatch.setenv(ENV_DATABASE_URL, pg_database)
        assert main(["status", "--json"]) == 0
        said = json.loads(capsys.readouterr().out)["receiver"]
        assert said["desk"] == DESKS[0] and said["url"] == receivers[0].url
        assert said["this_desk"] is False  # this test's own desk is neither

        first.release()  # the first desk's engine stops: it stops listening at once
        assert not receivers[0].listening and not _listens(port)
        assert second.ensure() and receivers[1].listening
        assert _listens(receivers[1].receiver.port)
        assert lock_owner(watch)["receiver"] == receivers[1].url

        # The second owner's lock connection is lost (the server ends its session): its
        # keeper notices, it stops listening, and the first desk takes over and listens.
        watch.conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' "
            "AND granted AND objid::bigint = ?", (SENDER_LOCK_KEY & 0xFFFF_FFFF,))
        wait_until(lambda: not receivers[1].listening, timeout=10,
                   what="the lost owner stopped listening")
        assert not second.held
        assert first.ensure() and receivers[0].listening and _listens(port)
        assert not _listens(receivers[1].receiver.port)
    finally:
        for receiver in receivers:
            receiver.close()
        for owner in owners:
            owner.release()
        watch.close()


def test_on_one_desk_the_receiver_listens_at_once() -> None:
    receiver = OwnerReceiver(NotificationReceiver(lambda: None, "sekret", port=0),
                             ownership=PracticeOwnership(None))
    try:
        receiver.start()
        assert receiver.listening and _listens(receiver.receiver.port)
    finally:
        receiver.close()
    assert not receiver.listening
