"""The PostgreSQL practice database: psycopg 3 behind the connection shape the repositories use.

Imported only when a ``postgresql://`` URL is configured (psycopg and libpq cost the window's
cold start nothing otherwise). :class:`PgConnection` gives the repositories what they use of a
sqlite3 connection - ``execute`` / ``executemany`` returning a cursor with ``fetchone``,
``fetchall``, ``rowcount``, ``description`` and iteration, and ``in_transaction`` - and turns
SQLite's placeholders into psycopg's. Values cross the boundary as they do from SQLite: the
columns that are real ``timestamptz`` / ``date`` / ``jsonb`` in PostgreSQL come back as the same
canonical text (``2026-03-02T07:00:00Z``, ``2026-03-02``, JSON text) the codec reads from SQLite,
so no repository knows which engine it talks to.

Connections run in autocommit mode: a statement outside :func:`~recepcja.store.db.atomic` is its
own transaction (like SQLite's autocommit), and ``atomic`` opens the explicit ones.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from typing import Any

import psycopg
from psycopg.adapt import Loader
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from recepcja.domain.errors import N_
from recepcja.store.db import Database, UnusableDatabaseError, masked_url
from recepcja.store.dialect import POSTGRESQL

CONNECT_TIMEOUT_S = 5
APPLICATION_NAME = "recepcja"
KEEPALIVES = {"keepalives": 1, "keepalives_idle": 4, "keepalives_interval": 2,
              "keepalives_count": 2}
# Data this side sent that the server never acknowledges (a pulled cable, a switched-off PC in
# the middle of a query) ends the connection after this long; keepalives only cover an idle
# link. libpq applies it where the platform has TCP_USER_TIMEOUT (Linux) and ignores it
# elsewhere.
TCP_USER_TIMEOUT_MS = 9000
# The longest one statement of a desk may run on the server (a lock wait included): a window
# never waits longer than this for an answer the server holds back. Migrations lift it for
# their own transactions (store/migrations.py).
DESK_STATEMENT_TIMEOUT_MS = 30_000
SERVER_KEEPALIVES = ("-c tcp_keepalives_idle=4 -c tcp_keepalives_interval=2 "
                     "-c tcp_keepalives_count=2 -c tcp_user_timeout=9000")

# Quoted text is copied as it is; ``?`` and ``:name`` (not ``::type``) become psycopg's
# placeholders; every ``%`` (quoted or not) is doubled.
_TOKENS = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|::|\?|:([A-Za-z_]\w*)|%")


@functools.lru_cache(maxsize=2048)
def translate(sql: str) -> str:
    """SQLite-style placeholders (``?``, ``:name``) as psycopg's (``%s``, ``%(name)s``)."""

    def replace(match: re.Match[str]) -> str:
        text = match.group(0)
        if match.group(1):
            return f"%({match.group(1)})s"
        # psycopg reads % everywhere, quoted text included.
        return {"?": "%s", "::": "::"}.get(text, text.replace("%", "%%"))

    return _TOKENS.sub(replace, sql)


class _UtcTextLoader(Loader):
    """``timestamptz`` as the store's canonical UTC text (the session's TimeZone is UTC, so the
    server sends ``2026-03-02 07:00:00+00``; fractions of a second are dropped, as the store
    never writes any)."""

    def load(self, data: Any) -> str:
        text = bytes(data).decode()
        return f"{text[:10]}T{text[11:19]}Z"


class _TextLoader(Loader):
    """``date`` (ISO) and ``jsonb`` as the text SQLite would give."""

    def load(self, data: Any) -> str:
        return bytes(data).decode()


