"""Bringing the desk's copy up to date with what changed, instead of copying it whole.

A whole copy (``store/local_copy.py``: every patient, every term and visit of the copied weeks)
costs seconds for a large practice; what changes in 30 s is a handful of rows. So between
whole copies the copy is brought up to date from ONE snapshot of the practice database
(REPEATABLE READ, read-only), in ONE SQLite transaction:

- **changed rows**: every patient, alias, term (of the copied days) and visit (on them, or on
  the waiting list) written by a transaction the copy's last snapshot did not see - told by the
  row's own ``xmin`` against that snapshot (``pg_current_snapshot()``, kept with the copy), so
  no desk's clock and no column a writer might forget decides;
- **rows gone from a day**: for the days the practice's change journal (``change_journal``,
  written by triggers in the writing transaction) names after the copy's cursor, the terms and
  visits the copy has there and the practice database no longer has (a term deleted, a visit
  moved to another day or out of the copied weeks) are removed; the same for the waiting list
  when the journal names a visit without a day;
- **the set-up** (places, doctors, schedules, exceptions: a few rows) and **the log of changes**
  (the latest applied CeR notifications), copied again as they are.

A whole copy is taken instead (:func:`refresh_changes` answers None) when the copy has no
snapshot or cursor, belongs to another practice database (or to an SQLite one, which keeps no
journal), covers other days (a new day began), or is older than :data:`FULL_EVERY` - a safety
net for anything neither saw, and the journal (pruned after two days) still holds everything
after the cursor.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from recepcja.store.codec import optional_parse_utc, utc_now, utc_text
from recepcja.store.db import Database, scalar
from recepcja.store.local_copy import (
    DEFAULT_WEEKS,
    FIRST_DAY,
    FULL_AT,
    JOURNAL_ID,
    LAST_DAY,
    PRACTICE_UUID,
    REFRESHED_AT,
    SETUP,
    SNAPSHOT,
    RefreshReport,
    change_log_rows,
    current_snapshot,
    info,
    insert_rows,
    journal_head,
    meta,
    read_rows,
    replacing,
    settle,
    snapshot,
)

FULL_EVERY = dt.timedelta(minutes=10)


def changed(column: str) -> str:
    """SQL: the row version ``column`` (an ``xmin``) was written by a transaction the snapshot
    ``:snap`` did not see. ``xmin`` is a 32-bit transaction id; the snapshot's are 64-bit: the
    epoch is taken from the snapshot (one back for an id above the snapshot's own low bits)."""
    top = "(pg_snapshot_xmax(CAST(:snap AS pg_snapshot))::text::bigint)"
    xid = f"{column}::text::bigint"
    full = (f"(({top} >> 32 << 32) + {xid} - CASE WHEN {xid} > ({top} & 4294967295) "
            "THEN 4294967296 ELSE 0 END)")
    return f"NOT pg_visible_in_snapshot({full}::text::xid8, CAST(:snap AS pg_snapshot))"


def refresh_changes(practice: Database, copy: Database, *, today: dt.date,
                    weeks: int = DEFAULT_WEEKS, now: dt.datetime | None = None,
                    ) -> RefreshReport | None:
    """The copy brought up to date with what changed (see the module docstring), or None when
    only a whole copy will do. Raises CopyNotReplaced while offline changes wait."""
    first_day = today - dt.timedelta(days=1)
    last_day = today + dt.timedelta(weeks=weeks)
    taken_at = now or utc_now()
    known = meta(copy)
    full_at = optional_parse_utc(known.get(FULL_AT))
    cursor, last_snapshot = known.get(JOURNAL_ID), known.get(SNAPSHOT)
    if (not practice.dialect.is_postgresql  # one desk's file has no journal to follow
            or full_at is None or cursor is None or not last_snapshot
            or taken_at - full_at >= FULL_EVERY
            or known.get(FIRST_DAY) != first_day.isoformat()
            or known.get(LAST_DAY) != last_day.isoformat()):
        return None
    window = {"snap": last_snapshot, "first": first_day.isoformat(),
              "last": last_day.isoformat()}
    tables: dict[str, tuple[list[str], list[Any]]] = {}
    with snapshot(practice):
        snap = current_snapshot(practice)
        uuid = scalar(practice, "SELECT uuid FROM database_identity WHERE id = 1")
        if str(uuid or "") != known.get(PRACTICE_UUID, ""):
            return None
        head = journal_head(practice)
        touched = practice.conn.execute(
            "SELECT DISTINCT entity, local_date FROM change_journal WHERE id > ? AND id <= ?",
            (int(cursor), head)).fetchall()
        days = sorted({_day(day).isoformat() for entity, day in touched
                       if entity in ("slot", "visit") and day is not None
                       and first_day <= _day(day) <= last_day})
        waiting_list = any(entity == "visit" and day is None for entity, day in touched)
        for table in SETUP:
            tables[table] = read_rows(practice, f"SELECT * FROM {table}")
        for table in ("patients", "patient_aliases"):
            tables[table] = read_rows(
                practice, f"SELECT * FROM {table} WHERE {changed('xmin')}", window)
        tables["slots"] = read_rows(
            practice, "SELECT * FROM slots WHERE local_date >= :first AND local_date <= :last "
                      f"AND {changed('xmin')}", window)
        tables["visits"] = read_rows(
            practice, "SELECT visits.* FROM visits LEFT JOIN slots ON slots.id = visits.slot_id "
                      "WHERE ((slots.local_date >= :first AND slots.local_date <= :last) "
                      f"OR visits.state = 'waiting_list') AND {changed('visits.xmin')}", window)
        kept = _kept(practice, days, waiting_list)
        tables["notifications"] = change_log_rows(practice)
    values = {REFRESHED_AT: utc_text(taken_at), JOURNAL_ID: str(head), SNAPSHOT: snap}
    counts = _apply(copy, tables, days, kept, values)
    return RefreshReport(counts, info(copy))


def _kept(practice: Database, days: list[str], waiting_list: bool) -> dict[str, set[int]]:
    """The ids the practice database has on the journal's days (and on the waiting list)."""
    on_days = {"days": days}
    slots = practice.conn.execute(
        "SELECT id FROM slots WHERE local_date = ANY(CAST(:days AS date[]))", on_days)
    visits = practice.conn.execute(
        "SELECT visits.id FROM visits JOIN slots ON slots.id = visits.slot_id "
        "WHERE slots.local_date = ANY(CAST(:days AS date[]))", on_days)
    kept = {"slots": {int(row[0]) for row in slots}, "visits": {int(row[0]) for row in visits}}
    if waiting_list:
        kept["waiting_list"] = {int(row[0]) for row in practice.conn.execute(
            "SELECT id FROM visits WHERE state = 'waiting_list'")}
    return kept


def _apply(copy: Database, tables: dict[str, tuple[list[str], list[Any]]], days: list[str],
           kept: dict[str, set[int]], values: dict[str, str]) -> dict[str, int]:
    """What changed, into the copy in one transaction (``local_copy.replacing``): first what
    is gone from the journal's days (as the copy has them before), then the changed rows."""
    conn = copy.conn
    counts: dict[str, int] = {}
    marks = ", ".join("?" for _ in days) or "NULL"
    with replacing(copy):
        for table in reversed(SETUP):
            conn.execute(f"DELETE FROM {table}")  # names are constants
        for table in SETUP:
            counts[table] = insert_rows(copy, table, *tables[table])
        gone_visits = [row[0] for row in conn.execute(
            "SELECT visits.id FROM visits JOIN slots ON slots.id = visits.slot_id "
            f"WHERE slots.local_date IN ({marks})", days) if row[0] not in kept["visits"]]
        if "waiting_list" in kept:
            gone_visits += [row[0] for row in conn.execute(
                "SELECT id FROM visits WHERE state = 'waiting_list'")
                if row[0] not in kept["waiting_list"]]
        gone_slots = [row[0] for row in conn.execute(
            f"SELECT id FROM slots WHERE local_date IN ({marks})", days)
            if row[0] not in kept["slots"]]
        conn.executemany("DELETE FROM visits WHERE id = ?", [(i,) for i in gone_visits])
        conn.executemany("DELETE FROM slots WHERE id = ?", [(i,) for i in gone_slots])
        counts["gone"] = len(gone_visits) + len(gone_slots)
        for table in ("patients", "slots", "visits"):
            counts[table] = insert_rows(copy, table, *tables[table], verb="INSERT OR REPLACE")
        counts["patient_aliases"] = insert_rows(
            copy, "patient_aliases", *tables["patient_aliases"], verb="INSERT OR IGNORE")
        conn.execute("DELETE FROM notifications")
        counts["notifications"] = insert_rows(copy, "notifications", *tables["notifications"])
        settle(copy, values)
    return counts


def _day(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
