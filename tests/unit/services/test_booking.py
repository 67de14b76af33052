"""services.booking: each change is one transaction with its outbox row; bad input writes
nothing; the proposed term follows the rules."""

from __future__ import annotations

import datetime as dt

import pytest
from services_support import NOW, add_patient, pesels

from recepcja.domain.entities import SlotSpec
from recepcja.domain.errors import ConflictError, ValidationError
from recepcja.domain.model import Attendance, SlotState, TermKind, Urgency, VisitState
from recepcja.i18n import error_text
from recepcja.services import booking
from recepcja.store.records import OutboxOp, OutboxState
from recepcja.sync.terms import MANUAL_EMERGENCY_KEY, MIN_LEAD, STATE_KEY
from support.practice import build_practice as build_scope_practice


def test_book_stores_visit_slot_and_outbox_row_together(repos, practice, patient_id):
    slot_id = practice.slot_ids[0]
    result = booking.book(repos, patient_id, slot_id, "pilny", user="ania",
                          central_request_id=" ZGL-1 ", referral_id=" SK-1 ")
    visit = result.visit
    assert visit.state == VisitState.PENDING and visit.urgency == Urgency.URGENT
    assert visit.central_request_id == "ZGL-1" and visit.referral_id == "SK-1"
    assert repos.slots.get(slot_id).state == SlotState.BOOKED
    [entry] = repos.outbox.for_visit(visit.id)
    assert entry.id == result.outbox_id and entry.op == OutboxOp.BOOK
    assert entry.state == OutboxState.QUEUED and not entry.emergency and not result.emergency


@pytest.mark.parametrize(("key", "value"), [(STATE_KEY, "offline"), (MANUAL_EMERGENCY_KEY, "1")])
def test_booking_in_emergency_mode_is_flagged(repos, practice, patient_id, key, value):
    repos.sync_state.set(key, value)
    result = booking.book(repos, patient_id, practice.slot_ids[0], Urgency.STABLE, user="ania",
                          referral_id="SK-1")
    assert result.emergency and repos.outbox.get(result.outbox_id).emergency


def test_taken_term_is_refused_and_nothing_is_written(repos, practice, patient_id):
    booking.book(repos, patient_id, practice.slot_ids[0], Urgency.STABLE, user="ania",
                 referral_id="SK-1")
    other = add_patient(repos, pesels(1, 7)[0], "Nowak")
    before = repos.outbox.counts()
    with pytest.raises(ConflictError):
        booking.book(repos, other, practice.slot_ids[0], Urgency.STABLE, user="ania",
                     referral_id="SK-1")
    assert repos.outbox.counts() == before and repos.visits.count() == 1


@pytest.mark.parametrize(("field", "value"), [
    ("referral_id", "S" * 300),  # CeR's Identyfikator holds 64 characters
    ("central_request_id", "ZGL 12/2026"),  # ... of letters, digits and _ . : -
    ("visit_uid", "X" * 65),
])
def test_values_cer_would_refuse_are_refused_before_anything_is_saved(
        repos, practice, patient_id, field, value):
    before = repos.outbox.counts()
    with pytest.raises(ValidationError, match="CeR"):
        booking.book(repos, patient_id, practice.slot_ids[0], Urgency.STABLE, user="ania",
                      **{field: value})
    assert repos.outbox.counts() == before and repos.visits.count() == 0
    assert repos.slots.get(practice.slot_ids[0]).state == SlotState.FREE
    visit = booking.book(repos, patient_id, practice.slot_ids[0], "stable", user="a",
                         referral_id="SK-1").visit
    with pytest.raises(ValidationError, match="500"):
        booking.cancel(repos, visit.id, "powód " * 100, user="a")
    assert repos.visits.get(visit.id).state == VisitState.PENDING


def test_a_first_visit_without_a_referral_is_refused_and_nothing_is_written(
        repos, practice, patient_id):
    """The first-visit rule is the service's own: any caller (the CLI, the window, a future
    path) gets the one refusal, before anything is written."""
    before = repos.outbox.counts()
    with pytest.raises(ValidationError) as raised:
        booking.book(repos, patient_id, practice.slot_ids[0], Urgency.STABLE, user="ania")
    assert "first visit of kardiologia" in str(raised.value)
    assert "wymaga skierowania" in error_text(raised.value)
    assert repos.outbox.counts() == before and repos.visits.count() == 0
    assert repos.slots.get(practice.slot_ids[0]).state == SlotState.FREE
    # An e-referral's key takes the referral with the booking; a paper referral is sent as it is.
    keyed = booking.book(repos, patient_id, practice.slot_ids[0], Urgency.STABLE, user="ania",
                         referral_key="1" * 44)
    assert [row.op for row in repos.outbox.for_visit(keyed.visit.id)] == [
        OutboxOp.BOOK, OutboxOp.REFERRAL_TAKE]
    booking.book(repos, patient_id, practice.slot_ids[1], Urgency.STABLE, user="ania",
                 referral_id="SK-1")