class PgConnection:
    """A psycopg connection with the sqlite3 connection's shape (see the module docstring)."""

    __slots__ = ("raw",)

    def __init__(self, raw: psycopg.Connection[Any]) -> None:
        self.raw = raw

    @property
    def in_transaction(self) -> bool:
        return self.raw.info.transaction_status != psycopg.pq.TransactionStatus.IDLE

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> psycopg.Cursor[Any]:
        cursor = self.raw.cursor()
        try:
            # Without parameters the text goes as it is (DDL scripts of several statements).
            cursor.execute(translate(sql), params) if params else cursor.execute(sql)
        except psycopg.OperationalError as error:
            self.check_alive(error)
            raise
        return cursor

    def executemany(
        self, sql: str, rows: Iterable[Sequence[Any] | dict[str, Any]]
    ) -> psycopg.Cursor[Any]:
        cursor = self.raw.cursor()
        try:
            cursor.executemany(translate(sql), rows)
        except psycopg.OperationalError as error:
            self.check_alive(error)
            raise
        return cursor

    def check_alive(self, error: psycopg.OperationalError) -> None:
        """A lost server becomes one clear line; other operational errors pass as they are."""
        if self.raw.broken:
            raise UnusableDatabaseError(
                N_("The connection to the practice database was lost ({error}). What was "
                   "saved before is safe; try again when the server answers."),
                error=_first_line(error),
            ) from error

    def close(self) -> None:
        self.raw.close()


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def connect(url: str, *, password: str | None = None) -> Database:
    """A configured connection to the practice database ``url``, or UnusableDatabaseError with
    one line saying what is wrong (the address, the server, the password, the database)."""
    where = masked_url(url)
    try:
        params = conninfo_to_dict(url)
    except psycopg.ProgrammingError as error:
        raise UnusableDatabaseError(
            N_("The practice database address {url} is not valid: {error}"),
            url=where, error=_first_line(error),
        ) from error
    if password and not params.get("password"):
        params["password"] = password
    params.setdefault("connect_timeout", CONNECT_TIMEOUT_S)
    # A desk that vanishes (cable pulled, PC switched off) is noticed within ~10 s by both
    # sides: its session - and the practice's CeR lock it may hold - ends (docs/ADMIN.md).
    for key, value in KEEPALIVES.items():
        params.setdefault(key, value)
    params.setdefault("tcp_user_timeout", TCP_USER_TIMEOUT_MS)
    params.setdefault("application_name", APPLICATION_NAME)
    # The session in UTC and ISO dates (the text the loaders read), whatever the server's
    # defaults, set at connection: no extra round trip. A statement_timeout the address
    # already sets (the probe's) is kept.
    given = str(params.get("options") or "")
    timeout = "" if "statement_timeout" in given else \
        f" -c statement_timeout={DESK_STATEMENT_TIMEOUT_MS}"
    params["options"] = (f"{given} -c TimeZone=UTC -c DateStyle=ISO "
                         f"{SERVER_KEEPALIVES}{timeout}").strip()
    try:
        raw = psycopg.connect(make_conninfo("", **params), autocommit=True)
    except psycopg.Error as error:
        raise _connect_error(error, params, where) from error
    try:
        raw.adapters.register_loader("timestamptz", _UtcTextLoader)
        for name in ("date", "jsonb", "json"):
            raw.adapters.register_loader(name, _TextLoader)
    except BaseException:
        raw.close()
        raise
    return Database(PgConnection(raw), dialect=POSTGRESQL,
                    integrity_error=psycopg.IntegrityError, where=where)


def _connect_error(
    error: psycopg.Error, params: dict[str, Any], where: str
) -> UnusableDatabaseError:
    text = str(error)
    host = f"{params.get('host') or 'localhost'}:{params.get('port') or 5432}"
    if "no password supplied" in text:
        return UnusableDatabaseError(
            N_("The practice database {url} asks for the password of user {user}, and none is "
               "stored. Store it with: recepcja secret set database-password"),
            url=where, user=str(params.get("user") or ""),
        )
    if isinstance(error, psycopg.errors.InvalidPassword) or "password" in text:
        return UnusableDatabaseError(
            N_("The practice database {url} refused the password of user {user}. Set the "
               "right one with: recepcja secret set database-password"),
            url=where, user=str(params.get("user") or ""),
        )
    if isinstance(error, psycopg.errors.InvalidCatalogName) or "does not exist" in text:
        return UnusableDatabaseError(
            N_("The server {host} has no database {name}: check the address {url}."),
            host=host, name=str(params.get("dbname") or ""), url=where,
        )
    if isinstance(error, psycopg.errors.InvalidAuthorizationSpecification):
        return UnusableDatabaseError(
            N_("The practice database {url} does not let this desk in: {error}"),
            url=where, error=_first_line(error),
        )
    return UnusableDatabaseError(
        N_("The practice database server {host} cannot be reached ({error}). Is it switched on "
           "and is the address {url} right?"),
        host=host, error=_first_line(error), url=where,
    )


