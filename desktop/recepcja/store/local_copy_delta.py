"""Bringing the desk's copy up to date with what changed, instead of copying it whole.

A whole copy (``store/local_copy.py``: every patient, every term and visit of the copied weeks)
costs seconds for a large practice; what changes in 30 s is a handful of rows. So between
whole copies the copy is brought up to date from ONE snapshot of the practice database
(REPEATABLE READ, read-only), in ONE SQLite transaction, with:

- **terms and visits** of every day the practice database's change journal (``change_journal``,
  written by triggers in the writing transaction, ids drawn in commit order under the
  practice's writer lock) names after the copy's cursor: those days are replaced whole, and the
  waiting list when the journal names a visit without a day;
- **patients and their aliases** written or added since the copy was taken (``updated_at`` /
  ``created_at``, with a margin for the desks' clocks and for transactions in flight);
- **the set-up** (places, doctors, schedules, exceptions: a few rows) and **the log of changes**
  (the latest applied CeR notifications), copied again as they are.

A whole copy is taken instead (:func:`refresh_changes` answers None) when the copy has no
cursor, belongs to another practice database (or to an SQLite one, which keeps no journal),
covers other days (a new day began), or is older than :data:`FULL_EVERY`: a change no journal
and no timestamp saw (a patient's notes merged from a duplicate, a write outside a transaction)
is never older than that in the copy, and the journal - pruned after two days - still holds
everything after the cursor.
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
    RefreshReport,
    change_log_rows,
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
# Patients written this long before the copy was last taken are read again: other desks'
# clocks, and a transaction that wrote before the snapshot and committed after it.
PATIENT_MARGIN = dt.timedelta(minutes=10)


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
    refreshed_at = optional_parse_utc(known.get(REFRESHED_AT))
    cursor = known.get(JOURNAL_ID)
    if (not practice.dialect.is_postgresql  # one desk's file has no journal to follow
            or full_at is None or refreshed_at is None or cursor is None
            or taken_at - full_at >= FULL_EVERY
            or known.get(FIRST_DAY) != first_day.isoformat()
            or known.get(LAST_DAY) != last_day.isoformat()):
        return None
    since = utc_text(min(refreshed_at, taken_at) - PATIENT_MARGIN)
    tables: dict[str, tuple[list[str], list[Any]]] = {}
    with snapshot(practice):
        uuid = scalar(practice, "SELECT uuid FROM database_identity WHERE id = 1")
        if str(uuid or "") != known.get(PRACTICE_UUID, ""):
            return None
        head = journal_head(practice)
        touched = practice.conn.execute(
            "SELECT DISTINCT entity, local_date FROM change_journal WHERE id > ? AND id <= ?",
            (int(cursor), head)).fetchall()
        days = sorted({_day(day) for entity, day in touched
                       if entity in ("slot", "visit") and day is not None
                       and first_day <= _day(day) <= last_day})
        waiting_list = any(entity == "visit" and day is None for entity, day in touched)
        for table in SETUP:
            tables[table] = read_rows(practice, f"SELECT * FROM {table}")
        tables["patients"] = read_rows(
            practice, "SELECT * FROM patients WHERE updated_at >= ? OR created_at >= ?",
            (since, since))
        tables["patient_aliases"] = read_rows(
            practice, "SELECT * FROM patient_aliases WHERE created_at >= ?", (since,))
        marks = ", ".join("?" for _ in days) or "NULL"
        texts = tuple(day.isoformat() for day in days)
        tables["slots"] = read_rows(
            practice, f"SELECT * FROM slots WHERE local_date IN ({marks})", texts)
        tables["visits"] = read_rows(
            practice, "SELECT visits.* FROM visits JOIN slots ON slots.id = visits.slot_id "
                      f"WHERE slots.local_date IN ({marks})", texts)
        if waiting_list:
            tables["waiting_list"] = read_rows(
                practice, "SELECT * FROM visits WHERE state = 'waiting_list'")
        tables["notifications"] = change_log_rows(practice)
    values = {REFRESHED_AT: utc_text(taken_at), JOURNAL_ID: str(head)}
    counts = _apply(copy, tables, texts, values)
    return RefreshReport(counts, info(copy))


def _apply(copy: Database, tables: dict[str, tuple[list[str], list[Any]]],
           days: tuple[str, ...], values: dict[str, str]) -> dict[str, int]:
    """What changed, into the copy in one transaction (``local_copy.replacing``)."""
    conn = copy.conn
    counts: dict[str, int] = {}
    marks = ", ".join("?" for _ in days) or "NULL"
    with replacing(copy):
        for table in reversed(SETUP):
            conn.execute(f"DELETE FROM {table}")  # names are constants
        for table in SETUP:
            counts[table] = insert_rows(copy, table, *tables[table])
        counts["patients"] = insert_rows(copy, "patients", *tables["patients"],
                                         verb="INSERT OR REPLACE")
        counts["patient_aliases"] = insert_rows(
            copy, "patient_aliases", *tables["patient_aliases"], verb="INSERT OR IGNORE")
        # The touched days whole: their visits as the copy has them go with their terms.
        conn.execute("DELETE FROM visits WHERE slot_id IN "
                     f"(SELECT id FROM slots WHERE local_date IN ({marks}))", days)
        conn.execute(f"DELETE FROM slots WHERE local_date IN ({marks})", days)
        counts["slots"] = insert_rows(copy, "slots", *tables["slots"])
        if "waiting_list" in tables:
            conn.execute("DELETE FROM visits WHERE state = 'waiting_list'")
            counts["waiting_list"] = insert_rows(copy, "visits", *tables["waiting_list"],
                                                 verb="INSERT OR REPLACE")
        counts["visits"] = insert_rows(copy, "visits", *tables["visits"],
                                       verb="INSERT OR REPLACE")
        conn.execute("DELETE FROM notifications")
        counts["notifications"] = insert_rows(copy, "notifications", *tables["notifications"])
        settle(copy, values)
    return counts


def _day(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
