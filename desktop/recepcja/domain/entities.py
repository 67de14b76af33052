"""The domain's objects: a patient and how CeR identifies one, a weekly rule of a schedule and
its exceptions, a slot (generated and stored), a central request, a visit. Pure Python: no
I/O, no Qt, no zeep; their vocabulary (the enums, ``WARSAW``, ``Scope``) is ``model.py``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from recepcja.domain.model import (
    Attendance,
    DocumentType,
    Sex,
    SlotState,
    TermKind,
    Urgency,
    VisitState,
)


@dataclass(frozen=True, slots=True)
class PatientIdentifier:
    """How CeR identifies a patient: a PESEL, or a document type and number."""

    pesel: str | None = None
    document_type: DocumentType | None = None
    document_number: str | None = None

    def __post_init__(self) -> None:
        has_pesel = bool(self.pesel)
        has_doc = bool(self.document_type and self.document_number)
        if has_pesel == has_doc:
            raise ValueError("a patient is identified by a PESEL or by a document, exactly one")

    @property
    def key(self) -> str:
        """Stable text key: the PESEL, or ``TYPE:NUMBER``."""
        if self.pesel:
            return self.pesel
        return f"{self.document_type}:{self.document_number}"


@dataclass(frozen=True, slots=True)
class WeeklyRule:
    """One line of a weekly template: on ``weekday`` (0=Monday) from ``start`` to ``end`` local
    time, slots of ``slot_minutes`` of kind ``term_kind``."""

    weekday: int
    start: dt.time
    end: dt.time
    slot_minutes: int
    term_kind: TermKind = TermKind.DEFAULT_PROCEDURE


@dataclass(frozen=True, slots=True)
class ScheduleException:
    """A period (local dates, inclusive) without slots: a day off or an absence."""

    first_day: dt.date
    last_day: dt.date
    reason: str = ""


@dataclass(frozen=True, slots=True)
class SlotSpec:
    """A generated slot before it is stored: local-time-correct, timezone-aware."""

    start: dt.datetime
    end: dt.datetime
    term_kind: TermKind = TermKind.DEFAULT_PROCEDURE


@dataclass(slots=True)
class Patient:
    identifier: PatientIdentifier
    first_name: str
    last_name: str
    phone: str | None = None  # E.164, normalised by domain.phone
    birth_date: dt.date | None = None
    sex: Sex = Sex.UNKNOWN
    local_id: str | None = None  # e.g. "L-000123", given at the desk (also in emergency mode)
    id: int | None = None


@dataclass(slots=True)
class Slot:
    schedule_id: int
    start: dt.datetime
    end: dt.datetime
    term_kind: TermKind = TermKind.DEFAULT_PROCEDURE
    state: SlotState = SlotState.FREE
    cer_id: str | None = None
    id: int | None = None


@dataclass(slots=True)
class CentralRequest:
    """A patient's central request ("zgłoszenie centralne"): category + date decide the order."""

    request_id: str
    urgency: Urgency
    requested_at: dt.datetime
    scope_code: str | None = None


@dataclass(slots=True)
class Visit:
    """A booked term. ``visit_uid`` is our own identifier, sent to CeR with the booking so a
    lost answer can be settled by reading CeR back by it."""

    visit_uid: str
    patient_id: int
    slot_id: int | None
    urgency: Urgency
    central_request_id: str | None = None
    referral_id: str | None = None
    state: VisitState = VisitState.PENDING
    attendance: Attendance = Attendance.EXPECTED
    cer_id: str | None = None
    id: int | None = None
    extra: dict[str, str] = field(default_factory=dict)
    referral_key: str | None = None  # the e-referral's key (44 digits), see domain.referral
