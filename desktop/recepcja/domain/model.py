"""Value types shared by every layer. Pure Python: no I/O, no Qt, no zeep.

Times are timezone-aware ``datetime`` objects. The practice's wall clock is Europe/Warsaw
(``WARSAW``); storage and the wire use the same instant, so conversions never guess.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from zoneinfo import ZoneInfo

WARSAW = ZoneInfo("Europe/Warsaw")


class Urgency(StrEnum):
    """Medical category of a central request ("kategoria medyczna")."""

    URGENT = "urgent"  # pilny
    STABLE = "stable"  # stabilny


class TermKind(StrEnum):
    """Kind of a published term, as CeR's ``zapiszSloty`` carries it per slot."""

    DEFAULT_PROCEDURE = "default_procedure"  # termin na procedurę domyślną
    SPECIFIC_PROCEDURE = "specific_procedure"  # termin na konkretną procedurę
    CONTINUING_TREATMENT = "continuing_treatment"  # termin na kontynuację leczenia


class ResourceKind(StrEnum):
    """What a schedule books: a doctor, a device (e.g. a mammograph) or a room."""

    DOCTOR = "doctor"  # LEKARZ
    DEVICE = "device"  # URZADZENIE
    ROOM = "room"  # GABINET


class VisitSource(StrEnum):
    """Who made a visit: decides who is authoritative when local data and CeR disagree."""

    DESK = "desk"  # PLACOWKA: this practice
    PORTAL = "portal"  # IKP / mojeIKP, learnt from a notification
    OTHER_PROVIDER = "other_provider"  # INNY_SWIADCZENIODAWCA
    WAITING_ROOM = "waiting_room"  # POCZEKALNIA
    INITIAL_LOAD = "initial_load"  # ZASILENIE_INICJALNE: booked before joining CeR
    # Local only (CeR has no such source): from an outage spreadsheet written elsewhere.
    EMERGENCY_IMPORT = "emergency_import"


class SlotState(StrEnum):
    FREE = "free"
    BOOKED = "booked"
    BLOCKED = "blocked"  # withdrawn locally (absence, day off) — not bookable


class VisitState(StrEnum):
    PENDING = "pending"  # stored locally, CeR has not confirmed it (yet)
    CONFIRMED = "confirmed"  # CeR has the visit
    CANCELLED = "cancelled"
    WAITING_LIST = "waiting_list"  # replay ended on the central waiting list


class Attendance(StrEnum):
    EXPECTED = "expected"
    ARRIVED = "arrived"
    NO_SHOW = "no_show"


class DocumentType(StrEnum):
    """Identity documents CeR accepts for patients without a PESEL."""

    PASSPORT = "passport"
    ID_CARD = "id_card"  # EU/EEA identity card
    OTHER = "other"  # other document confirming identity
    NEWBORN = "newborn"  # newborn without PESEL: parent's PESEL + birth order, e.g. "44051401359/1"


class Sex(StrEnum):
    FEMALE = "F"
    MALE = "M"
    UNKNOWN = "U"


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
class Scope:
    """A scope of services CeR covers. Scopes are data (see ``domain.scopes``), not code."""

    code: str
    name_pl: str
    nfz_products: tuple[str, ...] = ()
    referral_required: bool = False
    screening_programme: bool = False
    mobile_points_allowed: bool = False
    # Target specialties of an e-referral this scope accepts (RPWDL part VIII codes, e.g. "1100"
    # poradnia kardiologiczna); see domain.referral.
    referral_specialties: tuple[str, ...] = ()


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
