"""What only the PostgreSQL engine has: its connection shape, its real column types, the
practice's writer lock, and one clear line for every way a connection can fail."""

from __future__ import annotations

import datetime as dt
import socket
import subprocess
import sys
import threading
from pathlib import Path

import psycopg
import pytest
from store_helpers import DAY, make_patient

from recepcja.domain.pesel import make_pesel
from recepcja.store import Repositories, atomic, open_database
from recepcja.store.db import UnusableDatabaseError, fetch_all, masked_url
from recepcja.store.pg import translate
from recepcja.store.records import Place, Provider, Resource, ResourceKind, Schedule
from support.polling import wait_until
from support.practice import Clock, morning


def test_placeholders_become_psycopgs() -> None:
    assert translate("SELECT ? FROM t WHERE a = :a AND b = :a") == (
        "SELECT %s FROM t WHERE a = %(a)s AND b = %(a)s"
    )
    # Literals, casts and a literal percent are left as they mean.
    assert translate("SELECT '?:x', ?::jsonb, x LIKE 'a%', \"c?\" WHERE y = ?") == (
        "SELECT '?:x', %s::jsonb, x LIKE 'a%%', \"c?\" WHERE y = %s"
    )


def test_password_is_masked() -> None:
    assert masked_url("postgresql://desk:s3cret@server:5432/practice") == (
        "postgresql://desk:***@server:5432/practice"
    )
    assert masked_url("postgresql://desk@server/practice") == "postgresql://desk@server/practice"
    assert masked_url("postgresql://server/practice?password=abc&sslmode=require") == (
        "postgresql://server/practice?password=***&sslmode=require"
    )


def test_times_days_and_json_are_real_types_read_back_as_the_stores_text(
    pg_database: str,
) -> None:
    repos = Repositories.open(pg_database, Clock())
    try:
        types = dict(repos.db.conn.execute(
            "SELECT table_name || '.' || column_name, data_type FROM information_schema.columns "
            "WHERE table_name IN ('slots', 'outbox')"
        ).fetchall())
        assert types["slots.start_utc"] == "timestamp with time zone"
        assert types["slots.local_date"] == "date"
        assert types["outbox.payload"] == "jsonb"
        repos.practice.save_provider(Provider("P"))
        place = repos.practice.add_place(Place("Poradnia", scopes=["cardiology"]))
        doctor = repos.practice.add_resource(Resource(ResourceKind.DOCTOR, "dr A"))
        schedule = repos.schedules.add(Schedule(doctor, place, "cardiology"))
        repos.slots.add_many(schedule, morning(DAY))
        (row,) = fetch_all(repos.db, "SELECT start_utc, local_date FROM slots WHERE id = 1")
        assert row == {"start_utc": "2026-03-02T07:00:00Z", "local_date": "2026-03-02"}
        assert [slot.start for slot in repos.slots.for_day(schedule, DAY)] == [
            spec.start for spec in morning(DAY)
        ]
    finally:
        repos.close()


