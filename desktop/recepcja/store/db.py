"""Opening the practice database and the one way to write to it.

Threads: a SQLite connection belongs to the thread that opened it (``check_same_thread`` stays
on, so misuse fails loudly). Every thread - the UI, the sync engine, a worker - calls
:func:`open_database` for its own connection; WAL lets readers run beside the one writer, and
``busy_timeout`` makes a writer wait for another instead of failing at once.

Transactions: the connection runs in driver autocommit mode (``isolation_level=None``), so the
driver never opens a transaction behind our back; every write that matters goes through
:func:`atomic`, which starts with ``BEGIN IMMEDIATE`` so the write lock is taken up front (a
deferred transaction that reads first can fail half-way with SQLITE_BUSY when it tries to write).
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from recepcja.config.private_files import make_private, private_folder
from recepcja.domain.errors import N_, DomainError

if TYPE_CHECKING:
    import sqlite_utils

    from recepcja.domain.workstation import Workstation

BUSY_TIMEOUT_MS = 5000

Params = Sequence[Any] | dict[str, Any]


class Database:
    """The store's handle on one configured SQLite connection.

    Repositories run their SQL on ``conn`` (plain sqlite3: the schema's triggers and
    constraints do the guarding, every write goes through :func:`atomic`). ``utils`` is
    sqlite-utils' view of the same connection for table-level tooling (reports, benchmark
    data, tests); it is imported at first use because importing sqlite-utils (click, dateutil,
    pluggy) costs ~50 ms, a sixth of the desk's cold start, for nothing the desk needs then.
    """

    __slots__ = ("_utils", "conn", "workstation")

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._utils: sqlite_utils.Database | None = None
        # The desk writing through this connection (``AppContext.open_db`` sets it): new local
        # patient IDs carry its prefix. None: IDs without one (tools, tests, old callers).
        self.workstation: Workstation | None = None

    @property
    def utils(self) -> sqlite_utils.Database:
        if self._utils is None:
            import sqlite_utils

            # Plugins stay off: the app's database must not change behaviour with whatever
            # sqlite-utils plugins happen to be installed.
            self._utils = sqlite_utils.Database(self.conn, execute_plugins=False)
        return self._utils

    def table_names(self) -> list[str]:
        return self.utils.table_names()

    def close(self) -> None:
        self.conn.close()


class UnusableDatabaseError(DomainError):
    """The database file cannot be used as it is (too new, or the file system refuses WAL)."""


def connect(path: str | Path) -> Database:
    """A configured connection, without migrations (tests and tools that need the raw file)."""
    path = Path(path)
    private_folder(path.parent)
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    try:
        _make_private(path)
        _configure(conn, path)
        return Database(conn)
    except BaseException:
        conn.close()
        raise


def open_database(path: str | Path) -> Database:
    """Open (creating if needed) the practice database at ``path`` and bring its schema up to
    date. One call per thread; close it with ``db.close()``."""
    from recepcja.store.migrations import migrate

    db = connect(path)
    try:
        migrate(db)
    except BaseException:
        db.close()
        raise
    return db


def _make_private(path: Path) -> None:
    """The database only for its owner (0600 on POSIX). Done before WAL mode is entered:
    SQLite creates ``-wal`` and ``-shm`` with the database file's own permissions, so they
    follow; ones left by an older version are narrowed here too."""
    for item in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm"),
                 path.with_name(path.name + "-journal")):
        make_private(item)


def _configure(conn: sqlite3.Connection, path: Path) -> None:
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        raise UnusableDatabaseError(
            N_("The database {path} cannot use write-ahead logging (journal mode is {mode})."),
            path=str(path),
            mode=str(mode),
        )
    # FULL: a booking the desk was told is saved survives a power cut, WAL or not.
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA cache_size = -32768")


@contextlib.contextmanager
def atomic(db: Database) -> Iterator[Database]:
    """One transaction: everything inside commits together or not at all.

    Outermost level: ``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` on any exception).
    Nested: a savepoint, so repositories can call each other inside a caller's transaction.
    """
    conn = db.conn
    if conn.in_transaction:
        # One name for every level: savepoints nest strictly, and RELEASE / ROLLBACK TO act on
        # the innermost savepoint of that name. Constant text also keeps the statements in the
        # driver's statement cache (bulk imports nest hundreds of thousands of these).
        conn.execute("SAVEPOINT recepcja_atomic")
        try:
            yield db
        except BaseException:
            # A RAISE(ROLLBACK) or a failed COMMIT may already have ended the transaction.
            if conn.in_transaction:
                conn.execute("ROLLBACK TO recepcja_atomic")
                conn.execute("RELEASE recepcja_atomic")
            raise
        conn.execute("RELEASE recepcja_atomic")
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def fetch_all(db: Database, sql: str, params: Params = ()) -> list[dict[str, Any]]:
    """Rows as dicts. Straight on the connection: the hot read paths (search, day view) should
    not pay for sqlite-utils' per-query savepoint."""
    cursor = db.conn.execute(sql, params)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def fetch_one(db: Database, sql: str, params: Params = ()) -> dict[str, Any] | None:
    cursor = db.conn.execute(sql, params)
    row = cursor.fetchone()
    if row is None:
        return None
    return dict(zip([column[0] for column in cursor.description], row, strict=True))


def scalar(db: Database, sql: str, params: Params = ()) -> Any:
    row = db.conn.execute(sql, params).fetchone()
    return None if row is None else row[0]
