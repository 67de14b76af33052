"""A desk's connection to the practice database that falls back on the desk's copy.

The window and the desk's actions work over :func:`with_failover` connections
(``AppContext.open_desk_db``). Such a connection never leaves the desk waiting on a server that
is gone, and never leaves it with a dead connection:

- **bounded**: every ordinary connection has ``connect_timeout``, TCP keepalives, a TCP user
  timeout and a ``statement_timeout`` (``store/pg.py``); and a query in flight on a desk
  connection is cut short the moment the practice link learns the server is away
  (:func:`abort_in_flight`, called by ``services/server_absence.py``) - a link that silently
  holds everything back (a hung switch, a frozen server) acknowledges TCP and answers
  keepalives, so nothing below the application would ever end that wait;
- **switching over**: a statement that fails because the server is lost (the connection broke,
  or the server cancelled it after ``statement_timeout``) calls ``fallback(reason)``, which
  marks the desk away and hands out the desk's copy; the connection goes on over the copy from
  then on. A statement started after the practice link found the server away switches the same
  way without touching the silent link (a connection opened before, e.g. a reader's kept
  one). A read outside a transaction is run again on the copy, so the window's query answers
  from the copy instead of failing; a write (or anything inside a transaction) is
  not repeated - its transaction failed as a whole and the caller is told in one line.

Queries in flight are tracked by their socket: cutting one short shuts the socket down (the
driver sees the connection end, as if the server had closed it). The registry's lock is held
while a socket is shut down, and a query leaves the registry under the same lock before its
connection can be closed, so a socket number is never shut down after it was reused.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from recepcja.domain.errors import N_
from recepcja.store.db import Database, UnusableDatabaseError

log = logging.getLogger(__name__)

Fallback = Callable[[str], Database]

_lock = threading.Lock()
_in_flight: dict[int, int] = {}  # a running statement's token -> its socket's descriptor
_READS = ("SELECT", "WITH", "VALUES", "PRAGMA")
AWAY = "the practice link finds the server away"  # the reason in the log and the banner's state


def abort_in_flight() -> int:
    """Cut short every statement running on a desk connection; how many were running."""
    with _lock:
        count = 0
        for fd in _in_flight.values():
            try:
                sock = socket.socket(fileno=os.dup(fd))
            except OSError:
                continue
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
                count += 1
            sock.close()
        return count


def with_failover(db: Database, fallback: Fallback,
                  away: Callable[[], bool] | None = None) -> Database:
    """``db`` itself, its connection wrapped as the module docstring says (PostgreSQL only:
    a desk on its own SQLite file has nothing to fall back on). ``away``: whether the practice
    link knows the server is away - then a statement goes to the copy without waiting."""
    if db.dialect.is_postgresql:
        db.conn = FailoverConnection(db, fallback, away)
    return db


class FailoverConnection:
    """The practice connection of ``db`` until the server is lost, then the desk's copy."""

    def __init__(self, db: Database, fallback: Fallback,
                 away: Callable[[], bool] | None = None) -> None:
        self._db = db
        self.inner: Any = db.conn
        self._fallback = fallback
        self._away = away
        self.failed_over = False

    @property
    def in_transaction(self) -> bool:
        return bool(self.inner.in_transaction)

    def __getattr__(self, name: str) -> Any:  # raw, check_alive: the practice connection's
        return getattr(self.inner, name)

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Any:
        return self._run(self.inner.execute, sql, params)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any] | dict[str, Any]]) -> Any:
        return self._run(self.inner.executemany, sql, rows)

    def _run(self, call: Callable[[str, Any], Any], sql: str, arg: Any) -> Any:
        if self.failed_over:
            return call(sql, arg)
        in_transaction = self.inner.in_transaction
        if self._away is not None and self._away():
            # The practice link already knows the server is away: a statement started now on
            # this connection (opened before) would wait on the silent link, after the
            # statements in flight were cut short.
            away = UnusableDatabaseError(N_(
                "The practice database does not answer. What was saved before is safe; try "
                "again when the server answers."))
            return self._after_loss(away, AWAY, call, sql, arg,
                                    in_transaction=in_transaction)
        token = object()
        try:
            with _lock:
                _in_flight[id(token)] = _socket_of(self.inner)
            return call(sql, arg)
        except Exception as error:
            reason = _lost(error)
            if reason is None:
                raise
            return self._after_loss(error, reason, call, sql, arg,
                                    in_transaction=in_transaction)
        finally:
            with _lock:
                _in_flight.pop(id(token), None)

    def _after_loss(self, error: Exception, reason: str, call: Callable[[str, Any], Any],
                    sql: str, arg: Any, *, in_transaction: bool) -> Any:
        """Switch to the copy; a read outside a transaction is answered from it."""
        self._fail_over(reason)
        if in_transaction or not _is_read(sql):
            raise _one_line(error, reason) from error
        try:
            return getattr(self.inner, call.__name__)(sql, arg)
        except Exception:
            log.warning("a read could not be repeated on the desk's copy", exc_info=True)
            raise _one_line(error, reason) from error

    def _fail_over(self, reason: str) -> None:
        practice = self.inner
        copy = self._fallback(reason)
        db = self._db
        self.inner = copy.conn
        db.dialect, db.IntegrityError, db.where = copy.dialect, copy.IntegrityError, copy.where
        self.failed_over = True
        with contextlib.suppress(Exception):
            practice.close()

    def close(self) -> None:
        self.inner.close()


def _one_line(error: Exception, reason: str) -> Exception:
    """A statement the server cancelled, as the store's one line of a lost server."""
    if isinstance(error, UnusableDatabaseError):
        return error
    return UnusableDatabaseError(
        N_("The connection to the practice database was lost ({error}). What was saved "
           "before is safe; try again when the server answers."), error=reason)


def _socket_of(conn: Any) -> int:
    try:
        return int(conn.raw.fileno())
    except Exception as error:  # a closed or broken connection has no socket
        conn.check_alive(error)
        raise UnusableDatabaseError(str(error)) from error


def _is_read(sql: str) -> bool:
    return sql.lstrip().split(None, 1)[0].upper() in _READS if sql.strip() else False


def _lost(error: BaseException) -> str | None:
    """Why ``error`` means the server is lost to this desk, or None when it does not."""
    if isinstance(error, UnusableDatabaseError):  # the connection broke (store/pg.py)
        return str(error)
    if type(error).__name__ == "QueryCanceled":  # statement_timeout: the server holds back
        return (str(error).strip().splitlines() or ["statement timeout"])[0]
    return None
