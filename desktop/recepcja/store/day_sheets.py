"""Reads of visits on their terms: the day and week views' sheets of a schedule (each slot with
the live visit and the patient holding it: ``VisitRepo.day_sheet`` / ``sheets``), the live
visits of a schedule with their terms and patients' identity (reconciliation, absences:
``VisitRepo.live_in_schedule``) - one query for a span of days each - and a visit row as its
record (``visit_record``, which ``VisitRepo`` uses too)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from recepcja.domain.model import Attendance, Urgency, VisitSource, VisitState
from recepcja.store.codec import optional_parse_utc, parse_utc
from recepcja.store.db import Database, fetch_all
from recepcja.store.working_records import DayEntry, VisitRecord

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


@dataclass(frozen=True, slots=True)
class LiveVisitRow:
    """A live visit with its term and patient identity: what reconciliation compares with CeR."""

    visit: VisitRecord
    slot_cer_id: str | None
    start: dt.datetime
    end: dt.datetime
    patient_key: str  # the PESEL, or TYPE:NUMBER (as ``PatientIdentifier.key``)
    patient_name: str


def live_in_schedule(
db: Database, schedule_id: int, first_day: dt.date, last_day: dt.date
) -> list[LiveVisitRow]:
    """Live visits on the schedule's slots of Warsaw days ``first_day``..``last_day``, with
    their term and patient identity, in time order."""
    rows = fetch_all(
        db,
        "SELECT v.*, s.cer_id AS s_cer_id, s.start_utc AS s_start, s.end_utc AS s_end, "
        "p.pesel AS p_pesel, p.document_type AS p_doc_type, p.document_number AS p_doc, "
        "p.first_name AS p_first, p.last_name AS p_last FROM visits AS v "
        "JOIN slots AS s ON s.id = v.slot_id JOIN patients AS p ON p.id = v.patient_id "
        f"WHERE s.schedule_id = ? AND s.local_date >= ? AND s.local_date <= ? "
        f"AND v.state IN {LIVE_SQL} ORDER BY s.start_utc, v.id",
        (schedule_id, first_day.isoformat(), last_day.isoformat()),
    )
    return [
        LiveVisitRow(
            visit=visit_record(row),
            slot_cer_id=row["s_cer_id"],
            start=parse_utc(row["s_start"]),
            end=parse_utc(row["s_end"]),
            patient_key=row["p_pesel"] or f"{row['p_doc_type']}:{row['p_doc']}",
            patient_name=f"{row['p_first']} {row['p_last']}",
        )
        for row in rows
    ]


def visit_record(row: dict[str, Any]) -> VisitRecord:
    return VisitRecord(
        id=row["id"],
        visit_uid=row["visit_uid"],
        patient_id=row["patient_id"],
        slot_id=row["slot_id"],
        scope_code=row["scope_code"],
        urgency=Urgency(row["urgency"]),
        central_request_id=row["central_request_id"],
        central_request_date=optional_parse_utc(row["central_request_date"]),
        referral_id=row["referral_id"],
        state=VisitState(row["state"]),
        attendance=Attendance(row["attendance"]),
        cer_id=row["cer_id"],
        cer_version=row["cer_version"],
        source=VisitSource(row["source"]),
        created_at=parse_utc(row["created_at"]),
        created_by=row["created_by"],
        updated_at=parse_utc(row["updated_at"]),
        cancelled_at=optional_parse_utc(row["cancelled_at"]),
        cancelled_reason=row["cancelled_reason"],
        version=row["version"],
        referral_key=row.get("referral_key"),
    )
