"""Drift in either direction is detected and repaired; overbooking in CeR becomes an incident
report naming every visit; the receiver shrugs off hostile requests and keeps serving."""

from __future__ import annotations

import csv
import sqlite3
import uuid

import requests
import soap_raw
from notif_support import disagreements

from recepcja.domain.entities import Patient, PatientIdentifier, Visit
from recepcja.domain.model import Urgency, VisitSource, VisitState
from recepcja.sync.incidents import SUPPORT_ADDRESS
from recepcja.sync.notifications import NotificationApplier
from recepcja.sync.pull import pull_notifications
from recepcja.sync.receiver import SOAP_ACTION, NotificationReceiver, signature_for
from recepcja.sync.reconcile import Drift, Resolution, reconcile
from support.hostile_xml import BILLION_LAUGHS, XXE
from support.polling import wait_until

SECRET = "push-secret-for-tests"


def _pull_and_apply(practice) -> None:
    pull_notifications(practice.gateway, practice.repos)
    NotificationApplier(practice.repos, practice.gateway).apply_pending()


def _delete_visit_behind_the_apps_back(db_path, visit_id: int) -> None:
    """Simulated drift: the visit vanishes from the local store (raw SQL, test only)."""
    conn = sqlite3.connect(db_path)
    try:
        slot_id = conn.execute("SELECT slot_id FROM visits WHERE id = ?", (visit_id,)).fetchone()[0]
        conn.execute("DELETE FROM audit_log WHERE visit_id = ?", (visit_id,))
        conn.execute("DELETE FROM outbox WHERE visit_id = ?", (visit_id,))
        conn.execute("DELETE FROM visits WHERE id = ?", (visit_id,))
        conn.execute("UPDATE slots SET state = 'free' WHERE id = ?", (slot_id,))
        conn.commit()
    finally:
        conn.close()


def test_visit_deleted_locally_is_detected_and_restored(practice):
    sim, repos = practice.sim, practice.repos
    portal_slot, desk_slot = sim.place.slot_ids()[3], sim.place.slot_ids()[5]
    sim.control("POST", "portal-booking", {"slot": portal_slot, "pesel": soap_raw.PESEL_A})
    _pull_and_apply(practice)
    portal_visit = repos.visits.by_cer_id(
        sim.state(sections="visits")["visits"][0]["id"])
    assert portal_visit is not None
    # a desk visit CeR confirmed, recorded here as such
    patient = Patient(PatientIdentifier(pesel=soap_raw.PESEL_B), "Jan", "Nowak")
    repos.patients.add(patient, "desk")
    uid = uuid.uuid4().hex
    cer_visit = practice.gateway.book(desk_slot, uid, patient, Urgency.STABLE)
    desk = Visit(uid, patient.id, None, Urgency.STABLE, state=VisitState.CONFIRMED,
                 cer_id=cer_visit.cer_id)
    repos.visits.record_from_cer(desk, repos.slots.by_cer_id(desk_slot).id, VisitSource.DESK,
                                 cer_version=str(cer_visit.version))
    assert disagreements(repos, practice.gateway, practice.cer_schedules) == []

    _delete_visit_behind_the_apps_back(practice.db_path, portal_visit.id)
    _delete_visit_behind_the_apps_back(practice.db_path, desk.id)
    assert len(disagreements(repos, practice.gateway, practice.cer_schedules)) == 2

    report = reconcile(repos, practice.gateway)
    restored = [i for i in report.items if i.drift == Drift.VISIT_MISSING_LOCALLY]
    assert {i.visit_cer_id for i in restored} == {portal_visit.cer_id, cer_visit.cer_id}
    assert all(i.resolution == Resolution.REPAIRED for i in restored)
    assert report.in_agreement
    assert disagreements(repos, practice.gateway, practice.cer_schedules) == []
    again = repos.visits.by_cer_id(cer_visit.cer_id)
    assert again.visit_uid == uid and again.source == VisitSource.DESK
    assert repos.visits.by_cer_id(portal_visit.cer_id).source == VisitSource.PORTAL
    # and a second pass finds nothing left to do
    assert reconcile(repos, practice.gateway).items == []


