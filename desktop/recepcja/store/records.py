"""Small records the repositories return where ``domain.model`` has no type (yet).

They mirror rows, carry aware datetimes and plain Python values, and never a connection: a
record can cross threads (the sync thread hands them to the UI) safely.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple

from recepcja.domain.model import (
    Attendance,
    ResourceKind,
    Urgency,
    Visit,
    VisitSource,
    VisitState,
)


class Booked(NamedTuple):
    """What ``VisitRepo.book`` stored: the visit and its ``book`` row in the outbox."""

    visit_id: int
    outbox_id: int


class OutboxState(StrEnum):
    QUEUED = "queued"  # waiting to be sent
    SENDING = "sending"  # claimed by a live sender; if it dies here, the outcome is unknown
    SENT = "sent"  # written by older versions only (CeR answered, not applied): recovered
    DONE = "done"  # finished (terminal)
    FAILED = "failed"  # temporary failure; retried at next_attempt_at
    REJECTED = "rejected"  # CeR refused it (terminal; shown to a human)
    AMBIGUOUS = "ambiguous"  # may or may not have reached CeR: read back before any resend


OUTBOX_TERMINAL = frozenset({OutboxState.DONE, OutboxState.REJECTED})


class OutboxOp(StrEnum):
    """Operations the outbox carries (free text in the table, so new ones need no migration)."""

    BOOK = "book"
    CANCEL = "cancel"
    CHANGE = "change"
    WAITING_LIST = "waiting_list"
    PUBLISH_SLOTS = "publish_slots"
    WITHDRAW_SLOTS = "withdraw_slots"
    # P1's e-referral service (sync.replay_referrals): take into realisation, give back, realise,
    # and P1's visit date following a moved visit
    REFERRAL_TAKE = "referral_take"
    REFERRAL_GIVE_BACK = "referral_give_back"
    REFERRAL_REALISE = "referral_realise"
    REFERRAL_DATE = "referral_date"


@dataclass(frozen=True, slots=True)
class Provider:
    name: str
    nip: str | None = None
    regon: str | None = None
    oid_root: str | None = None
    oid_extension: str | None = None


@dataclass(slots=True)
class Place:
    """A place of service (MUŚ) as registered in RPWDL."""

    name: str
    rpwdl_codes: dict[str, str] = field(default_factory=dict)
    address: str | None = None
    scopes: list[str] = field(default_factory=list)
    cer_id: str | None = None
    cer_registered_at: dt.datetime | None = None
    cer_active_at: dt.datetime | None = None
    id: int | None = None


@dataclass(slots=True)
class MobilePoint:
    place_id: int
    name: str
    code: str | None = None
    address: str | None = None
    cer_id: str | None = None
    cer_imported_at: dt.datetime | None = None
    active: bool = True
    id: int | None = None


@dataclass(slots=True)
class Resource:
    kind: ResourceKind
    name: str
    licence_number: str | None = None  # NPWZ for a doctor
    active: bool = True
    id: int | None = None


@dataclass(slots=True)
class Schedule:
    resource_id: int
    place_id: int
    scope_code: str
    name: str = ""
    template: list[dict[str, Any]] = field(default_factory=list)  # weekly rules as JSON
    mobile_point_id: int | None = None
    cer_id: str | None = None
    cer_created_at: dt.datetime | None = None
    active: bool = True
    id: int | None = None


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
