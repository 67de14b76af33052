"""Backup use cases: back up to a file, restore from a file, and a copy before migrations.

Why these live above the store: they decide *where* copies go (the data folder's ``backups/``)
and *when* a safety copy is taken, which is policy; the store only knows how to copy a SQLite
file consistently (``store.backup``).

- ``backup_to_file``: what ``recepcja backup FILE`` does - online, so the desk may keep working.
- ``restore_from_file``: checks the file is a sound Recepcja database, copies the current
  database into ``backups/`` first (a damaged one is moved there as it is, named
  ``recepcja-damaged-<stamp>.sqlite``), then replaces it. The app must not be running on this data
  folder; the store refuses when it is.
- ``backup_before_migration``: an upgrade changes the schema on first start; a copy taken just
  before is the way back if the new version misbehaves.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from recepcja.config.paths import AppPaths
from recepcja.config.private_files import private_folder
from recepcja.store.backup import (
    DatabaseReport,
    copy_database,
    pending_migrations,
    restore_database,
)


@dataclass(frozen=True, slots=True)
class RestoreResult:
    restored: DatabaseReport
    source: Path
    safety_copy: DatabaseReport | None  # None: there was no database to keep (new workstation)
    damaged_copy: Path | None = None  # where a damaged database was kept, as it was


def report_json(report: DatabaseReport) -> dict[str, Any]:
    """The machine-readable form the CLI prints with ``--json``."""
    return {
        "path": str(report.path),
        "size": report.size,
        "integrity": report.integrity,
        "tables": dict(report.tables),
        "migrations": list(report.migrations),
        "method": "sqlite-backup-api",  # a practice database: "pg_dump" (practice_backup.py)
    }


def _stamp(now: dt.datetime | None) -> str:
    # Local time: the admin looking for "the copy from before Tuesday's restore" thinks in it.
    return (now or dt.datetime.now()).strftime("%Y%m%d-%H%M%S")


def safety_copy_path(paths: AppPaths, reason: str, now: dt.datetime | None = None) -> Path:
    """A new file name in ``backups/`` such as ``recepcja-before-restore-20260301-090000.sqlite``
    (never an existing one: a second copy in the same second gets a counter)."""
    private_folder(paths.backups)
    base = f"recepcja-{reason}-{_stamp(now)}"
    candidate = paths.backups / f"{base}.sqlite"
    counter = 2
    while candidate.exists():
        candidate = paths.backups / f"{base}-{counter}.sqlite"
        counter += 1
    return candidate


def backup_to_file(paths: AppPaths, target: Path, *, force: bool = False) -> DatabaseReport:
    """A verified, online-consistent copy of the practice database at ``target``."""
    return copy_database(paths.database, Path(target).expanduser().absolute(), overwrite=force)


def restore_from_file(
    paths: AppPaths, source: Path, now: dt.datetime | None = None
) -> RestoreResult:
    """Replace the practice database with the backup ``source``, keeping the current one in
    ``backups/`` first. Nothing changes when ``source`` is not a sound Recepcja database or the
    database is in use."""
    source = Path(source).expanduser().absolute()
    exists = paths.database.exists()
    safety = safety_copy_path(paths, "before-restore", now) if exists else None
    damaged = safety_copy_path(paths, "damaged", now) if exists else None
    restored, safety_report, damaged_copy = restore_database(
        source, paths.database, safety_copy=safety, damaged_copy=damaged)
    return RestoreResult(restored=restored, source=source, safety_copy=safety_report,
                         damaged_copy=damaged_copy)


def backup_before_migration(paths: AppPaths, now: dt.datetime | None = None) -> Path | None:
    """Copy the database into ``backups/`` when opening it would apply migrations (the first
    start after an upgrade); returns the copy's path, or None when nothing is pending or there
    is no database yet. Call it before the first ``open_database`` of a session."""
    if not pending_migrations(paths.database):
        return None
    target = safety_copy_path(paths, "before-upgrade", now)
    return copy_database(paths.database, target).path
