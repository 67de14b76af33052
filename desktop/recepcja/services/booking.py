"""Booking use cases: book, cancel, reschedule, mark arrived / no-show, propose a term.

Every change is ONE store transaction that writes the visit AND its outbox row (``VisitRepo``);
nothing here talks to CeR. Online and in emergency mode the path is the same: the sync engine
(``recepcja.sync.engine``) sends the outbox when CeR answers, so the caller (a dialog, the CLI)
never waits on the network. In emergency mode the row is flagged ``emergency`` (the spreadsheet
and the outage evidence list it) and a new patient simply keeps the local ID the store gives.

All functions take a ``Repositories`` opened by the calling thread and validate before writing:
bad input raises ``ValidationError`` / ``ConflictError`` (English ``N_`` messages) and writes
nothing.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from recepcja.domain.contract import FIELDS, check
from recepcja.domain.entities import Patient, Slot, Visit
from recepcja.domain.errors import N_, ConflictError, ValidationError
from recepcja.domain.model import Attendance, SlotState, TermKind, Urgency, VisitSource
from recepcja.domain.pesel import is_valid_pesel
from recepcja.domain.referral import (
    PROBLEM_MESSAGES,
    ReferralProblem,
    known_scope,
    move_problem,
    normalise_key,
    require_referral,
)
from recepcja.domain.urgency import parse_urgency
from recepcja.domain.workstation import Workstation
from recepcja.store.repos import Repositories
from recepcja.store.working_records import VisitRecord
from recepcja.sync.terms import in_emergency, propose_term

__all__ = [
    "BookingResult",
    "book",
    "cancel",
    "check_first_visit",
    "find_patient",
    "in_emergency",
    "mark_attendance",
    "new_visit_uid",
    "propose_term",
    "reschedule",
]

MAX_REASON = FIELDS["cancel_reason"].limit.max_length or 500


def new_visit_uid(workstation: Workstation | None = None) -> str:
    """Our own identifier of a visit, sent to CeR with the booking (read-back key).

    80 random bits make it unique without asking anyone; several desks of one practice book
    into one database and one CeR account, so a desk's identifiers also carry its workstation
    prefix (``REC-R1-...``): two desks could not collide even with a broken random source, and
    CeR's own record says which desk booked. 28 characters at most, CeR allows 64."""
    random = uuid.uuid4().hex[:20].upper()
    return f"REC-{workstation.prefix}-{random}" if workstation is not None else f"REC-{random}"


def find_patient(repos: Repositories, key: str) -> Patient:
    """A patient by PESEL or local ID (``L-R1-000123``, ``L-000123``, also one another desk
    gave them — a queue import), or ValidationError. A merged duplicate's PESEL or local ID
    finds the patient it was merged into."""
    text = (key or "").strip()
    patient: Patient | None = None
    if text.isdigit() and len(text) == 11:
        if not is_valid_pesel(text):
            raise ValidationError(N_("\"{value}\" is not a valid PESEL."), value=text)
        patient = repos.patients.by_pesel(text)
    elif text:
        patient = repos.patients.holder_of_local_id(text)
    if patient is None:
        raise ValidationError(N_("No patient with PESEL or local ID \"{value}\"."), value=text)
    merged_into = repos.patients.merged_into(patient.id or 0)
    if merged_into is not None:  # an old local ID (an outage slip) books for the survivor
        patient = repos.patients.get(merged_into) or patient
    return patient


@dataclass(frozen=True, slots=True)
class BookingResult:
    """The booked visit (pending until the sync engine has CeR confirm it), the id of the outbox
    row that carries it to CeR, and whether it was booked in emergency mode."""

    visit: VisitRecord
    outbox_id: int
    emergency: bool


def book(
    repos: Repositories,
    patient_id: int,
    slot_id: int,
    urgency: Urgency | str,
    *,
    user: str,
    central_request_id: str | None = None,
    central_request_date: dt.datetime | None = None,
    referral_id: str | None = None,
    emergency: bool | None = None,
    source: VisitSource = VisitSource.DESK,
    visit_uid: str | None = None,
    now: dt.datetime | None = None,
    referral_key: str | None = None,
    referral_refunded: bool | None = None,
) -> BookingResult:
    """Book ``slot_id`` for the patient: one transaction with the visit, the slot, the outbox
    row (``book:<visit_uid>``) and the audit row. ``emergency=None`` asks the stored
    connectivity state. Raises ConflictError when the term is taken or blocked.

    ``referral_key``: the e-referral the visit is booked on (44 digits; checked by the caller
    where P1 answers, ``services.referrals``). Kept on the visit, sent to CeR as its referral
    id, and - for a first visit - taken into realisation in P1 after the booking by a
    ``referral_take`` row of the same transaction (the replay checks it again;
    ``referral_refunded`` None: as the referral says)."""
    level = parse_urgency(urgency)
    key = normalise_key(referral_key) if referral_key else None
    # What goes to CeR must fit its contract: refused here, before anything is written.
    request = check("central_request_id", _clean(central_request_id))
    referral = check("referral_id", _clean(referral_id) or key)
    uid = check("visit_uid", visit_uid) or new_visit_uid(repos.db.workstation)
    if repos.patients.get(patient_id) is None:
        raise ValidationError(N_("This patient does not exist."))
    slot = repos.slots.get(slot_id)
    if slot is None:
        raise ValidationError(N_("Term {slot} does not exist."), slot=slot_id)
    if slot.state != SlotState.FREE:
        raise ConflictError(N_("This term is already taken."))
    moment = now or repos.visits.clock()
    if slot.start <= moment:
        raise ValidationError(N_("This term has already started; choose a later one."))
    if central_request_date is not None and central_request_date.tzinfo is None:
        raise ValidationError(N_("The date of the central request needs a time zone."))
    check_first_visit(repos, slot, has_referral=referral is not None)
    flagged = in_emergency(repos) if emergency is None else emergency
    visit = Visit(
        visit_uid=uid,
        patient_id=patient_id,
        slot_id=slot_id,
        urgency=level,
        central_request_id=request,
        referral_id=referral,
        referral_key=key,
    )
    take = None
    if key is not None and slot.term_kind != TermKind.CONTINUING_TREATMENT:
        take = {"key": key, "refunded": referral_refunded}
    booked = repos.visits.book(
        visit,
        slot_id,
        user,
        source=source,
        central_request_date=central_request_date,
        emergency=flagged,
        referral_take=take,
    )
    record = repos.visits.get(booked.visit_id)
    assert record is not None
    return BookingResult(record, booked.outbox_id, flagged)


