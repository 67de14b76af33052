"""Opening the practice database and the one way to write to it.

Two engines, one store: the embedded SQLite file in the data folder (one desk, the default), or
a PostgreSQL practice database shared by several desks (``open_database("postgresql://...")``,
``store/pg.py``; psycopg is imported only then). The repositories see the same
:class:`Database` either way; what the engines say differently is in ``store/dialect.py``.

Threads: a SQLite connection belongs to the thread that opened it (``check_same_thread`` stays
on, so misuse fails loudly). Every thread - the UI, the sync engine, a worker - calls
:func:`open_database` for its own connection; WAL lets readers run beside the one writer, and
``busy_timeout`` makes a writer wait for another instead of failing at once.

Transactions: the connection runs in driver autocommit mode (``isolation_level=None``), so the
driver never opens a transaction behind our back; every write that matters goes through
:func:`atomic`, which starts with ``BEGIN IMMEDIATE`` so the write lock is taken up front (a
deferred transaction that reads first can fail half-way with SQLITE_BUSY when it tries to write).
On PostgreSQL the same :func:`atomic` opens a READ COMMITTED transaction and takes the practice's
writer lock (a transaction-level advisory lock) first, so code that reads and then writes inside
``atomic`` (the next local patient ID, the open outage, a slot's state) is as safe there as on
SQLite: one writer at a time, and every statement after the lock sees every earlier commit.
(Not SERIALIZABLE with retries: ``atomic`` is a ``with`` block whose body cannot be run again,
and its callers set Python state after it; a desk's write rate is a few per minute, so one
writer at a time costs nothing that matters. A side effect part b and issue 16 rely on: ids
and any change counter are drawn in commit order, so "everything after the last id I saw" is a
safe cursor on PostgreSQL too.)
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from recepcja.config.private_files import make_private, private_folder
from recepcja.domain.errors import N_, DomainError
from recepcja.store.dialect import SQLITE, Dialect

if TYPE_CHECKING:
    import sqlite_utils

    from recepcja.domain.workstation import Workstation

BUSY_TIMEOUT_MS = 5000

Params = Sequence[Any] | dict[str, Any]


class Database:
    """The store's handle on one configured connection.

    Repositories run their SQL on ``conn``: a sqlite3 connection, or for a practice database
    ``store.pg.PgConnection``, which has the same ``execute`` / ``executemany`` / cursor shape
    and placeholders. The schema's constraints do the guarding; a refused write raises
    ``IntegrityError`` (the engine's own class), and ``violation(error)`` names the constraint
    in words both engines share (``store/dialect.py``). Every write goes through
    :func:`atomic`. ``where`` says where the data is, for people (a path, or the URL without
    its password).

    ``utils`` (SQLite only) is sqlite-utils' view of the same connection for table-level
    tooling (reports, benchmark data, tests); it is imported at first use because importing
    sqlite-utils (click, dateutil, pluggy) costs ~50 ms, a sixth of the desk's cold start, for
    nothing the desk needs then.
    """

    __slots__ = ("IntegrityError", "_utils", "_whose", "_workstation", "conn", "dialect", "where")

    def __init__(
        self,
        conn: Any,
        *,
        dialect: Dialect = SQLITE,
        integrity_error: type[Exception] = sqlite3.IntegrityError,
        where: str = "",
    ) -> None:
        self.conn = conn
        self.dialect = dialect
        self.IntegrityError = integrity_error
        self.where = where
        self._utils: sqlite_utils.Database | None = None
        self._workstation: Workstation | None = None
        self._whose: Callable[[], Workstation] | None = None

    @property
    def workstation(self) -> Workstation | None:
        """The desk writing through this connection (``identify``; ``AppContext.open_db``
        names it): new local patient IDs carry its prefix. None: IDs without one (tools,
        tests, old callers)."""
        if self._whose is not None:
            self._workstation, self._whose = self._whose(), None
        return self._workstation

    @workstation.setter
    def workstation(self, workstation: Workstation | None) -> None:
        self._workstation, self._whose = workstation, None

    def identify(self, workstation: Workstation | Callable[[], Workstation] | None) -> None:
        """Name the desk in this connection's session: the change journal and the audit log
        record it, new local patient IDs carry its prefix. Given as a function, the desk is
        asked for when first needed on SQLite - a prefix derived from the desk's name hashes
        it, and hashlib loads OpenSSL's library (~12 M instructions of the window's cold
        start, which writes nothing before its first paint); a practice database's session
        (``recepcja.workstation``, read by the journal's triggers) is named at once."""
        if callable(workstation):
            if not self.dialect.is_postgresql:
                self._workstation, self._whose = None, workstation
                return
            workstation = workstation()
        self.workstation = workstation
        if self.dialect.is_postgresql and workstation is not None:
            self.conn.execute("SELECT set_config('recepcja.workstation', ?, false)",
                              (workstation.name,))

    @property
    def engine(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self.dialect.name

    def violation(self, error: BaseException) -> str:
        """Which constraint refused a write, in engine-neutral words (``store/dialect.py``)."""
        return self.dialect.violation(error)

    @property
    def utils(self) -> sqlite_utils.Database:
        if self.dialect.is_postgresql:
            raise TypeError("sqlite-utils works on the SQLite store only")
        if self._utils is None:
            import sqlite_utils

            # Plugins stay off: the app's database must not change behaviour with whatever
            # sqlite-utils plugins happen to be installed.
            self._utils = sqlite_utils.Database(self.conn, execute_plugins=False)
        return self._utils

    def table_names(self) -> list[str]:
        return [row[0] for row in self.conn.execute(self.dialect.table_names_sql)]

    def has_table(self, name: str) -> bool:
        return self.conn.execute(self.dialect.table_exists_sql, (name,)).fetchone() is not None

    def close(self) -> None:
        self.conn.close()


class UnusableDatabaseError(DomainError):
    """The database cannot be used as it is (too new, of another practice, unreachable, the
    file system refuses WAL): the message says which, in one line."""


def is_database_url(target: str | Path) -> bool:
    """Whether ``target`` names a PostgreSQL practice database rather than an SQLite file."""
    return isinstance(target, str) and target.startswith(("postgresql://", "postgres://"))


def masked_url(url: str) -> str:
    """``url`` without its password (for status, logs and messages)."""
    masked = re.sub(r"(://[^:/@]*):[^@/]*@", r"\1:***@", url)
    return re.sub(r"(?i)(password=)[^&\s]*", r"\1***", masked)


def connect(path: str | Path) -> Database:
    """A configured connection, without migrations (tests and tools that need the raw file)."""
    path = Path(path)
    private_folder(path.parent)
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    try:
        _make_private(path)
        _configure(conn, path)
        return Database(conn, where=str(path))
    except BaseException:
        conn.close()
        raise


def connect_to(target: str | Path, *, password: str | None = None) -> Database:
    """A configured connection to ``target`` without migrations: an SQLite file path, or a
    ``postgresql://`` URL (``password`` when the URL has none: from the keyring)."""
    if is_database_url(target):
        from recepcja.store.pg import connect as pg_connect

        return pg_connect(str(target), password=password)
    return connect(target)


def open_database(target: str | Path, *, password: str | None = None) -> Database:
    """Open the practice database - the SQLite file at ``target`` (created if needed) or the
    PostgreSQL database a ``postgresql://`` URL names - and bring its schema up to date. One
    call per thread; close it with ``db.close()``."""
    from recepcja.store.migrations import migrate

    db = connect_to(target, password=password)
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

    Outermost level: ``BEGIN IMMEDIATE`` (PostgreSQL: ``BEGIN`` and the practice's writer
    lock) ... ``COMMIT`` (``ROLLBACK`` on any exception). Nested: a savepoint, so repositories
    can call each other inside a caller's transaction, and a refused statement inside it (which
    aborts a whole PostgreSQL transaction) can be caught and the transaction carried on.
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
    conn.execute(db.dialect.begin)
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


def insert_id(db: Database, sql: str, params: Params = ()) -> int | None:
    """Run an ``INSERT ... RETURNING id`` and return the new row's id (None when ``ON CONFLICT
    DO NOTHING`` skipped it). The cursor is read to the end, so the statement is finished."""
    rows = db.conn.execute(sql, params).fetchall()
    return int(rows[0][0]) if rows else None
