"""The change journal of a practice database: how the desks of one practice see each other.

On PostgreSQL every statement that changes slots, visits or notifications appends one row per
day it touched to ``change_journal`` and NOTIFYs :data:`CHANGES_CHANNEL`, in the writing
transaction itself (triggers of migration 0009, ``migrations_pg.py``): the notice reaches the
other desks at COMMIT and never for a rolled-back change. A desk that missed notices (it was
reconnecting) loses nothing: it reads the journal after the last id it saw.

:class:`ChangeListener` is the LISTEN side: its own autocommit connection, a blocking
``wait`` for the thread that runs it (``services/desk_changes.py``). No Qt and no threads here.

On SQLite (one desk) the journal exists but stays empty: nobody else reads the file.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from recepcja.store.codec import parse_utc
from recepcja.store.db import Database, atomic, fetch_all

CHANGES_CHANNEL = "recepcja_changes"
# Journal rows older than this are deleted by ``prune`` (the owner does it now and then): a
# desk away longer than that reloads its view anyway.
KEEP_FOR = dt.timedelta(days=2)


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One day (or, for notifications, no day) a statement of ``workstation`` changed."""

    id: int
    at: dt.datetime
    workstation: str
    entity: str  # "slot" | "visit" | "notification"
    local_date: dt.date | None


def last_id(db: Database) -> int:
    """The newest journal id (0 when empty): a desk's starting point."""
    row = db.conn.execute("SELECT MAX(id) FROM change_journal").fetchone()
    return int(row[0] or 0) if row else 0


def since(db: Database, after: int, limit: int = 1000) -> list[JournalEntry]:
    """Journal entries after id ``after``, oldest first."""
    rows = fetch_all(
        db, "SELECT id, at, workstation, entity, local_date FROM change_journal "
            "WHERE id > ? ORDER BY id LIMIT ?", (after, limit))
    return [_entry(row) for row in rows]


def prune(db: Database, now: dt.datetime) -> int:
    """Delete entries older than :data:`KEEP_FOR`; how many went."""
    cutoff = (now - KEEP_FOR).astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    with atomic(db):
        cursor = db.conn.execute("DELETE FROM change_journal WHERE at < ?", (cutoff,))
    return max(0, int(cursor.rowcount or 0))


def _entry(row: dict[str, Any]) -> JournalEntry:
    day = row["local_date"]
    return JournalEntry(
        id=int(row["id"]), at=parse_utc(row["at"]), workstation=row["workstation"] or "",
        entity=row["entity"], local_date=dt.date.fromisoformat(day) if day else None)


class ChangeListener:
    """LISTEN on :data:`CHANGES_CHANNEL` over ``db`` (a connection of its own, PostgreSQL).

    ``wait(timeout)`` blocks until a notice arrives (True) or the timeout passes (False); a
    lost connection raises the store's ``UnusableDatabaseError`` (the caller reconnects and
    reads the journal after its last id, so nothing is missed)."""

    def __init__(self, db: Database) -> None:
        if not db.dialect.is_postgresql:
            raise TypeError("only a practice database has other desks to listen to")
        self.db = db
        db.conn.execute(f"LISTEN {CHANGES_CHANNEL}")

    def wait(self, timeout: float) -> bool:
        import psycopg

        raw = self.db.conn.raw
        try:
            got = False
            for _notice in raw.notifies(timeout=max(0.0, timeout), stop_after=1):
                got = True
            return got
        except psycopg.OperationalError as error:
            self.db.conn.check_alive(error)
            raise

    def close(self) -> None:
        self.db.close()
