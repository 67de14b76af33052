"""A desk's ordinary connections to the practice database never hang on a silent link: they
carry TCP and statement timeouts, a query waiting on a black-holed server is cut short as
soon as the practice link sees the server away, and the desk goes on over its copy (a real
TCP proxy that swallows everything, in front of the test cluster's PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest

from recepcja.domain.model import WARSAW
from recepcja.services.context import AppContext
from recepcja.store import Repositories
from recepcja.store.db import UnusableDatabaseError, connect_to
from recepcja.store.pg import DESK_STATEMENT_TIMEOUT_MS, TCP_USER_TIMEOUT_MS
from support.practice_desk import practice_desk
from tcp_proxy import TcpProxy

TODAY = dt.datetime.now(WARSAW).date()


def desk(tmp_path: Path, url: str, monkeypatch: pytest.MonkeyPatch) -> AppContext:
    """The GUI tests' practice from today, its copy taken."""
    return practice_desk(tmp_path / "desk", url, TODAY, monkeypatch)


def _read_day_on_a_thread(repos, schedule: int, wait_s: float) -> list | None:
    """Today's terms of ``schedule`` and the engine that answered, read (then closed) on a
    thread of its own; None when the read has not ended within ``wait_s``."""
    answer: list[tuple[list[int], str]] = []

    def read() -> None:
        try:
            answer.append(([slot.id for slot in repos.slots.for_day(schedule, TODAY)],
                           repos.db.engine))
        finally:
            repos.close()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(wait_s)
    return None if reader.is_alive() else answer


def test_every_ordinary_connection_has_tcp_and_statement_timeouts(pg_database: str):
    db = connect_to(pg_database)
    try:
        assert db.conn.execute("SHOW statement_timeout").fetchone()[0] == \
            f"{DESK_STATEMENT_TIMEOUT_MS // 1000}s"
        given = db.conn.raw.info.get_parameters()
        assert given["tcp_user_timeout"] == str(TCP_USER_TIMEOUT_MS)
        assert given["connect_timeout"] and given["keepalives_idle"]
    finally:
        db.close()
    # An address that says its own statement_timeout keeps it (the practice probe's).
    own = connect_to(pg_database + "?options=-c%20statement_timeout%3D1500")
    try:
        assert own.conn.execute("SHOW statement_timeout").fetchone()[0] == "1500ms"
    finally:
        own.close()


def test_a_read_on_a_black_holed_link_goes_on_over_the_copy(
        tmp_path: Path, pg_database: str, proxy: TcpProxy,
        monkeypatch: pytest.MonkeyPatch):
    ctx = desk(tmp_path, proxy.url(pg_database), monkeypatch)
    absence = ctx.server_absence
    repos = Repositories.over(ctx.open_desk_db())
    assert repos.db.engine == "postgresql"
    schedule = int(repos.schedules.list()[0].id or 0)
    terms = [slot.id for slot in repos.slots.for_day(schedule, TODAY)]

    proxy.blackhole()
    absence.start()
    try:
        # the UI thread's read: without the desk's own bound, TCP's minutes
        answer = _read_day_on_a_thread(repos, schedule, 60)
        assert answer is not None, "the read hung on the black-holed link"
        assert absence.away
        assert answer == [(terms, "sqlite")]  # the day, from the copy the desk went on over
        with Repositories.over(ctx.open_desk_db()) as again:
            assert again.db.engine == "sqlite"
    finally:
        absence.stop()
    proxy.restore()
    assert absence.step().away is False  # back: the next connection is the server's


def test_a_statement_the_server_cancels_switches_the_desk(
        tmp_path: Path, pg_database: str, monkeypatch: pytest.MonkeyPatch):
    ctx = desk(tmp_path, pg_database + "?options=-c%20statement_timeout%3D300", monkeypatch)
    absence = ctx.server_absence
    db = ctx.open_desk_db()
    try:
        with pytest.raises(UnusableDatabaseError, match="statement timeout"):
            db.conn.execute("SELECT pg_sleep(5)")  # no such function on the copy: not retried
        assert absence.away and db.engine == "sqlite"
        assert db.conn.execute("SELECT count(*) FROM schedules").fetchone()[0] > 0
    finally:
        db.close()


def test_a_statement_started_after_the_link_found_the_server_away_goes_to_the_copy(
        tmp_path: Path, pg_database: str, proxy: TcpProxy,
        monkeypatch: pytest.MonkeyPatch):
    """A connection opened while the server answered (a reader keeps one between reads) starts
    no statement on the silent link once the practice link knows the server is away: the cut
    in flight happened before it, so nothing else would end its wait but statement_timeout."""
    ctx = desk(tmp_path, proxy.url(pg_database), monkeypatch)
    absence = ctx.server_absence
    kept = Repositories.over(ctx.open_desk_db())
    try:
        assert kept.db.engine == "postgresql"
        schedule = int(kept.schedules.list()[0].id or 0)
        terms = [slot.id for slot in kept.slots.for_day(schedule, TODAY)]
        proxy.blackhole()
        absence.mark_away("test: the link's probe found no answer")
        # as the window's reader thread; without the check: waits on the silent link far longer
        answer = _read_day_on_a_thread(kept, schedule, 15)
        assert answer is not None, "the statement waited on the silent link"
        assert answer == [(terms, "sqlite")]
    finally:
        proxy.restore()
