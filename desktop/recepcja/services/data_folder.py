"""The practice database as a file: refusing one that cannot be the practice, naming the way back.

A 0-byte ``recepcja.sqlite`` (a full disk, a failed copy, a sync tool) would otherwise open as a
new, empty practice and the desk would start booking into it; a database damaged mid-file fails
at the first query that reads the damaged page. Either way the answer for the desk is the same
one line: which file, and which backups exist to restore from (``recepcja restore FILE``).
"""

from __future__ import annotations

from pathlib import Path

from recepcja.config.paths import AppPaths
from recepcja.domain.errors import N_, DomainError

MAX_LISTED = 5


class DatabaseFileError(DomainError):
    """The practice database is empty or damaged; the message names the backups."""


def list_backups(paths: AppPaths) -> list[Path]:
    """Copies in ``backups/``, newest first."""
    try:
        found = [p for p in paths.backups.glob("*.sqlite") if p.is_file()]
    except OSError:
        return []
    return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)


def _backups_text(paths: AppPaths) -> str:
    found = list_backups(paths)
    if not found:
        return "—"
    names = ", ".join(str(p) for p in found[:MAX_LISTED])
    return names + (f" (+{len(found) - MAX_LISTED})" if len(found) > MAX_LISTED else "")


def refuse_unusable_database(paths: AppPaths) -> None:
    """DatabaseFileError when ``recepcja.sqlite`` is empty or cannot be read as a database;
    otherwise the copy before pending migrations (``backup_before_migration``) is taken."""
    import sqlite3

    from recepcja.store.migrations import pending_in_file

    refuse_empty_database(paths)
    try:
        pending = pending_in_file(paths.database)
    except sqlite3.DatabaseError as error:
        raise damaged_database_error(paths, str(error)) from None
    if not pending:
        return  # the backup modules only when there is a copy to take
    from recepcja.services.backup import backup_before_migration
    from recepcja.store.backup import DatabaseUnreadable

    try:
        backup_before_migration(paths)
    except DatabaseUnreadable as error:
        raise damaged_database_error(paths, error.params.get("error", error)) from None


def refuse_empty_database(paths: AppPaths) -> None:
    """DatabaseFileError when ``recepcja.sqlite`` exists but holds nothing at all."""
    database = paths.database
    try:
        empty = database.is_file() and database.stat().st_size == 0
    except OSError:
        return
    if empty:
        raise DatabaseFileError(
            N_("The database {path} is empty (0 bytes), so it is not this practice's data; "
               "nothing was opened. Restore a backup with 'recepcja restore FILE' (backups: "
               "{backups})."),
            path=str(database), backups=_backups_text(paths))


def damaged_database_error(paths: AppPaths, error: object) -> DatabaseFileError:
    """The one line for a database SQLite cannot read (damaged pages, not a database)."""
    return DatabaseFileError(
        N_("The database {path} is damaged ({error}). Restore a backup with 'recepcja "
           "restore FILE' (backups: {backups})."),
        path=str(paths.database), error=str(error), backups=_backups_text(paths))
