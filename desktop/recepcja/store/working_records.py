"""The records of the desk's daily work the repositories return: visits, day sheets, schedule
exceptions, the outbox's rows, notifications, outages and the audit log (the practice's setup
is in ``records.py``).

They mirror rows, carry aware datetimes and plain Python values, and never a connection: a
record can cross threads (the sync thread hands them to the UI) safely.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from recepcja.domain.entities import Visit
from recepcja.domain.model import Attendance, Urgency, VisitSource, VisitState
from recepcja.store.records import OutboxState


@dataclass(frozen=True, slots=True)
class ScheduleExceptionRecord:
    id: int
    schedule_id: int
    first_day: dt.date
    last_day: dt.date
    reason: str
    created_at: dt.datetime
    created_by: str


@dataclass(frozen=True, slots=True)
class VisitRecord:
    """A visit row with everything the desk and the sync engine need to know about it."""

    id: int
    visit_uid: str
    patient_id: int
    slot_id: int | None
    scope_code: str | None
    urgency: Urgency
    central_request_id: str | None
    central_request_date: dt.datetime | None
    referral_id: str | None
    state: VisitState
    attendance: Attendance
    cer_id: str | None
    cer_version: str | None
    source: VisitSource
    created_at: dt.datetime
    created_by: str
    updated_at: dt.datetime
    cancelled_at: dt.datetime | None
    cancelled_reason: str | None
    version: int
    referral_key: str | None = None  # the e-referral it is booked on (44 digits)

    def as_visit(self) -> Visit:
        return Visit(
            visit_uid=self.visit_uid,
            patient_id=self.patient_id,
            slot_id=self.slot_id,
            urgency=self.urgency,
            central_request_id=self.central_request_id,
            referral_id=self.referral_id,
            state=self.state,
            attendance=self.attendance,
            cer_id=self.cer_id,
            id=self.id,
            referral_key=self.referral_key,
        )


@dataclass(frozen=True, slots=True)
class DayEntry:
    """One line of a day sheet: a slot and, if it is taken, who holds it."""

    slot_id: int
    schedule_id: int
    start: dt.datetime
    end: dt.datetime
    term_kind: str
    slot_state: str
    slot_cer_id: str | None
    visit_id: int | None
    visit_uid: str | None
    visit_state: str | None
    attendance: str | None
    urgency: str | None
    patient_id: int | None
    patient_local_id: str | None
    patient_first_name: str | None
    patient_last_name: str | None
    patient_phone: str | None


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    id: int
    op: str
    visit_id: int | None
    payload: dict[str, Any]
    state: OutboxState
    attempts: int
    next_attempt_at: dt.datetime | None
    last_error: str | None
    result: dict[str, Any] | None
    created_at: dt.datetime
    created_by: str
    updated_at: dt.datetime
    emergency: bool
    idempotency_key: str
    claimed_by: str | None = None  # the lease token of the sender that last claimed it


@dataclass(frozen=True, slots=True)
class NotificationRecord:
    id: int
    cer_notification_id: str
    kind: str
    channel: str
    cer_version: str | None
    cer_timestamp: dt.datetime | None
    received_at: dt.datetime
    payload: str
    applied_at: dt.datetime | None
    outcome: str | None


@dataclass(frozen=True, slots=True)
class OutageRecord:
    id: int
    started_at: dt.datetime
    ended_at: dt.datetime | None
    state: str
    error: str | None
    detail: dict[str, Any] | None
    failed_calls: int


@dataclass(frozen=True, slots=True)
class AuditRecord:
    id: int
    at: dt.datetime
    user: str
    action: str
    patient_id: int | None
    visit_id: int | None
    detail: str | None
    workstation: str = ""  # the desk that wrote it ([workstation] name)
