"""Reconciliation's former blind spots, each drift state built for real against the simulator:
a term free here while a live visit holds it (and CeR holds it), and a visit pending here
while CeR holds it - the state a kill between the replay's two commits leaves (its outbox row
``sent``, which nothing else picks up, and which held back every later change of the visit)."""

from __future__ import annotations

import sqlite3
import uuid

import soap_raw
from notif_support import disagreements

from recepcja.domain.entities import Patient, PatientIdentifier, Visit
from recepcja.domain.model import SlotState, Urgency, VisitState
from recepcja.services import booking
from recepcja.services.call_list import call_list
from recepcja.store.db import atomic
from recepcja.store.records import OutboxState
from recepcja.sync.reconcile import Drift, Resolution, reconcile
from recepcja.sync.replay import Replayer
from recepcja.sync.terms import MIN_LEAD, propose_term


def _kinds(report) -> list[tuple[Drift, Resolution]]:
    return [(item.drift, item.resolution) for item in report.items]


def _patient(repos, pesel=soap_raw.PESEL_B) -> Patient:
    patient = Patient(PatientIdentifier(pesel=pesel), "Jan", "Nowak")
    repos.patients.add(patient, "desk")
    return patient


def _desk_visit(repos, slot_id: int) -> Visit:
    visit = Visit(f"REC-{uuid.uuid4().hex[:20].upper()}", _patient(repos).id, None,
                  Urgency.STABLE)
    repos.visits.book(visit, slot_id, "ania")
    return visit


def _left_sent(repos, entry_id: int) -> None:
    """The state an older version's two commits left after a kill between them: ``sent``
    (today's replay writes CeR's answer and its local apply in one transaction and never
    writes it; such rows still exist in databases written before)."""
    with atomic(repos.db):
        repos.db.conn.execute("UPDATE outbox SET state = 'sent' WHERE id = ? AND "
                              "state = 'sending'", (entry_id,))
    assert repos.outbox.get(entry_id).state == OutboxState.SENT


def _stuck_booking(practice, index: int):
    """A desk booking left as the replay's two commits with a kill between leave it: claimed,
    booked in CeR, CeR's answer recorded ('sent') - and never applied. (visit, row, CeR's)"""
    repos = practice.repos
    slot = repos.slots.by_cer_id(practice.sim.place.slot_ids()[index])
    visit = _desk_visit(repos, slot.id)
    (entry,) = repos.outbox.for_visit(visit.id)
    assert repos.outbox.mark_sending(entry.id)
    in_cer = practice.gateway.book(slot.cer_id, visit.visit_uid,
                                   repos.patients.get(visit.patient_id), Urgency.STABLE)
    _left_sent(repos, entry.id)
    return visit, entry, in_cer


def test_a_term_free_here_while_a_live_visit_holds_it_is_booked_again(practice):
    repos, gateway = practice.repos, practice.gateway
    slot = repos.slots.by_cer_id(practice.sim.place.slot_ids()[23])
    visit = _desk_visit(repos, slot.id)
    Replayer(repos, gateway).run()
    assert repos.visits.get(visit.id).state == VisitState.CONFIRMED
    conn = sqlite3.connect(practice.db_path)  # the drift: the term marked free here
    conn.execute("UPDATE slots SET state = 'free' WHERE id = ?", (slot.id,))
    conn.commit()
    conn.close()
    scope_now = slot.start - MIN_LEAD  # the moment this term is the first one allowed
    offered = propose_term(repos, "kardiologia", Urgency.STABLE, now=scope_now)
    assert offered is not None and offered.id == slot.id  # the desk would offer it again

    report = reconcile(repos, gateway)
    assert _kinds(report) == [(Drift.SLOT_STATE_DIFFERS, Resolution.REPAIRED)]
    assert report.items[0].visit_id == visit.id
    assert repos.slots.get(slot.id).state == SlotState.BOOKED
    assert propose_term(repos, "kardiologia", Urgency.STABLE, now=scope_now).id != slot.id
    assert reconcile(repos, gateway).items == []
    assert disagreements(repos, gateway, practice.cer_schedules) == []


def test_a_cancellation_behind_a_booking_left_sent_reaches_cer(practice):
    """Issue 12's case: the booking's row left 'sent' (by an older version), the desk cancels;
    the cancellation used to wait behind it forever - the patient cancelled here and still
    booked in CeR. The next pass reads the 'sent' row back first, then sends the cancel."""
    repos, gateway = practice.repos, practice.gateway
    visit, entry, in_cer = _stuck_booking(practice, 25)
    booking.cancel(repos, visit.id, "na prośbę pacjenta", user="ania")
    Replayer(repos, gateway).run()
    assert repos.outbox.get(entry.id).state == OutboxState.DONE
    assert gateway.read_visit(cer_id=in_cer.cer_id).cancelled
    assert all(row.state == OutboxState.DONE for row in repos.outbox.for_visit(visit.id))
    assert reconcile(repos, gateway).in_agreement
    assert disagreements(repos, gateway, practice.cer_schedules) == []


def test_a_pending_visit_cer_holds_on_its_term_is_found_and_confirmed(practice):
    repos, gateway = practice.repos, practice.gateway
    visit, entry, in_cer = _stuck_booking(practice, 27)

    report = reconcile(repos, gateway)
    assert _kinds(report) == [(Drift.VISIT_UNCONFIRMED, Resolution.REPAIRED)]
    local = repos.visits.get(visit.id)
    assert local.state == VisitState.CONFIRMED and local.cer_id == in_cer.cer_id
    assert repos.outbox.get(entry.id).state == OutboxState.DONE
    assert reconcile(repos, gateway).items == []
    # and the desk's next change of the visit reaches CeR
    booking.cancel(repos, visit.id, "lekarz zdecydował", user="ania")
    Replayer(repos, gateway).run()
    assert gateway.read_visit(cer_id=in_cer.cer_id).cancelled


def test_a_visit_the_replay_had_moved_stays_on_the_call_list(practice):
    """The replay found the booked term taken, moved the visit to the next one, CeR booked that
    - and the process died before the answer was applied."""
    repos, gateway = practice.repos, practice.gateway
    lost = repos.slots.by_cer_id(practice.sim.place.slot_ids()[29])
    other = repos.slots.by_cer_id(practice.sim.place.slot_ids()[31])
    visit = _desk_visit(repos, lost.id)
    (entry,) = repos.outbox.for_visit(visit.id)
    assert repos.outbox.mark_sending(entry.id)
    repos.visits.move(visit.id, other.id, "replay", notify_cer=False)
    repos.outbox.set_result(entry.id, {"original_slot_id": lost.id,
                                       "original_start": lost.start.isoformat(),
                                       "schedule_id": lost.schedule_id})
    gateway.book(other.cer_id, visit.visit_uid, repos.patients.get(visit.patient_id),
                 Urgency.STABLE)
    _left_sent(repos, entry.id)

    report = reconcile(repos, gateway)
    assert _kinds(report) == [(Drift.VISIT_UNCONFIRMED, Resolution.REPAIRED)]
    assert repos.outbox.get(entry.id).result["outcome"] == "moved"
    assert [item.visit_id for item in call_list(repos)] == [visit.id]