def cancel(
    repos: Repositories,
    visit_id: int,
    reason: str,
    *,
    user: str,
    expected_version: int | None = None,
) -> VisitRecord:
    """Cancel a visit with a reason; frees the term and queues ``cancel`` for CeR."""
    text = " ".join((reason or "").split())
    if not text:
        raise ValidationError(N_("Give the reason for cancelling."))
    check("cancel_reason", text)
    _existing(repos, visit_id)
    repos.visits.cancel(
        visit_id, text, user, expected_version=expected_version, emergency=in_emergency(repos)
    )
    return _existing(repos, visit_id)


def reschedule(
    repos: Repositories,
    visit_id: int,
    new_slot_id: int,
    *,
    user: str,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> VisitRecord:
    """Move a live visit to another free term (same scope); queues ``change`` for CeR."""
    record = _existing(repos, visit_id)
    slot = repos.slots.get(new_slot_id)
    if slot is None:
        raise ValidationError(N_("Term {slot} does not exist."), slot=new_slot_id)
    if slot.id == record.slot_id:
        raise ValidationError(N_("The visit is already on this term."))
    if slot.state != SlotState.FREE:
        raise ConflictError(N_("This term is already taken."))
    if slot.start <= (now or repos.visits.clock()):
        raise ValidationError(N_("This term has already started; choose a later one."))
    schedule = repos.schedules.get(slot.schedule_id)
    if record.scope_code and schedule is not None and schedule.scope_code != record.scope_code:
        raise ValidationError(N_("The new term belongs to another scope of services."))
    _check_kind_change(repos, record, slot)
    repos.visits.move(
        visit_id, new_slot_id, user, expected_version=expected_version,
        emergency=in_emergency(repos),
    )
    return _existing(repos, visit_id)


def mark_attendance(
    repos: Repositories, visit_id: int, attendance: Attendance | str, *, user: str,
    realise_referral: bool = False,
) -> VisitRecord:
    """Mark the patient arrived or not arrived (no CeR operation in the contract model).
    ``realise_referral`` (``[p1] realise_on_attendance``): an arrived patient's e-referral is
    marked realised in P1 through the outbox."""
    try:
        value = Attendance(attendance)
    except ValueError:
        raise ValidationError(N_("Unknown attendance \"{value}\"."), value=attendance) from None
    _existing(repos, visit_id)
    repos.visits.set_attendance(visit_id, value, user, realise_referral=realise_referral)
    return _existing(repos, visit_id)


def check_first_visit(repos: Repositories, slot: Slot, *, has_referral: bool) -> None:
    """The first-visit rule every booking goes through (``domain.referral.require_referral``): a
    first visit (the default procedure) of a scope with referrals needs one - an e-referral's
    key or a paper referral's number - or CeR refuses it, maybe during a replay with nobody at
    the desk. A continuation, a procedure and a scope without referrals need none."""
    schedule = repos.schedules.get(slot.schedule_id)
    require_referral(known_scope(schedule.scope_code if schedule else None), slot.term_kind,
                     has_referral, start=slot.start)


def _check_kind_change(repos: Repositories, record: VisitRecord, slot: Slot) -> None:
    """A visit without a referral moved from a term that needs none (a continuation) to a
    first-visit term of a scope with referrals: CeR would refuse that combination."""
    current = repos.slots.get(record.slot_id) if record.slot_id is not None else None
    if current is None:
        return
    if move_problem(known_scope(record.scope_code), current.term_kind, slot.term_kind,
                    bool(record.referral_key or record.referral_id)) is not None:
        raise ValidationError(PROBLEM_MESSAGES[ReferralProblem.FIRST_VISIT_NEEDS_REFERRAL])


def _existing(repos: Repositories, visit_id: int) -> VisitRecord:
    record = repos.visits.get(visit_id)
    if record is None:
        raise ValidationError(N_("Visit {visit} does not exist."), visit=visit_id)
    return record


def _clean(value: str | None) -> str | None:
    text = (value or "").strip()
    return text or None
