"""The notification receiver runs on the practice's CeR client only (issue 15): two desks on
one PostgreSQL practice database, each with its receiver enabled - only the desk holding the
practice's lock listens, and when it lets go (its engine stops) or its lock connection is
lost, it stops listening and the desk that takes over listens. ``status --json`` names the
desk that receives."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from recepcja.cli.main import main
from recepcja.config.paths import AppPaths
from recepcja.config.secrets import RECEIVER_SECRET, SecretStore
from recepcja.config.settings import ENV_DATABASE_URL
from recepcja.services.context import AppContext
from recepcja.services.sync_service import engine_for_context, notifications_beside
from recepcja.store.db import open_database
from recepcja.store.sender_lock import SENDER_LOCK_KEY, lock_owner
from recepcja.sync.owner_receiver import OwnerReceiver
from recepcja.sync.practice_owner import PracticeOwnership
from recepcja.sync.receiver import NotificationReceiver
from support.desks import desk_connection, listens
from support.polling import wait_until

DESKS = ("recepcja-parter", "recepcja-pietro")


_connect = desk_connection


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
        assert listens(port)
        owner = lock_owner(watch)
        assert owner["workstation"] == DESKS[0] and owner["receiver"] == receivers[0].url

        monkeypatch.setenv(ENV_DATABASE_URL, pg_database)
        assert main(["status", "--json"]) == 0
        said = json.loads(capsys.readouterr().out)["receiver"]
        assert said["desk"] == DESKS[0] and said["url"] == receivers[0].url
        assert said["this_desk"] is False  # this test's own desk is neither
        assert main(["status"]) == 0
        line = [text for text in capsys.readouterr().out.splitlines() if receivers[0].url in text]
        assert len(line) == 1 and DESKS[0] in line[0]

        first.release()  # the first desk's engine stops: it stops listening at once
        assert not receivers[0].listening and not listens(port)
        assert second.ensure() and receivers[1].listening
        assert listens(receivers[1].receiver.port)
        assert lock_owner(watch)["receiver"] == receivers[1].url

        # The second owner's lock connection is lost (the server ends its session): its
        # keeper notices, it stops listening, and the first desk takes over and listens.
        watch.conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' "
            "AND granted AND objid::bigint = ?", (SENDER_LOCK_KEY & 0xFFFF_FFFF,))
        wait_until(lambda: not receivers[1].listening, timeout=10,
                   what="the lost owner stopped listening")
        assert not second.held
        assert first.ensure() and receivers[0].listening and listens(port)
        assert not listens(receivers[1].receiver.port)
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
        assert receiver.listening and listens(receiver.receiver.port)
    finally:
        receiver.close()
    assert not receiver.listening


def test_notifications_serve_leaves_receiving_to_the_practice_s_cer_client(
    pg_database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    """A receiver of its own beside the desks would be a second process receiving: on a practice
    database ``notifications serve`` refuses in one line and listens nowhere."""
    monkeypatch.setenv(ENV_DATABASE_URL, pg_database)
    assert main(["notifications", "serve"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "recepcja sync" in err


def test_recepcja_sync_receives_while_it_is_the_practice_s_cer_client(
    pg_database: str, tmp_path: Path,
) -> None:
    """The headless ``recepcja sync`` of a server PC: beside its engine the notification
    thread works and the receiver listens only while the engine holds the practice's lock."""
    ctx = AppContext.load(AppPaths(tmp_path / "serwer"))
    ctx.settings.database.url = pg_database
    ctx.settings.workstation.name = "serwer-przychodni"
    ctx.settings.receiver.enabled, ctx.settings.receiver.port = True, 0
    ctx.settings.cer.url = "http://127.0.0.1:9/cer"  # never called here
    SecretStore().set(RECEIVER_SECRET, "sekret")
    engine = engine_for_context(ctx)  # not started: its passes are driven here
    other = PracticeOwnership(_connect(pg_database, "recepcja-parter"))
    worker, receiver = notifications_beside(ctx, engine)
    try:
        assert other.ensure()  # a desk is the CeR client: the server PC waits
        assert not engine.ownership.ensure() and not engine.owns_practice
        assert receiver is not None and not receiver.listening
        other.release()
        assert engine.ownership.ensure() and receiver.listening
        assert listens(receiver.receiver.port)
        engine.ownership.release()
        assert not receiver.listening
    finally:
        receiver.close()
        worker.stop()
        engine.ownership.release()
        other.release()
