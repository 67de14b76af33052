"""What the patient card reads besides the register: the patient's visits with their terms,
the desk's notes, and the calls made to the patient.

The calls table (``patient_calls``) is the card's call history. The desk's call worklist (after a
replay moved terms, a doctor's absence, tomorrow's reminders) records each call here with
``add_call``; the card lists them with ``calls``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from recepcja.domain.errors import N_, ConflictError
from recepcja.store.codec import optional_parse_utc, parse_utc, utc_now, utc_text
from recepcja.store.db import Database, atomic, fetch_all, insert_id, scalar
from recepcja.store.logs import AuditLog

Clock = Callable[[], dt.datetime]


class CallOutcome(StrEnum):
    """How a call to a patient ended (the worklist's marks)."""

    REACHED = "reached"  # zadzwoniono: the patient knows
    NO_ANSWER = "no_answer"  # nie odbiera
    ARRANGED = "arranged"  # umówiono: a new term agreed


@dataclass(frozen=True, slots=True)
class CardVisit:
    """A visit of the patient with its term, where and with whom, and how far CeR has it."""

    id: int
    visit_uid: str
    state: str  # visits.state: pending / confirmed / cancelled / waiting_list
    attendance: str
    urgency: str
    cer_id: str | None
    referral_id: str | None
    source: str
    created_at: dt.datetime
    cancelled_at: dt.datetime | None
    cancelled_reason: str | None
    slot_id: int | None
    start: dt.datetime | None  # None: on the central waiting list
    end: dt.datetime | None
    term_kind: str | None
    schedule_id: int | None
    schedule_name: str
    scope_code: str | None
    resource_id: int | None
    resource_name: str
    place_name: str
    waiting_for_cer: bool  # a change of it CeR does not have yet
    rejected_by_cer: bool  # CeR refused a change of it


@dataclass(frozen=True, slots=True)
class CallRecord:
    id: int
    patient_id: int
    visit_id: int | None
    called_at: dt.datetime
    called_by: str
    reason: str
    outcome: CallOutcome
    note: str


_VISITS = """
SELECT v.id, v.visit_uid, v.state, v.attendance, v.urgency, v.cer_id, v.referral_id, v.source,
       v.created_at, v.cancelled_at, v.cancelled_reason, v.slot_id, v.scope_code AS v_scope,
       s.start_utc, s.end_utc, s.term_kind, sc.id AS schedule_id, sc.name AS schedule_name,
       sc.scope_code, r.id AS resource_id, r.name AS resource_name, pl.name AS place_name,
       EXISTS (SELECT 1 FROM outbox AS o WHERE o.visit_id = v.id
               AND o.state IN ('queued', 'sending', 'sent', 'failed', 'ambiguous')) AS waiting,
       EXISTS (SELECT 1 FROM outbox AS o WHERE o.visit_id = v.id
               AND o.state = 'rejected') AS rejected
FROM visits AS v
LEFT JOIN slots AS s ON s.id = v.slot_id
LEFT JOIN schedules AS sc ON sc.id = s.schedule_id
LEFT JOIN resources AS r ON r.id = sc.resource_id
LEFT JOIN places AS pl ON pl.id = sc.place_id
WHERE v.patient_id = ?
ORDER BY s.start_utc DESC, v.id DESC
"""


class PatientCardRepo:
    def __init__(self, db: Database, clock: Clock = utc_now) -> None:
        self.db = db
        self.clock = clock
        self.audit = AuditLog(db, clock)

    # --- notes -----------------------------------------------------------------------------

    def notes(self, patient_id: int) -> str:
        value = scalar(self.db, "SELECT notes FROM patients WHERE id = ?", (patient_id,))
        return str(value or "")

    def set_notes(self, patient_id: int, notes: str, user: str) -> None:
        """Replace the desk's notes about a patient (one transaction with its audit row)."""
        with atomic(self.db):
            cursor = self.db.conn.execute(
                "UPDATE patients SET notes = ?, updated_at = ? WHERE id = ?",
                (notes, utc_text(self.clock()), patient_id),
            )
            if cursor.rowcount == 0:
                raise ConflictError(N_("This patient no longer exists."))
            self.audit.record(user, "patient.notes", patient_id=patient_id)

    # --- visits ----------------------------------------------------------------------------

    def visits(self, patient_id: int) -> list[CardVisit]:
        """Every visit of the patient, the latest term first (waiting-list entries last)."""
        return [_visit(row) for row in fetch_all(self.db, _VISITS, (patient_id,))]

    # --- calls -----------------------------------------------------------------------------

    def add_call(self, patient_id: int, outcome: CallOutcome | str, user: str, *,
                 visit_id: int | None = None, reason: str = "", note: str = "",
                 at: dt.datetime | None = None) -> int:
        """Record a call to the patient (one transaction with its audit row)."""
        mark = CallOutcome(outcome)
        with atomic(self.db):
            call_id = insert_id(
                self.db,
                "INSERT INTO patient_calls (patient_id, visit_id, called_at, called_by, reason, "
                "outcome, note) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (patient_id, visit_id, utc_text(at or self.clock()), user, reason, str(mark),
                 note),
            )
            self.audit.record(user, "patient.call", patient_id=patient_id, visit_id=visit_id,
                              detail=str(mark))
        return int(call_id or 0)

    def calls(self, patient_id: int, limit: int = 200) -> list[CallRecord]:
        """The calls to the patient, newest first."""
        rows = fetch_all(
            self.db,
            "SELECT * FROM patient_calls WHERE patient_id = ? ORDER BY called_at DESC, id DESC "
            "LIMIT ?",
            (patient_id, limit),
        )
        return [_call(row) for row in rows]


def _visit(row: dict[str, Any]) -> CardVisit:
    return CardVisit(
        id=row["id"],
        visit_uid=row["visit_uid"],
        state=row["state"],
        attendance=row["attendance"],
        urgency=row["urgency"],
        cer_id=row["cer_id"],
        referral_id=row["referral_id"],
        source=row["source"],
        created_at=parse_utc(row["created_at"]),
        cancelled_at=optional_parse_utc(row["cancelled_at"]),
        cancelled_reason=row["cancelled_reason"],
        slot_id=row["slot_id"],
        start=optional_parse_utc(row["start_utc"]),
        end=optional_parse_utc(row["end_utc"]),
        term_kind=row["term_kind"],
        schedule_id=row["schedule_id"],
        schedule_name=row["schedule_name"] or "",
        scope_code=row["scope_code"] or row["v_scope"],
        resource_id=row["resource_id"],
        resource_name=row["resource_name"] or "",
        place_name=row["place_name"] or "",
        waiting_for_cer=bool(row["waiting"]),
        rejected_by_cer=bool(row["rejected"]),
    )


def _call(row: dict[str, Any]) -> CallRecord:
    return CallRecord(
        id=row["id"],
        patient_id=row["patient_id"],
        visit_id=row["visit_id"],
        called_at=parse_utc(row["called_at"]),
        called_by=row["called_by"],
        reason=row["reason"],
        outcome=CallOutcome(row["outcome"]),
        note=row["note"],
    )