def test_local_visit_cer_never_received_is_resent(practice):
    sim, repos = practice.sim, practice.repos
    slot = repos.slots.by_cer_id(sim.place.slot_ids()[7])
    patient = Patient(PatientIdentifier(pesel=soap_raw.PESEL_A), "Anna", "Zielińska")
    repos.patients.add(patient, "desk")
    visit = Visit(uuid.uuid4().hex, patient.id, None, Urgency.URGENT)
    repos.visits.book(visit, slot.id, "desk")
    # The booking never reached CeR, yet its outbox row ended (a lost row, a bug, a restore
    # from an old backup): nothing would ever send it again.
    (entry,) = repos.outbox.for_visit(visit.id)
    assert repos.outbox.mark_sending(entry.id) and repos.outbox.mark_done(entry.id)
    assert practice.gateway.read_visit(visit_uid=visit.visit_uid) is None

    report = reconcile(repos, practice.gateway)
    (item,) = report.items
    assert (item.drift, item.resolution) == (Drift.VISIT_MISSING_IN_CER, Resolution.RESENT)
    in_cer = practice.gateway.read_visit(visit_uid=visit.visit_uid)
    assert in_cer is not None and not in_cer.cancelled and in_cer.slot_cer_id == slot.cer_id
    local = repos.visits.get(visit.id)
    assert local.state == VisitState.CONFIRMED and local.cer_id == in_cer.cer_id
    assert report.in_agreement
    assert disagreements(repos, practice.gateway, practice.cer_schedules) == []


def test_three_bookings_forced_into_one_hour_make_an_incident_report(practice, tmp_path):
    sim, repos = practice.sim, practice.repos
    slot = sim.place.slot_ids(sim.place.schedule_ids[1])[10]
    forced = sim.control("POST", "force-bookings", {"slot": slot, "count": 3})["visits"]
    visit_ids = {v["id"] for v in forced}
    assert len(visit_ids) == 3
    _pull_and_apply(practice)  # one of them fits the local term, the others conflict

    report = reconcile(repos, practice.gateway, incident_folder=tmp_path / "incidents")
    assert not report.in_agreement
    assert report.incidents is not None
    (incident,) = report.incidents.incidents
    assert {v.cer_id for v in incident.visits} == visit_ids
    assert incident.schedule == sim.place.schedule_ids[1]
    text_path, csv_path = report.incidents.paths
    text = text_path.read_text(encoding="utf-8")
    assert SUPPORT_ADDRESS in text and all(visit in text for visit in visit_ids)
    assert incident.start.astimezone().strftime("%Y") in text
    with csv_path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    assert {row["id_wizyty"] for row in rows} == visit_ids
    assert {row["id_slotu"] for row in rows} == {slot}
    overbooked = [i for i in report.items if i.drift == Drift.OVERBOOKED]
    assert len(overbooked) == 1 and overbooked[0].resolution == Resolution.HUMAN
    assert report.to_json()["incidents"]["files"] == [str(text_path), str(csv_path)]


ACTION = f'"{SOAP_ACTION}"'


def test_receiver_refuses_hostile_senders_and_keeps_serving_cer(practice):
    sim, repos = practice.sim, practice.repos
    receiver = NotificationReceiver(practice.db_path, SECRET, port=0, max_body_bytes=64_000)
    with receiver:
        def post(body, secret=SECRET):
            headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": ACTION}
            if secret:
                headers["X-CeR-Signature"] = signature_for(secret, body)
            return requests.post(receiver.url, data=body, headers=headers, timeout=5).status_code

        assert post(XXE) == 400
        assert post(BILLION_LAUGHS) == 400
        assert post(b"<a>" + b"x" * 100_000 + b"</a>") == 413
        assert post(b"<a/>", secret=None) == 401
        assert post(b"<a/>", secret="not-the-secret") == 401
        sim.control("POST", "notifications", {"url": receiver.url, "secret": SECRET})
        sim.control("POST", "portal-booking", {"slot": sim.place.slot_ids()[1],
                                               "pesel": soap_raw.PESEL_B})
        wait_until(repos.notifications.count_unapplied, "the pushed notification stored",
                   timeout=10)
    assert repos.notifications.count_unapplied() == 1
    assert receiver.app.counts["stored"] == 1
    assert receiver.app.counts["refused_signature"] == 2