@pytest.mark.parametrize("kind", [TermKind.CONTINUING_TREATMENT, TermKind.SPECIFIC_PROCEDURE])
def test_a_continuation_or_a_procedure_needs_no_referral(repos, practice, patient_id, kind):
    start = repos.slots.get(practice.slot_ids[-1]).end + dt.timedelta(hours=1)
    repos.slots.add_many(practice.schedule_id, [SlotSpec(start, start + dt.timedelta(minutes=15),
                                                         kind)])
    [slot] = [s for s in repos.slots.for_day(practice.schedule_id, start.date())
              if s.start == start]
    result = booking.book(repos, patient_id, slot.id, Urgency.STABLE, user="ania")
    assert [row.op for row in repos.outbox.for_visit(result.visit.id)] == [OutboxOp.BOOK]


def test_a_scope_without_referrals_needs_none(repos, patient_id):
    screening = build_scope_practice(repos, NOW.date() + dt.timedelta(days=1),
                                     scope="mammography")
    booking.book(repos, patient_id, screening.slot_ids[0], Urgency.STABLE, user="ania")
    assert repos.visits.count() == 1


def test_past_term_and_unknown_patient_are_refused(repos, practice, patient_id, clock):
    clock.now = repos.slots.get(practice.slot_ids[0]).start
    with pytest.raises(ValidationError):
        booking.book(repos, patient_id, practice.slot_ids[0], Urgency.STABLE, user="ania",
                     referral_id="SK-1")
    with pytest.raises(ValidationError):
        booking.book(repos, 999, practice.slot_ids[1], Urgency.STABLE, user="ania",
                     referral_id="SK-1")
    with pytest.raises(ValidationError):
        booking.book(repos, patient_id, practice.slot_ids[1], "maybe", user="ania",
                     referral_id="SK-1")
    assert repos.visits.count() == 0


def test_cancel_needs_a_reason_and_frees_the_term(repos, practice, patient_id):
    visit = booking.book(repos, patient_id, practice.slot_ids[0], "stable", user="a",
                         referral_id="SK-1").visit
    with pytest.raises(ValidationError):
        booking.cancel(repos, visit.id, "  ", user="ania")
    cancelled = booking.cancel(repos, visit.id, "pacjent  rezygnuje", user="ania")
    assert cancelled.state == VisitState.CANCELLED
    assert cancelled.cancelled_reason == "pacjent rezygnuje"
    assert repos.slots.get(practice.slot_ids[0]).state == SlotState.FREE
    assert [e.op for e in repos.outbox.for_visit(visit.id)] == ["book", "cancel"]


def test_reschedule_moves_and_queues_a_change(repos, practice, patient_id):
    visit = booking.book(repos, patient_id, practice.slot_ids[0], "stable", user="a",
                         referral_id="SK-1").visit
    moved = booking.reschedule(repos, visit.id, practice.slot_ids[3], user="ania")
    assert moved.slot_id == practice.slot_ids[3]
    assert repos.slots.get(practice.slot_ids[0]).state == SlotState.FREE
    assert repos.outbox.for_visit(visit.id)[-1].op == OutboxOp.CHANGE
    with pytest.raises(ValidationError):
        booking.reschedule(repos, visit.id, practice.slot_ids[3], user="ania")


def test_attendance(repos, practice, patient_id):
    visit = booking.book(repos, patient_id, practice.slot_ids[0], "stable", user="a",
                         referral_id="SK-1").visit
    assert booking.mark_attendance(repos, visit.id, "arrived", user="a").attendance == \
        Attendance.ARRIVED
    assert booking.mark_attendance(repos, visit.id, Attendance.NO_SHOW, user="a").attendance == \
        Attendance.NO_SHOW
    with pytest.raises(ValidationError):
        booking.mark_attendance(repos, visit.id, "late", user="a")


def test_find_patient_by_pesel_or_local_id(repos, patient_id):
    patient = repos.patients.get(patient_id)
    assert booking.find_patient(repos, pesels(1)[0]).id == patient_id
    assert booking.find_patient(repos, patient.local_id.lower()).id == patient_id
    with pytest.raises(ValidationError):
        booking.find_patient(repos, "44051401358")  # bad check digit
    with pytest.raises(ValidationError):
        booking.find_patient(repos, "L-999999")


def test_propose_term_nearest_allowed(repos, practice, patient_id, clock):
    first = repos.slots.get(practice.slot_ids[0])
    clock.now = first.start - MIN_LEAD + dt.timedelta(minutes=1)  # too close for the first
    slot = booking.propose_term(repos, "cardiology", "urgent", now=clock.now)
    assert slot.id == practice.slot_ids[1]
    slot = booking.propose_term(repos, "cardiology", "stable", now=NOW,
                                exclude={practice.slot_ids[0]})
    assert slot.id == practice.slot_ids[1]
    repos.visits.db.conn.execute("UPDATE slots SET cer_id = NULL WHERE id = ?",
                                 (practice.slot_ids[0],))
    slot = booking.propose_term(repos, "cardiology", "stable", now=NOW, published_only=True)
    assert slot.id == practice.slot_ids[1]
    assert booking.propose_term(repos, "mammography", "stable", now=NOW) is None
