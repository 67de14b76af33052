"""Migrations on both engines: recorded, idempotent, one transaction each, upgrade keeps data,
newer refused - and every migration has its PostgreSQL form."""

from __future__ import annotations

from pathlib import Path

import pytest

from recepcja.domain.errors import DomainError
from recepcja.store import MIGRATIONS, Repositories, applied_migrations, migrate, open_database
from recepcja.store.db import Database, UnusableDatabaseError, connect_to, fetch_all
from recepcja.store.migrations import MissingPostgresqlMigration, database_uuid
from recepcja.store.migrations_pg import POSTGRESQL

NAMES = [name for name, _ in MIGRATIONS]


def test_every_migration_has_a_postgresql_form() -> None:
    """A migration added for SQLite alone would leave every practice database behind."""
    missing = [name for name in NAMES if name not in POSTGRESQL]
    assert not missing, (
        f"Migration(s) {', '.join(missing)} have no PostgreSQL form. Add, for each, an entry "
        "'NAME': function to POSTGRESQL in desktop/recepcja/store/migrations_pg.py - a function "
        "making the same schema change in PostgreSQL DDL (timestamptz for times, jsonb for "
        "JSON, BIGINT identity keys, named constraints the store maps in store/dialect.py), or "
        "the SQLite function itself when its SQL is portable - then run the store tests "
        "(they run on both engines)."
    )
    assert not set(POSTGRESQL) - set(NAMES), "PostgreSQL forms of unknown migrations"


def test_all_migrations_recorded_in_order(empty_target: str | Path) -> None:
    db = open_database(empty_target)
    try:
        order = db.dialect.migrations_order
        rows = fetch_all(db, f"SELECT name, applied_at FROM _migrations ORDER BY {order}")
        assert [row["name"] for row in rows] == NAMES
        assert all(row["applied_at"].endswith("Z") for row in rows)
        assert len(NAMES) >= 2
        assert len(database_uuid(db) or "") == 36
    finally:
        db.close()


def test_reopening_is_a_no_op(empty_target: str | Path) -> None:
    open_database(empty_target).close()
    db = open_database(empty_target)
    try:
        assert migrate(db) == []
        assert applied_migrations(db) == NAMES
        assert db.conn.execute("SELECT COUNT(*) FROM _migrations").fetchone()[0] == len(NAMES)
    finally:
        db.close()


def test_database_from_first_migration_is_upgraded_and_keeps_its_data(
    empty_target: str | Path,
) -> None:
    db = connect_to(empty_target)
    assert migrate(db, target=NAMES[0]) == [NAMES[0]]
    # Data written by the version that only knew the base schema.
    db.conn.execute(
        "INSERT INTO patients (local_id, pesel, first_name, last_name, created_at, updated_at) "
        "VALUES ('L-000001', '44051401359', 'Łucja', 'Żółwińska', '2026-01-01T00:00:00Z', "
        "'2026-01-01T00:00:00Z')"
    )
    assert "audit_log" not in db.table_names()
    db.close()

    repos = Repositories.open(empty_target)
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


def test_newer_database_is_refused_and_left_alone(empty_target: str | Path) -> None:
    open_database(empty_target).close()
    db = connect_to(empty_target)
    db.conn.execute("INSERT INTO _migrations (name, applied_at) "
                    "VALUES ('0099_from_the_future', '2030-01-01T00:00:00Z')")
    tables = db.table_names()
    db.close()
    with pytest.raises(UnusableDatabaseError, match="newer version") as caught:
        open_database(empty_target)
    assert isinstance(caught.value, DomainError)
    assert caught.value.params["names"] == "0099_from_the_future"
    db = connect_to(empty_target)
    try:
        assert db.table_names() == tables
        assert applied_migrations(db)[-1] == "0099_from_the_future"
    finally:
        db.close()


def test_failing_migration_leaves_nothing_behind(empty_target: str | Path) -> None:
    def good(db: Database) -> None:
        db.conn.execute("CREATE TABLE kept (id INTEGER PRIMARY KEY)")

    def bad(db: Database) -> None:
        db.conn.execute("CREATE TABLE half_done (id INTEGER PRIMARY KEY)")
        raise RuntimeError("migration bug")

    db = connect_to(empty_target)
    try:
        with pytest.raises(RuntimeError):
            migrate(db, migrations=(("a_good", good), ("b_bad", bad)),
                    postgresql={"a_good": good, "b_bad": bad})
        assert applied_migrations(db) == ["a_good"]
        assert "kept" in db.table_names()
        assert "half_done" not in db.table_names()
    finally:
        db.close()


def test_a_migration_without_its_postgresql_form_is_refused(pg_empty_database: str) -> None:
    """What a practice database gets from a build whose migration lacks its PostgreSQL form:
    one clear refusal, and nothing of that migration applied."""

    def only_sqlite(db: Database) -> None:
        db.conn.execute("CREATE TABLE only_sqlite (id INTEGER PRIMARY KEY)")

    db = connect_to(pg_empty_database)
    try:
        with pytest.raises(MissingPostgresqlMigration, match="0042_only_sqlite"):
            migrate(db, migrations=(*MIGRATIONS, ("0042_only_sqlite", only_sqlite)))
        assert applied_migrations(db) == NAMES
        assert "only_sqlite" not in db.table_names()
    finally:
        db.close()


def test_unknown_target_is_an_error(empty_target: str | Path) -> None:
    db = connect_to(empty_target)
    try:
        with pytest.raises(ValueError, match="unknown migration"):
            migrate(db, target="nope")
    finally:
        db.close()
