"""Backup and restore (issue 8): online backups while the desk writes, restore with a safety copy,
and the CLI's promises (refuse to overwrite, one-line errors, nothing written on bad input).

The acceptance point: a backup taken while another PROCESS is booking visits in a loop restores
to a database that passes ``PRAGMA integrity_check`` and holds every booking committed before the
backup started - with its outbox row, because a visit and its outbox row commit together.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from backup_writer import seed_practice

from recepcja.cli.main import main
from recepcja.config.paths import AppPaths
from recepcja.services.backup import (
    backup_before_migration,
    backup_to_file,
    restore_from_file,
    safety_copy_path,
)
from recepcja.store import open_database
from recepcja.store.backup import BackupError, inspect_database
from recepcja.store.migrations import MIGRATIONS
from support.polling import wait_until

WRITER = Path(__file__).with_name("backup_writer.py")


def committed_ids(path: Path) -> set[int]:
    if not path.exists():
        return set()
    # A line being written right now may be partial: only whole lines count.
    text = path.read_text(encoding="utf-8")
    return {int(line) for line in text.split("\n")[:-1] if line}


def table_rows(path: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


@pytest.fixture
def paths(tmp_path: Path) -> AppPaths:
    return AppPaths(tmp_path / "practice").ensure()


@pytest.mark.slow
def test_backup_while_another_process_books_restores_every_committed_booking(
    paths: AppPaths, tmp_path: Path
) -> None:
    seed_practice(paths.database, patients=30_000)  # ~7 MB: a backup takes a while
    committed, stop = tmp_path / "committed.txt", tmp_path / "stop"
    writer = subprocess.Popen(
        [sys.executable, str(WRITER), str(paths.database), str(committed), str(stop)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    backups: list[tuple[Path, set[int]]] = []
    committed_during = 0  # bookings the desk committed while a backup was running
    try:
        wait_until(lambda: len(committed_ids(committed)) >= 20, "20 committed writes", step=0.02)
        for round_ in range(4):
            before = committed_ids(committed)  # committed before this backup starts
            target = tmp_path / f"backup-{round_}.sqlite"
            report = backup_to_file(paths, target)
            committed_during += len(committed_ids(committed)) - len(before)
            assert report.integrity == "ok"
            backups.append((target, before))
            # Let the desk commit more before the next backup.
            so_far = len(committed_ids(committed))
            wait_until(lambda n=so_far: len(committed_ids(committed)) > n + 10,
                       "10 more committed writes", step=0.02)
    finally:
        stop.touch()
        out, err = writer.communicate(timeout=60)
    assert writer.returncode == 0, err
    all_committed = committed_ids(committed)
    assert int(out.strip()) == len(all_committed)
    # The desk really was writing while the backups ran (a backup never blocks it).
    assert committed_during > 0
    assert len(all_committed) > len(backups[-1][1])

    for round_, (backup, before) in enumerate(backups):
        assert inspect_database(backup).integrity == "ok"
        # A new workstation: restore into an empty data folder.
        fresh = AppPaths(tmp_path / f"restored-{round_}").ensure()
        result = restore_from_file(fresh, backup)
        assert result.restored.integrity == "ok"
        assert result.safety_copy is None
        assert table_rows(fresh.database, "PRAGMA integrity_check") == [("ok",)]
        visits = {row[0] for row in table_rows(fresh.database, "SELECT id FROM visits")}
        assert before <= visits, f"backup {round_} lost {sorted(before - visits)[:10]}"
        # Transactions are whole: every visit has its booked slot and its outbox row.
        orphans = table_rows(
            fresh.database,
            "SELECT v.id FROM visits v LEFT JOIN outbox o ON o.visit_id = v.id "
            "JOIN slots s ON s.id = v.slot_id WHERE o.id IS NULL OR s.state != 'booked'",
        )
        assert orphans == []
        db = open_database(fresh.database)  # the app opens it (migrations are a no-op)
        db.close()


def test_backup_is_self_contained_and_refuses_to_overwrite(paths: AppPaths, tmp_path: Path):
    seed_practice(paths.database, days=2, patients=10)
    target = tmp_path / "copy.sqlite"
    report = backup_to_file(paths, target)
    assert report.path == target and report.size == target.stat().st_size
    assert report.tables["slots"] == 80 and report.tables["patients"] == 10
    assert [name for name, _ in MIGRATIONS] == report.migrations
    # One file, no -wal to forget when it is copied to a USB stick.
    assert table_rows(target, "PRAGMA journal_mode") == [("delete",)]
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("copy")) == [
        "copy.sqlite"
    ]
    before = target.read_bytes()
    with pytest.raises(BackupError, match="already exists"):
        backup_to_file(paths, target)
    assert target.read_bytes() == before
    assert backup_to_file(paths, target, force=True).integrity == "ok"
    with pytest.raises(BackupError):
        backup_to_file(paths, paths.database, force=True)
    with pytest.raises(BackupError):
        backup_to_file(paths, tmp_path / "no-such-folder" / "copy.sqlite")
    assert not (tmp_path / "no-such-folder").exists()


def test_restore_keeps_a_safety_copy_and_replaces_the_database(paths: AppPaths, tmp_path: Path):
    seed_practice(paths.database, days=1, patients=3)
    backup = tmp_path / "three.sqlite"
    backup_to_file(paths, backup)
    # The app crashed after a commit: the row lives only in the -wal, never checkpointed.
    crash = (
        "import os, sys\n"
        "from recepcja.store import open_database\n"
        "db = open_database(sys.argv[1])\n"
        "db.conn.execute('PRAGMA wal_autocheckpoint = 0')\n"
        "db.conn.execute(\"INSERT INTO sync_state VALUES ('after-backup', '1', 'x')\")\n"
        "os._exit(0)\n"
    )
    subprocess.run([sys.executable, "-c", crash, str(paths.database)], check=True)
    wal = paths.database.with_name("recepcja.sqlite-wal")
    assert wal.stat().st_size > 0

    result = restore_from_file(paths, backup, now=dt.datetime(2026, 3, 1, 9, 0))
    assert result.safety_copy is not None
    assert result.safety_copy.path.parent == paths.backups
    assert result.safety_copy.path.name == "recepcja-before-restore-20260301-090000.sqlite"
    kept = table_rows(result.safety_copy.path, "SELECT key FROM sync_state")
    assert kept == [("after-backup",)]
    assert table_rows(paths.database, "SELECT key FROM sync_state") == []
    assert table_rows(paths.database, "SELECT count(*) FROM patients") == [(3,)]
    assert table_rows(paths.database, "PRAGMA journal_mode") == [("wal",)]
    db = open_database(paths.database)
    db.close()


def test_restore_refuses_bad_files_and_a_database_in_use(paths: AppPaths, tmp_path: Path):
    seed_practice(paths.database, days=1, patients=1)
    original = paths.database.read_bytes()
    not_sqlite = tmp_path / "notes.txt"
    not_sqlite.write_text("hello", encoding="utf-8")
    other_sqlite = tmp_path / "other.sqlite"
    conn = sqlite3.connect(other_sqlite)
    conn.execute("CREATE TABLE t (x)")
    conn.close()
    newer = tmp_path / "newer.sqlite"
    backup_to_file(paths, newer)
    conn = sqlite3.connect(newer)
    conn.execute("INSERT INTO _migrations VALUES ('9999_future', 'x')")
    conn.commit()
    conn.close()
    damaged = tmp_path / "damaged.sqlite"
    backup_to_file(paths, damaged)
    data = bytearray(damaged.read_bytes())
    data[4096 * 3: 4096 * 3 + 512] = b"\xff" * 512  # scribble over a b-tree page
    damaged.write_bytes(bytes(data))

    for bad, needle in [
        (tmp_path / "missing.sqlite", "does not exist"),
        (not_sqlite, "not an SQLite database"),
        (other_sqlite, "not a Recepcja database"),
        (newer, "newer version"),
        (damaged, "damaged"),
        (paths.database, "itself"),
    ]:
        with pytest.raises(BackupError, match=needle):
            restore_from_file(paths, bad)
    assert list(paths.backups.iterdir()) == []  # no safety copy for a refused restore

    good = tmp_path / "good.sqlite"
    backup_to_file(paths, good)
    db = open_database(paths.database)  # the app is running
    try:
        with pytest.raises(BackupError, match="in use"):
            restore_from_file(paths, good)
    finally:
        db.close()
    assert list(paths.backups.iterdir()) == []
    assert inspect_database(paths.database).ok
    assert len(original) > 0


def test_backup_before_migration_copies_only_when_migrations_are_pending(paths: AppPaths):
    assert backup_before_migration(paths) is None  # no database yet
    db = open_database(paths.database)
    db.close()
    assert backup_before_migration(paths) is None  # up to date
    conn = sqlite3.connect(paths.database)
    conn.execute("DELETE FROM _migrations WHERE name = ?", (MIGRATIONS[-1][0],))
    conn.commit()
    conn.close()
    copy = backup_before_migration(paths, now=dt.datetime(2026, 3, 1, 9, 0))
    assert copy == paths.backups / "recepcja-before-upgrade-20260301-090000.sqlite"
    assert inspect_database(copy).ok
    assert safety_copy_path(paths, "before-upgrade", now=dt.datetime(2026, 3, 1, 9, 0)).name == (
        "recepcja-before-upgrade-20260301-090000-2.sqlite"
    )


def test_cli_backup_and_restore(paths: AppPaths, tmp_path: Path, monkeypatch, capsys):
    monkeypatch.setenv("RECEPCJA_HOME", str(paths.root))
    seed_practice(paths.database, days=1, patients=2)
    target = tmp_path / "cli.sqlite"
    assert main(["backup", str(target), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["path"] == str(target) and data["integrity"] == "ok"
    assert data["tables"]["patients"] == 2 and data["size"] == target.stat().st_size

    assert main(["backup", str(target)]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1
    assert "--force" in captured.err

    assert main(["backup", str(target), "--force"]) == 0
    assert "ok" in capsys.readouterr().out

    assert main(["restore", str(target), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["integrity"] == "ok" and data["source"] == str(target)
    assert Path(data["safety_copy"]["path"]).parent == paths.backups

    assert main(["restore", str(tmp_path / "missing.sqlite")]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.startswith("recepcja: ")
    assert captured.err.count("\n") == 1


def test_a_damaged_database_file_is_one_clear_error_before_any_migration(paths: AppPaths):
    paths.database.write_bytes(b"this is not a database, just some bytes" * 200)
    with pytest.raises(BackupError, match="cannot be read as a database"):
        backup_before_migration(paths)
