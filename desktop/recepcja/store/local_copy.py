"""The desk's local copy of the practice database: what it needs to work while the server is away.

A desk on a practice database (PostgreSQL) keeps, in its own data folder, an SQLite file with
the same schema (the same migrations) holding what it needs to work alone:

- the practice set-up: provider, places, mobile points, resources, schedules, their exceptions;
- the terms (slots) of the copied window - from yesterday to ``weeks`` ahead - and every visit
  on them, plus the waiting list;
- the patients (all of them: search works offline, and the next local patient ID of this
  desk's prefix is drawn from the highest one in use, so an offline desk never hands out an ID
  the practice already has) and their aliases;
- the latest applied CeR notifications, the window's log of changes.

:func:`refresh` replaces all of that in ONE SQLite transaction from ONE consistent snapshot of
the practice database (a read-only REPEATABLE READ transaction), and records when the snapshot
was taken (``age``). It refuses while the copy holds unmerged offline changes: the desk's queue
(the copy's outbox, ``services/server_absence.py``) goes back to the practice database first
(``sync/practice_merge.py``), then the copy is refreshed. The copy's own audit rows go then
too: the merge wrote each change's audit row in the practice database.

Ids are the practice database's: a slot, a schedule or a patient has the same id in the copy
as on the server, so the merge can name them. The copy's outbox (the desk's queue, with the
history of what each merged row became) and sync state survive a refresh.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from recepcja.store.codec import optional_parse_utc, utc_now, utc_text
from recepcja.store.db import Database, atomic, open_database, scalar

FILE_NAME = "local-copy.sqlite"
DEFAULT_WEEKS = 6

# Copied whole, in an order that satisfies the foreign keys (parents first).
SETUP = ("provider", "places", "mobile_points", "resources", "schedules",
         "schedule_exceptions")
_WHOLE = (*SETUP, "patients", "patient_aliases")
# Every copied table, parents first; deleted in the reverse order. The latest applied CeR
# notifications make the window's log of changes ("Changes from CeR") while away.
_COPIED = (*_WHOLE, "slots", "visits", "notifications")
CHANGE_LOG_ROWS = 200

_META = """
CREATE TABLE IF NOT EXISTS local_copy_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
)
"""

REFRESHED_AT = "refreshed_at"
FIRST_DAY = "first_day"
LAST_DAY = "last_day"
PRACTICE_UUID = "practice_uuid"
# The practice database's change journal as far as the copy has it, and when the copy was last
# taken whole (``store/local_copy_delta.py`` brings it up to date between whole copies).
JOURNAL_ID = "journal_id"
FULL_AT = "full_at"
SNAPSHOT = "snapshot"  # the practice database's snapshot the copy was last read from


class CopyNotReplaced(Exception):  # a state, not a fault
    """The copy holds offline changes not yet merged: it must not be replaced."""


@dataclass(frozen=True, slots=True)
class CopyInfo:
    """When the copy was taken and which days it covers (None: never refreshed)."""

    refreshed_at: dt.datetime | None
    first_day: dt.date | None
    last_day: dt.date | None
    practice_uuid: str | None

    def age(self, now: dt.datetime) -> dt.timedelta | None:
        return None if self.refreshed_at is None else max(now - self.refreshed_at,
                                                          dt.timedelta(0))

    def covers(self, day: dt.date) -> bool:
        return (self.first_day is not None and self.last_day is not None
                and self.first_day <= day <= self.last_day)


@dataclass(frozen=True, slots=True)
class RefreshReport:
    rows: dict[str, int]
    info: CopyInfo


def copy_path(root: Path) -> Path:
    """The copy's file in a data folder."""
    return root / FILE_NAME


def open_copy(path: Path) -> Database:
    """The copy as a store (migrated like any SQLite store), with its bookkeeping table."""
    db = open_database(path)
    try:
        db.conn.execute(_META)
    except BaseException:
        db.close()
        raise
    return db


def info(copy: Database) -> CopyInfo:
    rows = meta(copy)
    first, last = rows.get(FIRST_DAY), rows.get(LAST_DAY)
    return CopyInfo(
        refreshed_at=optional_parse_utc(rows.get(REFRESHED_AT)),
        first_day=dt.date.fromisoformat(first) if first else None,
        last_day=dt.date.fromisoformat(last) if last else None,
        practice_uuid=rows.get(PRACTICE_UUID),
    )


def unmerged(copy: Database) -> int:
    """How many of the desk's offline changes have not reached the practice database yet."""
    return int(scalar(copy, "SELECT count(*) FROM outbox WHERE state NOT IN ('done', 'rejected')")
               or 0)


@contextmanager
def snapshot(practice: Database) -> Iterator[None]:
    """One consistent, read-only view of the practice database for the whole read."""
    conn = practice.conn
    conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
                 if practice.dialect.is_postgresql else "BEGIN")
    try:
        yield
    finally:
        if conn.in_transaction:
            conn.execute("ROLLBACK")


def read_rows(practice: Database, sql: str,
              params: tuple[Any, ...] | dict[str, Any] = ()) -> tuple[list[str], list[Any]]:
    cursor = practice.conn.execute(sql, params)
    return [column[0] for column in cursor.description], cursor.fetchall()


