"""The day and week views' read of a schedule's terms: each slot with the live visit and the
patient holding it (``VisitRepo.day_sheet`` / ``sheets``), one query for a span of days."""

from __future__ import annotations

import datetime as dt

from recepcja.store.codec import parse_utc
from recepcja.store.db import Database, fetch_all
from recepcja.store.working_records import DayEntry

LIVE_SQL = "('pending', 'confirmed')"  # the states of a visit that holds its term


def day_sheets(db: Database, schedule_id: int, first_day: dt.date,
               last_day: dt.date) -> list[DayEntry]:
    """Every slot of a schedule on consecutive Warsaw days with the live visit and patient
    holding it, in one query (the day and week views)."""
    rows = fetch_all(
        db,
        "SELECT s.id AS slot_id, s.schedule_id, s.start_utc, s.end_utc, s.term_kind, "
        "s.state AS slot_state, s.cer_id AS slot_cer_id, v.id AS visit_id, v.visit_uid, "
        "v.state AS visit_state, v.attendance, v.urgency, p.id AS patient_id, "
        "p.local_id, p.first_name, p.last_name, p.phone FROM slots AS s "
        f"LEFT JOIN visits AS v ON v.slot_id = s.id AND v.state IN {LIVE_SQL} "
        "LEFT JOIN patients AS p ON p.id = v.patient_id "
        "WHERE s.schedule_id = ? AND s.local_date >= ? AND s.local_date <= ? "
        "ORDER BY s.start_utc",
        (schedule_id, first_day.isoformat(), last_day.isoformat()),
    )
    return [
        DayEntry(
            slot_id=row["slot_id"],
            schedule_id=row["schedule_id"],
            start=parse_utc(row["start_utc"]),
            end=parse_utc(row["end_utc"]),
            term_kind=row["term_kind"],
            slot_state=row["slot_state"],
            slot_cer_id=row["slot_cer_id"],
            visit_id=row["visit_id"],
            visit_uid=row["visit_uid"],
            visit_state=row["visit_state"],
            attendance=row["attendance"],
            urgency=row["urgency"],
            patient_id=row["patient_id"],
            patient_local_id=row["local_id"],
            patient_first_name=row["first_name"],
            patient_last_name=row["last_name"],
            patient_phone=row["phone"],
        )
        for row in rows
    ]