def test_one_writer_at_a_time_like_sqlite(pg_database: str) -> None:
    """A writing transaction takes the practice's writer lock first: a second one waits for the
    first to finish (SQLite's BEGIN IMMEDIATE), while readers go on."""
    first, second = open_database(pg_database), open_database(pg_database)
    entered = threading.Event()

    def writer() -> None:
        with atomic(second):
            entered.set()

    try:
        with atomic(first):
            thread = threading.Thread(target=writer)
            thread.start()
            wait_until(lambda: first.conn.execute(
                "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            ).fetchone() is not None, "the second writer to queue for the lock")
            assert not entered.is_set()
            reader = open_database(pg_database)
            assert reader.conn.execute("SELECT COUNT(*) FROM patients").fetchone()[0] == 0
            reader.close()
        thread.join(timeout=30)
        assert entered.is_set()
    finally:
        first.close()
        second.close()


def test_next_local_id_is_safe_with_several_desks(pg_database: str) -> None:
    """Read-then-write under the writer lock: desks adding patients at once never get the same
    local ID (without the lock two would read the same highest number)."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def desk(number: int) -> None:
        repos = Repositories.open(pg_database)
        try:
            barrier.wait()
            for serial in range(5):
                patient = make_patient(
                    f"D{number}", pesel=make_pesel(dt.date(1980, 1, 1 + number), 1000 + serial)
                )
                repos.patients.add(patient, f"desk{number}")
        except BaseException as error:  # collected for the assert below
            errors.append(error)
        finally:
            repos.close()

    threads = [threading.Thread(target=desk, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    repos = Repositories.open(pg_database)
    try:
        ids = [row[0] for row in repos.db.conn.execute("SELECT local_id FROM patients")]
        assert sorted(ids) == [f"L-{n:06d}" for n in range(1, 21)]
    finally:
        repos.close()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_unreachable_server_is_one_clear_line() -> None:
    url = f"postgresql://desk@127.0.0.1:{_closed_port()}/practice"
    with pytest.raises(UnusableDatabaseError, match="cannot be reached") as caught:
        open_database(url)
    assert "127.0.0.1" in str(caught.value)


def test_wrong_address_wrong_password_and_missing_database(pg_server) -> None:
    with pytest.raises(UnusableDatabaseError, match="not valid"):
        open_database("postgresql://desk@127.0.0.1:5432/practice?sslmode=sometimes&x")
    wrong = pg_server.url("postgres", with_password=False)
    with pytest.raises(UnusableDatabaseError, match="refused the password") as caught:
        open_database(wrong, password="not-the-password")
    assert "not-the-password" not in str(caught.value)
    with pytest.raises(UnusableDatabaseError, match="has no database"):
        open_database(pg_server.url("no_such_practice"))


def test_password_from_outside_the_url(pg_server, pg_database: str) -> None:
    """The URL without its password plus the password from the keyring (passed in)."""
    url = pg_server.url(pg_database.rsplit("/", 1)[1], with_password=False)
    db = open_database(url, password=pg_server.password)
    try:
        assert db.where == url
        assert db.engine == "postgresql"
    finally:
        db.close()


def test_a_lost_server_mid_work_is_one_clear_line(pg_server, pg_database: str) -> None:
    repos = Repositories.open(pg_database)
    try:
        repos.practice.save_provider(Provider("P"))
        pid = repos.db.conn.raw.info.backend_pid
        pg_server.admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        with pytest.raises(UnusableDatabaseError, match="connection to the practice database"):
            repos.practice.provider()
    finally:
        repos.close()
    again = Repositories.open(pg_database)
    try:
        assert again.practice.provider() == Provider("P")  # what was saved is there
    finally:
        again.close()


def test_psycopg_is_imported_only_for_a_practice_database(tmp_path: Path) -> None:
    """The window's cold start on the embedded SQLite store does not pay for psycopg/libpq."""
    code = (
        "import sys\n"
        "from recepcja.store import Repositories\n"
        "import recepcja.services.context, recepcja.services.database\n"
        f"Repositories.open({str(tmp_path / 'x.sqlite')!r}).close()\n"
        "assert 'psycopg' not in sys.modules, 'psycopg imported for an SQLite store'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_bad_rows_reach_the_desk_as_conflicts(pg_database: str) -> None:
    """A refusal by PostgreSQL is the same ConflictError the desk shows on SQLite."""
    from recepcja.domain.errors import ConflictError

    repos = Repositories.open(pg_database)
    try:
        repos.patients.add(make_patient(), "ania")
        with pytest.raises(ConflictError, match="PESEL"):
            repos.patients.add(make_patient("Other"), "ania")
        assert psycopg.IntegrityError is repos.db.IntegrityError
    finally:
        repos.close()


def test_times_read_back_the_same_whatever_the_servers_defaults(pg_own_database: str) -> None:
    """A Polish server may default to another DateStyle and to Warsaw time: the store still
    reads back exactly the UTC text it wrote."""
    name = pg_own_database.rsplit("/", 1)[1]
    with psycopg.connect(pg_own_database, autocommit=True) as admin:
        admin.execute(f"ALTER DATABASE {name} SET DateStyle = 'SQL, DMY'")
        admin.execute(f"ALTER DATABASE {name} SET TimeZone = 'Europe/Warsaw'")
    repos = Repositories.open(pg_own_database, Clock())
    try:
        repos.sync_state.set("x", "1")
        repos.practice.save_provider(Provider("P"))
        place = repos.practice.add_place(Place("Poradnia", scopes=["cardiology"]))
        doctor = repos.practice.add_resource(Resource(ResourceKind.DOCTOR, "dr A"))
        schedule = repos.schedules.add(Schedule(doctor, place, "cardiology"))
        repos.slots.add_many(schedule, morning(DAY))
        (row,) = fetch_all(repos.db, "SELECT start_utc, local_date FROM slots ORDER BY id LIMIT 1")
        assert row == {"start_utc": "2026-03-02T07:00:00Z", "local_date": "2026-03-02"}
    finally:
        repos.close()
