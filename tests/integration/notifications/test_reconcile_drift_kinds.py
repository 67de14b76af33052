"""The other kinds of drift, each against the simulator: what reconciliation repairs, what it
leaves in flight, and that a second pass finds nothing."""

from __future__ import annotations

import sqlite3
import uuid

import soap_raw
from notif_support import disagreements

from recepcja.domain.entities import Patient, PatientIdentifier, Visit
from recepcja.domain.model import SlotState, Urgency, VisitState
from recepcja.sync.notifications import NotificationApplier
from recepcja.sync.pull import pull_notifications
from recepcja.sync.reconcile import Drift, Resolution, reconcile
from recepcja.sync.replay import Replayer


def _pull_and_apply(practice) -> None:
    pull_notifications(practice.gateway, practice.repos)
    NotificationApplier(practice.repos, practice.gateway).apply_pending()


def _kinds(report) -> list[tuple[Drift, Resolution]]:
    return [(item.drift, item.resolution) for item in report.items]


def _desk_patient(repos, pesel=soap_raw.PESEL_B) -> Patient:
    patient = Patient(PatientIdentifier(pesel=pesel), "Jan", "Nowak")
    repos.patients.add(patient, "desk")
    return patient


def test_missed_portal_cancellation_frees_the_term(practice):
    sim, repos = practice.sim, practice.repos
    slot_cer_id = sim.place.slot_ids()[9]
    visit = sim.control("POST", "portal-booking", {"slot": slot_cer_id,
                                                   "pesel": soap_raw.PESEL_A})["visit"]
    _pull_and_apply(practice)
    sim.control("POST", "portal-cancel", {"visit": visit["id"]})  # its notification never read
    report = reconcile(repos, practice.gateway)
    assert _kinds(report) == [(Drift.VISIT_MISSING_IN_CER, Resolution.REPAIRED)]
    assert repos.visits.by_cer_id(visit["id"]).state == VisitState.CANCELLED
    assert repos.slots.by_cer_id(slot_cer_id).state == SlotState.FREE
    assert report.in_agreement and reconcile(repos, practice.gateway).items == []


def test_visit_moved_in_cer_follows(practice):
    sim, repos = practice.sim, practice.repos
    first, second = sim.place.slot_ids()[11], sim.place.slot_ids()[12]
    visit = sim.control("POST", "portal-booking", {"slot": first,
                                                   "pesel": soap_raw.PESEL_A})["visit"]
    _pull_and_apply(practice)
    practice.gateway.change_term(visit["id"], second, "lekarz chory")  # provider-side change
    report = reconcile(repos, practice.gateway)
    assert report.in_agreement
    local = repos.visits.by_cer_id(visit["id"])
    assert local.slot_id == repos.slots.by_cer_id(second).id
    assert repos.slots.by_cer_id(first).state == SlotState.FREE
    assert disagreements(repos, practice.gateway, practice.cer_schedules) == []


def test_term_booked_here_without_a_visit_is_freed(practice):
    repos = practice.repos
    slot = repos.slots.by_cer_id(practice.sim.place.slot_ids()[15])
    conn = sqlite3.connect(practice.db_path)
    conn.execute("UPDATE slots SET state = 'booked' WHERE id = ?", (slot.id,))
    conn.commit()
    conn.close()
    report = reconcile(repos, practice.gateway)
    assert _kinds(report) == [(Drift.SLOT_STATE_DIFFERS, Resolution.REPAIRED)]
    assert repos.slots.get(slot.id).state == SlotState.FREE


def test_unconfirmed_desk_visit_cer_has_is_confirmed(practice):
    sim, repos = practice.sim, practice.repos
    slot = repos.slots.by_cer_id(sim.place.slot_ids()[17])
    patient = _desk_patient(repos)
    visit = Visit(uuid.uuid4().hex, patient.id, None, Urgency.STABLE)
    repos.visits.book(visit, slot.id, "desk")
    in_cer = practice.gateway.book(slot.cer_id, visit.visit_uid, patient, Urgency.STABLE)
    (entry,) = repos.outbox.for_visit(visit.id)
    repos.outbox.mark_sending(entry.id)
    repos.outbox.mark_done(entry.id)  # sent, but the answer was never written back
    report = reconcile(repos, practice.gateway)
    assert _kinds(report) == [(Drift.VISIT_UNCONFIRMED, Resolution.REPAIRED)]
    local = repos.visits.get(visit.id)
    assert local.state == VisitState.CONFIRMED and local.cer_id == in_cer.cer_id


def test_queued_desk_visit_is_in_flight_until_the_outbox_sends_it(practice):
    sim, repos = practice.sim, practice.repos
    slot = repos.slots.by_cer_id(sim.place.slot_ids()[19])
    visit = Visit(uuid.uuid4().hex, _desk_patient(repos).id, None, Urgency.URGENT)
    repos.visits.book(visit, slot.id, "desk")
    report = reconcile(repos, practice.gateway)
    assert _kinds(report) == [(Drift.VISIT_MISSING_IN_CER, Resolution.IN_FLIGHT)]
    assert not report.in_agreement  # CeR does not have it yet: not in agreement, not drift
    Replayer(repos, practice.gateway).run()
    assert reconcile(repos, practice.gateway).in_agreement
    assert disagreements(repos, practice.gateway, practice.cer_schedules) == []


def test_a_term_cer_has_and_the_store_lacks_is_created(practice):
    sim, repos = practice.sim, practice.repos
    slot_cer_id = sim.place.slot_ids()[21]
    conn = sqlite3.connect(practice.db_path)
    conn.execute("DELETE FROM slots WHERE cer_id = ?", (slot_cer_id,))
    conn.commit()
    conn.close()
    sim.control("POST", "portal-booking", {"slot": slot_cer_id, "pesel": soap_raw.PESEL_A})
    report = reconcile(repos, practice.gateway)
    assert _kinds(report) == [(Drift.SLOT_MISSING_LOCALLY, Resolution.REPAIRED),
                              (Drift.VISIT_MISSING_LOCALLY, Resolution.REPAIRED)]
    assert repos.slots.by_cer_id(slot_cer_id).state == SlotState.BOOKED
    assert disagreements(repos, practice.gateway, practice.cer_schedules) == []