# --- the practice's CeR lock connection (sync.practice_owner) ---------------------------------
# A held lock must be noticed lost quickly by BOTH ends, whatever lies between them (a pulled
# cable, a switch that swallows packets, a proxy or VPN that keeps TCP alive but forwards
# nothing): the owner pings its lock connection with a deadline of its own (``answers_within``)
# and gives up when it does not answer in time, and the server ends a lock session that has been
# silent for ``SERVER_SILENCE_S`` (``idle_session_timeout``), which frees the lock for the next
# desk. TCP keepalives and ``tcp_user_timeout`` (where the OS has it) are kept as the fallback.


def guard_lock_connection(db: Database, *, silence_s: float, user_timeout_s: float) -> None:
    """Tighten the lock connection ``db``: the server ends the session after ``silence_s``
    without a word from this desk (PostgreSQL 14+; older servers keep their keepalives), and
    this side's socket gives up on data unacknowledged for ``user_timeout_s``
    (``TCP_USER_TIMEOUT``, Linux) with keepalives on."""
    import contextlib
    import socket

    raw = _raw(db)
    with contextlib.suppress(psycopg.Error):
        raw.execute(f"SET idle_session_timeout = {int(silence_s * 1000)}")
    sock = socket.socket(fileno=raw.pgconn.socket)
    try:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        option = getattr(socket, "TCP_USER_TIMEOUT", None)
        if option is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, option, int(user_timeout_s * 1000))
    finally:
        sock.detach()  # the socket stays libpq's


def answers_within(db: Database, seconds: float) -> bool:
    """Whether the connection answers ``SELECT 1`` within ``seconds`` - without blocking longer
    whatever the network does (libpq's asynchronous calls and a select with a deadline). False
    when it is busy with another statement for that long, broken, or silent."""
    import time

    raw = _raw(db)
    if raw.closed or raw.broken or not raw.lock.acquire(timeout=max(0.0, seconds)):
        return False
    deadline = time.monotonic() + seconds
    pgconn = raw.pgconn
    try:
        pgconn.send_query(b"SELECT 1")
        while pgconn.flush():
            if not _wait_socket(pgconn.socket, deadline, write=True):
                return False
        while True:
            pgconn.consume_input()
            if not pgconn.is_busy():
                break
            if not _wait_socket(pgconn.socket, deadline, write=False):
                return False
        ok = True
        while (result := pgconn.get_result()) is not None:
            ok = ok and result.status == psycopg.pq.ExecStatus.TUPLES_OK
        return ok
    except (psycopg.Error, OSError):
        return False
    finally:
        raw.lock.release()


def _wait_socket(fd: int, deadline: float, *, write: bool) -> bool:
    import select
    import time

    remaining = deadline - time.monotonic()
    if remaining <= 0:
        return False
    ready = select.select([], [fd], [], remaining) if write else select.select(
        [fd], [], [], remaining)
    return bool(ready[1] if write else ready[0])


def sever(db: Database) -> None:
    """Cut the connection's socket (both ways) so that whoever waits on it wakes at once with
    an error; the server, when it still hears, ends the session and lets its locks go."""
    import contextlib
    import socket

    raw = _raw(db)
    if raw.closed:
        return
    with contextlib.suppress(OSError, psycopg.Error):
        sock = socket.socket(fileno=raw.pgconn.socket)
        try:
            sock.shutdown(socket.SHUT_RDWR)
        finally:
            sock.detach()


def _raw(db: Database) -> psycopg.Connection[Any]:
    conn = db.conn
    assert isinstance(conn, PgConnection)
    return conn.raw
