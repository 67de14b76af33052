"""The connection: pragmas really set on a real file, atomic() commits, rolls back and nests,
and a connection stays in its own thread."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from store_helpers import NOW_TEXT as NOW
from store_helpers import refused

from recepcja.store import atomic, open_database
from recepcja.store.db import BUSY_TIMEOUT_MS, fetch_all


def pragma(db, name: str):
    return db.conn.execute(f"PRAGMA {name}").fetchone()[0]


def test_open_creates_parent_folder_and_sets_pragmas(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "folder" / "recepcja.sqlite"
    db = open_database(path)
    try:
        assert path.exists()
        assert pragma(db, "journal_mode") == "wal"
        assert pragma(db, "foreign_keys") == 1
        assert pragma(db, "busy_timeout") == BUSY_TIMEOUT_MS
        assert pragma(db, "synchronous") == 2  # FULL
    finally:
        db.close()


def test_wal_mode_persists_in_the_file(db_path: Path) -> None:
    open_database(db_path).close()
    conn = sqlite3.connect(db_path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        conn.close()


def test_foreign_keys_are_enforced(db_target: str | Path) -> None:
    db = open_database(db_target)
    try:
        with refused(db, match="foreign key"):
            db.conn.execute(
                "INSERT INTO schedules (resource_id, place_id, scope_code, created_at) "
                "VALUES (99, 99, 'cardiology', '2026-01-01T00:00:00Z')"
            )
    finally:
        db.close()


def test_atomic_commits_and_rolls_back(db_target: str | Path) -> None:
    db = open_database(db_target)
    try:
        with atomic(db):
            db.conn.execute(f"INSERT INTO sync_state VALUES ('a', '1', '{NOW}')")
        with pytest.raises(RuntimeError), atomic(db):
            db.conn.execute(f"INSERT INTO sync_state VALUES ('b', '2', '{NOW}')")
            raise RuntimeError("boom")
        assert [row["key"] for row in fetch_all(db, "SELECT key FROM sync_state")] == ["a"]
        assert not db.conn.in_transaction
    finally:
        db.close()


def test_atomic_nested_block_rolls_back_alone(db_target: str | Path) -> None:
    db = open_database(db_target)
    try:
        with atomic(db):
            db.conn.execute(f"INSERT INTO sync_state VALUES ('outer', '1', '{NOW}')")
            with pytest.raises(RuntimeError), atomic(db):
                db.conn.execute(f"INSERT INTO sync_state VALUES ('inner', '2', '{NOW}')")
                raise RuntimeError("boom")
        keys = [row["key"] for row in fetch_all(db, "SELECT key FROM sync_state")]
        assert keys == ["outer"]
    finally:
        db.close()


def test_atomic_takes_the_write_lock_up_front(db_path: Path) -> None:
    """BEGIN IMMEDIATE: a second writer is kept out for the whole block, not just from the
    first write on (which is what lets a deferred transaction fail half-way)."""
    first = open_database(db_path)
    second = sqlite3.connect(db_path, timeout=0.05, isolation_level=None)
    try:
        with atomic(first):
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                second.execute("BEGIN IMMEDIATE")
    finally:
        second.close()
        first.close()


def test_connection_refuses_other_threads(db_path: Path) -> None:
    db = open_database(db_path)
    errors: list[BaseException] = []

    def use() -> None:
        try:
            db.conn.execute("SELECT 1")
        except BaseException as error:  # collected for the assert below
            errors.append(error)

    try:
        thread = threading.Thread(target=use)
        thread.start()
        thread.join()
        assert errors and isinstance(errors[0], sqlite3.ProgrammingError)
    finally:
        db.close()


def test_each_thread_opens_its_own_connection(db_target: str | Path) -> None:
    open_database(db_target).close()
    seen: list[str] = []

    def worker(name: str) -> None:
        db = open_database(db_target)
        try:
            with atomic(db):
                db.conn.execute(f"INSERT INTO sync_state VALUES (?, '1', '{NOW}')", (name,))
        finally:
            db.close()
        seen.append(name)

    threads = [threading.Thread(target=worker, args=(f"t{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    db = open_database(db_target)
    try:
        assert sorted(row["key"] for row in fetch_all(db, "SELECT key FROM sync_state")) == sorted(
            seen
        )
        assert len(seen) == 4
    finally:
        db.close()


def test_atomic_three_levels_roll_back_only_the_failing_one(db_target: str | Path) -> None:
    """Every level uses the same savepoint name: the innermost one must be the one undone."""
    db = open_database(db_target)
    try:
        with atomic(db):
            db.conn.execute(f"INSERT INTO sync_state VALUES ('1', '', '{NOW}')")
            with atomic(db):
                db.conn.execute(f"INSERT INTO sync_state VALUES ('2', '', '{NOW}')")
                with pytest.raises(RuntimeError), atomic(db):
                    db.conn.execute(f"INSERT INTO sync_state VALUES ('3', '', '{NOW}')")
                    raise RuntimeError("boom")
                db.conn.execute(f"INSERT INTO sync_state VALUES ('2b', '', '{NOW}')")
        keys = [row["key"] for row in fetch_all(db, "SELECT key FROM sync_state ORDER BY key")]
        assert keys == ["1", "2", "2b"]
    finally:
        db.close()


def test_repositories_close_their_connection_however_the_block_ends(
    db_target: str | Path,
) -> None:
    from recepcja.store import Repositories

    with Repositories.open(db_target) as repos:
        repos.sync_state.set("a", "1")
    with pytest.raises(Exception, match="closed"):
        repos.db.conn.execute("SELECT 1")
    with pytest.raises(RuntimeError), Repositories.open(db_target) as again:
        raise RuntimeError("boom")
    with pytest.raises(Exception, match="closed"):
        again.db.conn.execute("SELECT 1")
