"""Migrations: recorded, idempotent, one transaction each, upgrade keeps data, newer refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlite_utils import Database

from recepcja.domain.errors import DomainError
from recepcja.store import MIGRATIONS, Repositories, applied_migrations, migrate, open_database
from recepcja.store.db import UnusableDatabaseError, connect, fetch_all

NAMES = [name for name, _ in MIGRATIONS]


def test_all_migrations_recorded_in_order(db_path: Path) -> None:
    db = open_database(db_path)
    try:
        rows = fetch_all(db, "SELECT name, applied_at FROM _migrations ORDER BY rowid")
        assert [row["name"] for row in rows] == NAMES
        assert all(row["applied_at"].endswith("Z") for row in rows)
        assert len(NAMES) >= 2
    finally:
        db.close()


def test_reopening_is_a_no_op(db_path: Path) -> None:
    open_database(db_path).close()
    db = open_database(db_path)
    try:
        assert migrate(db) == []
        assert applied_migrations(db) == NAMES
        assert db.conn.execute("SELECT COUNT(*) FROM _migrations").fetchone()[0] == len(NAMES)
    finally:
        db.close()


def test_database_from_first_migration_is_upgraded_and_keeps_its_data(db_path: Path) -> None:
    db = connect(db_path)
    assert migrate(db, target=NAMES[0]) == [NAMES[0]]
    # Data written by the version that only knew the base schema.
    db.conn.execute(
        "INSERT INTO patients (local_id, pesel, first_name, last_name, created_at, updated_at) "
        "VALUES ('L-000001', '44051401359', 'Łucja', 'Żółwińska', '2026-01-01T00:00:00Z', "
        "'2026-01-01T00:00:00Z')"
    )
    assert "audit_log" not in db.table_names()
    db.close()

    repos = Repositories.open(db_path)
    try:
        assert applied_migrations(repos.db) == NAMES
        assert "audit_log" in repos.db.table_names()
        (found,) = repos.patients.search("zolw")  # folded names back-filled by migration 2
        assert found.last_name == "Żółwińska"
        assert found.local_id == "L-000001"
        assert repos.patients.search("Łuc") == []  # surname search, not first name
        assert repos.patients.search("zolwinska luc")[0].first_name == "Łucja"
    finally:
        repos.close()


def test_newer_database_is_refused(db_path: Path) -> None:
    open_database(db_path).close()
    raw = Database(db_path)
    raw.execute("INSERT INTO _migrations VALUES ('0099_from_the_future', '2030-01-01T00:00:00Z')")
    raw.close()
    with pytest.raises(UnusableDatabaseError, match="newer version") as caught:
        open_database(db_path)
    assert isinstance(caught.value, DomainError)
    assert caught.value.params["names"] == "0099_from_the_future"


def test_failing_migration_leaves_nothing_behind(db_path: Path) -> None:
    def good(db: Database) -> None:
        db.conn.execute("CREATE TABLE kept (id INTEGER PRIMARY KEY)")

    def bad(db: Database) -> None:
        db.conn.execute("CREATE TABLE half_done (id INTEGER PRIMARY KEY)")
        raise RuntimeError("migration bug")

    db = connect(db_path)
    try:
        with pytest.raises(RuntimeError):
            migrate(db, migrations=(("a_good", good), ("b_bad", bad)))
        assert applied_migrations(db) == ["a_good"]
        assert "kept" in db.table_names()
        assert "half_done" not in db.table_names()
    finally:
        db.close()


def test_unknown_target_is_an_error(db_path: Path) -> None:
    db = connect(db_path)
    try:
        with pytest.raises(ValueError, match="unknown migration"):
            migrate(db, target="nope")
    finally:
        db.close()
