"""Is the practice database answering? A bounded probe for ``services/server_absence.py``.

One long-lived connection asks ``SELECT 1``; every wait on the way is bounded so a desk learns
within seconds that the server is gone, whatever the way it went:

- a stopped server or a refused port: the connection breaks, or the connect is refused, at once;
- a switched-off PC or a pulled cable (nothing answers at all): ``connect_timeout`` bounds a new
  connection, and ``tcp_user_timeout`` plus TCP keepalives bound a query on an existing one
  (the kernel gives up on unacknowledged data after that long);
- a server that accepts but hangs: ``statement_timeout`` (the server's own) bounds the query;
- anything else that holds the answer back (a middlebox that acknowledges and drops, a backend
  stuck before it reads): the probe runs on a thread of its own and gives up waiting after
  ``timeout``; that connection is left to its thread, which closes it when it ends.

A failed probe closes the connection; the next one connects afresh.
"""

from __future__ import annotations

import threading
from typing import Any

from recepcja.store.db import Database, UnusableDatabaseError

DEFAULT_TIMEOUT_S = 2.0  # libpq's connect_timeout is whole seconds, at least 2


def probe_conninfo(url: str, timeout: float = DEFAULT_TIMEOUT_S) -> str:
    """``url`` with every wait bounded to about ``timeout`` seconds (a libpq conninfo)."""
    from psycopg.conninfo import make_conninfo

    seconds = max(2, round(timeout))
    millis = int(timeout * 1000)
    return make_conninfo(url, connect_timeout=seconds, tcp_user_timeout=millis,
                         keepalives=1, keepalives_idle=1, keepalives_interval=1,
                         keepalives_count=max(1, seconds),
                         options=f"-c statement_timeout={millis}")


class PracticeProbe:
    """Probes one practice database (one caller at a time)."""

    def __init__(self, url: str, *, password: str | None = None,
                 timeout: float = DEFAULT_TIMEOUT_S) -> None:
        self.conninfo = probe_conninfo(url, timeout)
        self.password = password
        self.timeout = timeout
        self._lock = threading.Lock()
        self._db: Database | None = None

    def check(self) -> str | None:
        """None when the database answered within the timeout, else why not (one line, no
        password)."""
        answer: list[str | None] = []
        worker = threading.Thread(target=lambda: answer.append(self._ask()),
                                  name="recepcja-practice-probe", daemon=True)
        worker.start()
        worker.join(self.timeout + 0.5)
        if worker.is_alive():
            with self._lock:
                self._db = None  # the stuck connection stays with its thread
            return f"no answer within {self.timeout:g} s"
        return answer[0] if answer else "no answer"

    def _ask(self) -> str | None:
        import psycopg

        with self._lock:
            db = self._db
        try:
            if db is None:
                from recepcja.store.pg import connect

                db = connect(self.conninfo, password=self.password)
                with self._lock:
                    self._db = db
            db.conn.execute("SELECT 1").fetchone()
            return None
        except (psycopg.Error, UnusableDatabaseError, OSError) as error:
            with self._lock:
                if self._db is db:
                    self._db = None
            close_quietly(db)
            return _first_line(error)

    def close(self) -> None:
        with self._lock:
            db, self._db = self._db, None
        close_quietly(db)


def close_quietly(db: Database | None) -> None:
    """Close a connection that may be broken (closing a broken one may fail: nothing lost)."""
    if db is not None:
        try:
            db.close()
        except Exception:  # noqa: S110
            pass


def _first_line(error: Any) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]