def refresh(practice: Database, copy: Database, *, today: dt.date,
            weeks: int = DEFAULT_WEEKS, now: dt.datetime | None = None) -> RefreshReport:
    """Replace the copy with what the practice database holds now (see the module docstring).
    Raises CopyNotReplaced while offline changes wait for the merge."""
    first_day = today - dt.timedelta(days=1)
    last_day = today + dt.timedelta(weeks=weeks)
    taken_at = now or utc_now()
    tables: dict[str, tuple[list[str], list[Any]]] = {}
    with snapshot(practice):
        seen = current_snapshot(practice)
        uuid = scalar(practice, "SELECT uuid FROM database_identity WHERE id = 1")
        journal = journal_head(practice)
        for table in _WHOLE:
            tables[table] = read_rows(practice, f"SELECT * FROM {table}")
        tables["slots"] = read_rows(
            practice, "SELECT * FROM slots WHERE local_date >= ? AND local_date <= ?",
            (first_day.isoformat(), last_day.isoformat()))
        tables["visits"] = read_rows(
            practice,
            "SELECT visits.* FROM visits LEFT JOIN slots ON slots.id = visits.slot_id "
            "WHERE (slots.local_date >= ? AND slots.local_date <= ?) "
            "OR visits.state = 'waiting_list'",
            (first_day.isoformat(), last_day.isoformat()))
        tables["notifications"] = change_log_rows(practice)
    values = {REFRESHED_AT: utc_text(taken_at), FIRST_DAY: first_day.isoformat(),
              LAST_DAY: last_day.isoformat(), PRACTICE_UUID: str(uuid or ""),
              JOURNAL_ID: str(journal), FULL_AT: utc_text(taken_at), SNAPSHOT: seen}
    counts = _replace(copy, tables, values)
    return RefreshReport(counts, info(copy))


def change_log_rows(practice: Database) -> tuple[list[str], list[Any]]:
    return read_rows(practice, "SELECT * FROM notifications WHERE applied_at IS NOT NULL "
                     "ORDER BY id DESC LIMIT ?", (CHANGE_LOG_ROWS,))


def current_snapshot(practice: Database) -> str:
    """The snapshot the calling REPEATABLE READ transaction reads (PostgreSQL; its first
    statement), as text; "" for SQLite."""
    if not practice.dialect.is_postgresql:
        return ""
    return str(scalar(practice, "SELECT pg_current_snapshot()::text"))


def journal_head(practice: Database) -> int:
    """The newest id of the practice database's change journal (0: none yet)."""
    return int(scalar(practice, "SELECT COALESCE(MAX(id), 0) FROM change_journal") or 0)


def _replace(copy: Database, tables: dict[str, tuple[list[str], list[Any]]],
             values: dict[str, str]) -> dict[str, int]:
    """All copied tables replaced in one transaction."""
    counts: dict[str, int] = {}
    with replacing(copy):
        for table in reversed(_COPIED):
            copy.conn.execute(f"DELETE FROM {table}")  # names are constants
        for table in _COPIED:
            names, rows = tables[table]
            counts[table] = insert_rows(copy, table, names, rows)
        settle(copy, values)
    return counts


@contextmanager
def replacing(copy: Database) -> Iterator[None]:
    """One transaction of the copy that replaces rows, refused (CopyNotReplaced) while offline
    changes wait. Foreign keys are off meanwhile (the rows come from one consistent snapshot;
    the copy's own offline rows - outbox, audit - may name visits the snapshot no longer
    has)."""
    copy.conn.execute("PRAGMA foreign_keys = OFF")
    try:
        with atomic(copy):
            if unmerged(copy):
                raise CopyNotReplaced
            yield
    finally:
        copy.conn.execute("PRAGMA foreign_keys = ON")


def insert_rows(copy: Database, table: str, names: list[str], rows: list[Any], *,
                verb: str = "INSERT") -> int:
    """The practice database's ``rows`` of ``table`` (columns ``names``) into the copy, the
    columns the copy has; ``verb`` ``INSERT OR REPLACE`` for rows that may be there."""
    mine = _columns(copy, table)
    keep = [index for index, name in enumerate(names) if name in mine]
    columns = ", ".join(names[index] for index in keep)
    marks = ", ".join("?" for _ in keep)
    copy.conn.executemany(f"{verb} INTO {table} ({columns}) VALUES ({marks})",
                          ([_value(row[index]) for index in keep] for row in rows))
    return len(rows)


def settle(copy: Database, values: dict[str, str]) -> None:
    """The end of a refresh, in its transaction: finished offline rows keep their history, not
    a link to a visit that may be gone; the offline audit rows went to the practice database's
    audit log with the merge; and when the copy was taken goes with the copy."""
    copy.conn.execute("UPDATE outbox SET visit_id = NULL WHERE visit_id IS NOT NULL")
    copy.conn.execute("DELETE FROM audit_log")
    copy.conn.executemany(
        "INSERT INTO local_copy_meta (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value", list(values.items()))


def meta(copy: Database) -> dict[str, str]:
    return dict(copy.conn.execute("SELECT key, value FROM local_copy_meta").fetchall())


def _columns(copy: Database, table: str) -> set[str]:
    return {row[1] for row in copy.conn.execute(f"PRAGMA table_info({table})")}


def _value(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value
