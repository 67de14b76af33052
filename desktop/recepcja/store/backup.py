"""Online backup and restore of the practice database, through SQLite's own backup API.

Why the backup API and not a file copy: the app keeps the database in WAL mode, so committed
bookings may still live only in ``recepcja.sqlite-wal``; copying the main file alone (or copying
it while a write is half done) gives a stale or torn file. ``Connection.backup`` copies pages
inside ONE read transaction (``pages=-1``): the copy is exactly the database as of the moment the
backup started, and in WAL mode the desk keeps writing meanwhile (readers never block writers).

A copy is written next to its target under a temporary name, switched to a single
self-contained file (rollback journal, no ``-wal``), verified with ``PRAGMA integrity_check``,
flushed to disk, and only then renamed into place: a failed backup never leaves a file that
looks like a good one.

Restore goes the other way through the same API into the live database file, so SQLite itself
handles its ``-wal`` and ``-shm`` files and the replacement is one transaction (a crash half-way
leaves the old database). Before that, leaving WAL mode proves no other connection has the
database open: SQLite refuses while anyone else is using it.

This is the only module besides the repositories that speaks SQL, and it writes no rows.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from recepcja.config.private_files import (
    OutputFileError,
    check_target,
    create_private,
    make_private,
    place,
)
from recepcja.domain.errors import N_, DomainError
from recepcja.store.db import BUSY_TIMEOUT_MS
from recepcja.store.migrations import MIGRATIONS, pending_in_file, recorded_in

SQLITE_HEADER = b"SQLite format 3\x00"
MIGRATIONS_TABLE = "_migrations"
# How long restore waits for other connections to let go before saying the database is in use.
IN_USE_TIMEOUT_MS = 2000


class BackupError(DomainError):
    """A backup or restore cannot be done; the message says why, for the admin."""


class DatabaseUnreadable(BackupError):
    """The database file cannot be read as a database at all (damaged, not SQLite)."""


@dataclass(frozen=True, slots=True)
class DatabaseReport:
    """What a verified database file holds: enough for an admin to trust (or doubt) a backup."""

    path: Path
    size: int
    integrity: str  # "ok", or SQLite's first complaint
    tables: dict[str, int] = field(default_factory=dict)
    migrations: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.integrity == "ok"


# --- opening ----------------------------------------------------------------------------------


def _uri(path: Path, mode: str) -> str:
    return f"{path.resolve().as_uri()}?mode={mode}"


@contextlib.contextmanager
def _open(
    path: Path, mode: str = "rw", timeout_ms: int = BUSY_TIMEOUT_MS
) -> Iterator[sqlite3.Connection]:
    """A plain connection that never creates a missing file (``mode=rw`` or ``ro``)."""
    conn = sqlite3.connect(
        _uri(path, mode), uri=True, timeout=timeout_ms / 1000, isolation_level=None
    )
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(timeout_ms)}")
        yield conn
    finally:
        conn.close()


def _looks_like_sqlite(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(len(SQLITE_HEADER)) == SQLITE_HEADER
    except OSError:
        return False


# --- inspecting -------------------------------------------------------------------------------


def _integrity(conn: sqlite3.Connection) -> str:
    rows = [str(row[0]) for row in conn.execute("PRAGMA integrity_check(20)").fetchall()]
    return "ok" if rows == ["ok"] else "; ".join(rows)


def _tables(conn: sqlite3.Connection) -> dict[str, int]:
    """Rows per table, as the backup report lists them (sqlite-utils' table tools)."""
    import sqlite_utils

    db = sqlite_utils.Database(conn, execute_plugins=False)
    return {name: db.table(name).count for name in sorted(db.table_names())
            if not name.startswith("sqlite_")}


def _report(conn: sqlite3.Connection, path: Path) -> DatabaseReport:
    try:
        integrity = _integrity(conn)
        tables = _tables(conn) if integrity == "ok" else {}
        migrations = recorded_in(conn) if integrity == "ok" else []
    except sqlite3.DatabaseError as exc:
        integrity = str(exc)
        tables, migrations = {}, []
    size = path.stat().st_size if path.exists() else 0
    return DatabaseReport(path, size, integrity, tables, migrations)


def inspect_database(path: Path) -> DatabaseReport:
    """Integrity, table row counts and applied migrations of the database file at ``path``,
    read-only. Raises BackupError when the file is missing or is not an SQLite database."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(N_("The file {path} does not exist."), path=str(path))
    if not _looks_like_sqlite(path):
        raise BackupError(N_("The file {path} is not an SQLite database."), path=str(path))
    try:
        with _open(path, "ro") as conn:
            return _report(conn, path)
    except sqlite3.DatabaseError as exc:
        raise BackupError(
            N_("The file {path} cannot be read as a database: {error}"),
            path=str(path),
            error=str(exc),
        ) from exc


def pending_migrations(path: Path) -> list[str]:
    """Migrations this version would apply when it opens ``path`` (empty for a missing file or
    an up-to-date one). Read-only: deciding whether to back up must not change anything."""
    try:
        return pending_in_file(path)
    except sqlite3.DatabaseError as exc:
        raise DatabaseUnreadable(
            N_("The file {path} cannot be read as a database: {error}"),
            path=str(path), error=str(exc),
        ) from exc


def check_recepcja_database(report: DatabaseReport) -> None:
    """Refuse a file that is damaged, is not a Recepcja database, or comes from a newer version
    (its schema would be a guess for this code)."""
    if not report.ok:
        raise BackupError(
            N_("The database {path} is damaged (integrity check: {problem})."),
            path=str(report.path),
            problem=report.integrity,
        )
    if MIGRATIONS_TABLE not in report.tables:
        raise BackupError(N_("The file {path} is not a Recepcja database."), path=str(report.path))
    known = {name for name, _ in MIGRATIONS}
    unknown = [name for name in report.migrations if name not in known]
    if unknown:
        raise BackupError(
            N_(
                "The database {path} was written by a newer version of Recepcja "
                "(unknown migrations: {names}). Update the application first."
            ),
            path=str(report.path),
            names=", ".join(unknown),
        )


# --- writing a copy ---------------------------------------------------------------------------


def _fsync_file(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


def _fsync_dir(folder: Path) -> None:
    """Make a rename durable (POSIX); Windows has no directory handles to flush."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_quietly(*paths: Path) -> None:
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _same_file(path: Path, *others: Path) -> bool:
    resolved = path.resolve()
    return any(resolved == other.resolve() for other in others)


def _sidecars(path: Path) -> tuple[Path, Path, Path]:
    return (
        path.with_name(path.name + "-journal"),
        path.with_name(path.name + "-wal"),
        path.with_name(path.name + "-shm"),
    )


def _copy_into_new_file(source: sqlite3.Connection, temp: Path) -> None:
    """``source`` copied into the new file ``temp`` as one consistent snapshot, left as a
    single self-contained file (rollback journal mode, so there is no -wal to forget)."""
    dest = sqlite3.connect(temp, isolation_level=None)
    try:
        source.backup(dest, pages=-1)
        mode = dest.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
        if str(mode).lower() != "delete":
            raise BackupError(N_("The copy could not be made self-contained."))
    finally:
        dest.close()


def copy_database(source: Path, target: Path, *, overwrite: bool = False) -> DatabaseReport:
    """An online-consistent, verified copy of the database ``source`` at ``target``.

    Safe while other threads or processes write to ``source``: the copy holds everything
    committed before it started. Raises BackupError (and leaves nothing at ``target``) when the
    source is missing or damaged, the target exists and ``overwrite`` is false, or the copy
    fails its integrity check.
    """
    source, target = Path(source), Path(target)
    if not source.is_file():
        raise BackupError(N_("There is no database to back up at {path}."), path=str(source))
    if _same_file(target, source, *_sidecars(source)):
        raise BackupError(N_("A backup cannot overwrite the database itself."))
    try:
        check_target(target, overwrite=overwrite)
    except OutputFileError as error:
        raise BackupError(error.message, **error.params) from None
    temp = target.with_name(f".{target.name}.{os.urandom(4).hex()}.partial")
    try:
        os.close(create_private(temp))  # SQLite fills the empty file; its journal follows
        with _open(source, "rw") as conn:
            _copy_into_new_file(conn, temp)
        with _open(temp, "ro") as conn:
            report = _report(conn, temp)
        if not report.ok:
            raise BackupError(
                N_("The copy failed its integrity check ({problem}); nothing was written."),
                problem=report.integrity,
            )
        _fsync_file(temp)
        try:
            place(temp, target, overwrite=overwrite)
        except FileExistsError:
            raise BackupError(
                N_("The file {path} already exists; nothing was written (use --force to "
                   "overwrite it)."),
                path=str(target),
            ) from None
        _fsync_dir(target.parent)
    except (sqlite3.Error, OSError) as exc:
        raise BackupError(
            N_("The backup of {path} failed: {error}"), path=str(source), error=str(exc)
        ) from exc
    finally:
        _remove_quietly(temp, *_sidecars(temp))
    return DatabaseReport(
        target, target.stat().st_size, report.integrity, report.tables, report.migrations
    )


# --- restoring --------------------------------------------------------------------------------


def _claim_exclusively(conn: sqlite3.Connection, path: Path) -> None:
    """Leave WAL mode: SQLite allows it only when no other connection has the database open,
    and doing it folds the -wal into the main file and removes -wal and -shm."""
    try:
        mode = conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
    except sqlite3.OperationalError as exc:
        mode = str(exc)
    if str(mode).lower() != "delete":
        raise BackupError(
            N_(
                "The database {path} is in use. Close Recepcja (and any 'recepcja' command) "
                "using this data folder, then try again."
            ),
            path=str(path),
        )


def database_problem(path: Path) -> str | None:
    """None when ``path`` is a readable SQLite database passing its integrity check; else what
    is wrong with it (empty, not SQLite, SQLite's complaint). Read-only."""
    path = Path(path)
    if path.stat().st_size == 0:
        return "0 bytes"
    if not _looks_like_sqlite(path):
        return "not an SQLite database"
    try:
        with _open(path, "ro") as conn:
            integrity = _integrity(conn)
    except sqlite3.DatabaseError as exc:
        return str(exc)
    return None if integrity == "ok" else integrity


def _refuse_if_in_use(database: Path) -> None:
    """BackupError when another connection has ``database`` open (as ``_claim_exclusively``);
    a file SQLite cannot read as a database at all cannot be in use as one."""
    try:
        with _open(database, "rw", IN_USE_TIMEOUT_MS) as conn:
            _claim_exclusively(conn, database)
    except sqlite3.OperationalError as exc:
        if "lock" in str(exc).lower() or "busy" in str(exc).lower():
            raise BackupError(
                N_("The database {path} is in use. Close Recepcja (and any 'recepcja' command) "
                   "using this data folder, then try again."), path=str(database)) from exc
    except sqlite3.DatabaseError:
        return


def _set_aside(database: Path, aside: Path) -> None:
    """Move the damaged ``database`` and its -wal/-shm/-journal to ``aside`` (same names plus
    the suffix), unread and unchanged: evidence, and maybe rows a specialist can still save."""
    _refuse_if_in_use(database)
    for current, kept in zip((database, *_sidecars(database)), (aside, *_sidecars(aside)),
                             strict=True):
        if current.exists():
            os.replace(current, kept)
            make_private(kept)


def restore_database(
    source: Path, database: Path, *, safety_copy: Path | None, damaged_copy: Path | None = None
) -> tuple[DatabaseReport, DatabaseReport | None, Path | None]:
    """Replace the contents of ``database`` with the verified Recepcja database ``source``.

    When ``database`` exists and is sound, it is first copied to ``safety_copy`` (verified,
    like any backup). When it is damaged (empty, not SQLite, failing its integrity check) it
    cannot be copied that way: it is moved, as it is, to ``damaged_copy`` (refused when that is
    None), and the backup is restored into a new file - the moment a restore is needed most.
    Returns the reports of the restored database and of the safety copy (None if there was no
    sound database) and the damaged copy's path (or None). Raises BackupError, changing
    nothing, when ``source`` is unfit or the database is in use.
    """
    source, database = Path(source), Path(database)
    if _same_file(source, database, *_sidecars(database)):
        raise BackupError(N_("The database cannot be restored from itself."))
    check_recepcja_database(inspect_database(source))
    database.parent.mkdir(parents=True, exist_ok=True)
    safety: DatabaseReport | None = None
    damaged: Path | None = None
    problem = database_problem(database) if database.exists() else None
    if problem is not None:
        if damaged_copy is None:
            raise BackupError(N_("The database {path} is damaged (integrity check: {problem})."),
                              path=str(database), problem=problem)
        _set_aside(database, damaged_copy)
        damaged = damaged_copy
    try:
        if database.exists():
            with _open(database, "rw", IN_USE_TIMEOUT_MS) as conn:
                _claim_exclusively(conn, database)
                if safety_copy is not None:
                    safety = copy_database(database, safety_copy)
                _load(source, conn)
        else:
            # A -wal or -shm without its database would be replayed onto the new file.
            _remove_quietly(*_sidecars(database))
            os.close(create_private(database))
            with contextlib.closing(sqlite3.connect(database, isolation_level=None)) as conn:
                _load(source, conn)
    except sqlite3.Error as exc:
        raise BackupError(
            N_("The restore into {path} failed: {error}"), path=str(database), error=str(exc)
        ) from exc
    restored = inspect_database(database)
    if not restored.ok:
        raise BackupError(
            N_("The database {path} is damaged (integrity check: {problem})."),
            path=str(database),
            problem=restored.integrity,
        )
    return restored, safety, damaged


def _load(source: Path, dest: sqlite3.Connection) -> None:
    """Copy ``source`` into the open database ``dest`` (one transaction), then back to WAL."""
    with _open(source, "ro") as src:
        src.backup(dest, pages=-1)
    dest.execute("PRAGMA journal_mode = WAL")
