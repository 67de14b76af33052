"""Merging duplicate patients (``services.patients``): the offer, everything that refers to a
patient moving with the merge in one transaction, and the refusal while CeR holds upcoming
visits under the duplicate's own identity."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest
from openpyxl import Workbook
from services_support import NOW, add_patient, pesels

from recepcja.cer.types import CerPatient
from recepcja.domain.entities import Patient, PatientIdentifier
from recepcja.domain.errors import ConflictError, ValidationError
from recepcja.domain.model import WARSAW, DocumentType, Urgency
from recepcja.services import booking
from recepcja.services.call_list import call_list
from recepcja.services.emergency import HEADERS, import_queue, queue_entries
from recepcja.services.patients import (
    DuplicatePatientError,
    PatientInput,
    merge_offer,
    merge_patients,
    patient_by_key,
    register_patient,
    update_patient,
)
from recepcja.store.patients import PatientRepo
from recepcja.sync.notifications import patient_id_for

TODAY = NOW.astimezone(WARSAW).date()
LATER = TODAY + dt.timedelta(days=30)  # after every term of the practice: they are past then


def _local(repos, name: str = "Awaryjna", document: str = "AB1234567",
           phone: str | None = "+48605111222") -> int:
    """A patient registered without PESEL (as in emergency mode): identified by a passport."""
    patient = Patient(PatientIdentifier(document_type=DocumentType.PASSPORT,
                                        document_number=document), "Ewa", name, phone=phone)
    return repos.patients.add(patient, "ania")


def _book(repos, practice, patient_id: int, index: int, *, emergency: bool = False):
    return booking.book(repos, patient_id, practice.slot_ids[index], Urgency.STABLE,
                        user="ania", emergency=emergency, referral_id="SK-1")


def _payload(repos, entry_id: int) -> dict:
    row = repos.db.conn.execute("SELECT payload FROM outbox WHERE id = ?", (entry_id,)).fetchone()
    return json.loads(row[0])


def test_edit_to_a_taken_pesel_offers_the_merge_and_writes_nothing(repos, practice):
    pesel = pesels(1)[0]
    into = add_patient(repos, pesel, "Kowalska")
    duplicate = _local(repos)
    _book(repos, practice, duplicate, 0, emergency=True)
    _book(repos, practice, into, 1)
    typed = PatientInput("Ewa", "Awaryjna", pesel=pesel, phone="605 111 222")
    with pytest.raises(DuplicatePatientError) as caught:
        update_patient(repos.db, duplicate, typed, "ania", today=TODAY)
    assert isinstance(caught.value, ConflictError)  # callers that only refuse keep working
    offer = caught.value.offer
    assert (offer.duplicate.id, offer.into.id) == (duplicate, into)
    assert (offer.duplicate_visits, offer.into_visits) == (1, 1)
    assert offer.held_in_cer == 0 and offer.refusal is None
    assert offer.phone is None  # the survivor already has a phone
    assert repos.patients.merged_into(duplicate) is None
    assert repos.patients.get(duplicate).identifier.pesel is None


def test_confirmed_offer_merges_and_returns_the_survivor(repos, practice):
    pesel = pesels(1)[0]
    into = repos.patients.add(Patient(PatientIdentifier(pesel=pesel), "Ewa", "Kowalska"), "ania")
    duplicate = _local(repos, phone=None)
    visit = _book(repos, practice, duplicate, 0, emergency=True).visit
    typed = PatientInput("Ewa", "Awaryjna", pesel=pesel, phone="605 111 222", merge_into=into)
    survivor = update_patient(repos.db, duplicate, typed, "ania", today=TODAY)
    assert survivor.id == into and survivor.last_name == "Kowalska"
    assert survivor.phone == "+48605111222"  # the typed phone fills the missing one
    assert repos.patients.get(into).phone == "+48605111222"
    assert repos.visits.get(visit.id).patient_id == into
    assert repos.patients.merged_into(duplicate) == into
    assert [p.id for p in repos.patients.search(pesel)] == [into]
    assert all(p.id != duplicate for p in repos.patients.search("Awaryjna"))


def test_merge_into_another_holder_is_still_refused(repos):
    pesel = pesels(1)[0]
    into = add_patient(repos, pesel)
    other = add_patient(repos, pesels(2)[1], "Inny")
    duplicate = _local(repos)
    typed = PatientInput("Ewa", "Awaryjna", pesel=pesel, merge_into=other)
    with pytest.raises(DuplicatePatientError) as caught:
        update_patient(repos.db, duplicate, typed, "ania", today=TODAY)
    assert caught.value.offer.into.id == into
    assert repos.patients.merged_into(duplicate) is None


def test_registering_a_taken_pesel_offers_the_existing_patient(repos):
    pesel = pesels(1)[0]
    into = repos.patients.add(Patient(PatientIdentifier(pesel=pesel), "Ewa", "Kowalska"), "ania")
    count = repos.patients.count()
    typed = PatientInput("Ewa", "Kowalska", pesel=pesel, phone="601 999 888")
    with pytest.raises(DuplicatePatientError) as caught:
        register_patient(repos.db, typed, "ania")
    offer = caught.value.offer
    assert offer.duplicate.id is None and offer.into.id == into
    assert offer.duplicate_visits == 0 and offer.phone == "+48601999888"
    survivor = register_patient(repos.db, dataclasses.replace(typed, merge_into=into), "ania")
    assert survivor.id == into and survivor.phone == "+48601999888"
    assert repos.patients.count() == count
    actions = [entry.action for entry in repos.patients.audit.for_patient(into)]
    assert "patient.merge" in actions


def test_merge_moves_visits_and_outbox_payloads_in_one_audited_step(repos, practice):
    into = add_patient(repos, pesels(1)[0])
    duplicate = _local(repos)
    booked = [_book(repos, practice, duplicate, index, emergency=True) for index in range(2)]
    sent = _book(repos, practice, duplicate, 2)
    repos.outbox.mark_done(sent.outbox_id, {"outcome": "booked"})  # history: left as sent
    result = merge_patients(repos.db, duplicate, into, "ania", today=LATER)
    assert result.visits_moved == 3 and result.survivor.id == into
    assert result.merged.id == duplicate
    for item in booked:
        assert repos.visits.get(item.visit.id).patient_id == into
        assert _payload(repos, item.outbox_id)["patient_id"] == into
    assert _payload(repos, sent.outbox_id)["patient_id"] == duplicate
    audit = repos.patients.audit.for_patient(into)
    assert sum(entry.action == "patient.merge.visit" for entry in audit) == 3
    [merge_row] = [entry for entry in audit if entry.action == "patient.merge"]
    assert merge_row.user == "ania" and "3 visits moved" in (merge_row.detail or "")


def test_emergency_queue_shows_the_survivor(repos, practice):
    pesel = pesels(1)[0]
    into = add_patient(repos, pesel, "Kowalska")
    duplicate = _local(repos)
    _book(repos, practice, duplicate, 0, emergency=True)
    [before] = queue_entries(repos)
    assert before.identifier == "paszport AB1234567"  # words, not passport:AB1234567
    merge_patients(repos.db, duplicate, into, "ania", today=TODAY)
    [entry] = queue_entries(repos)
    assert entry.identifier == pesel and entry.last_name == "Kowalska"
    assert entry.patient_local_id == repos.patients.get(into).local_id


def test_call_list_shows_the_survivor(repos, practice):
    into = add_patient(repos, pesels(1)[0], "Kowalska")
    duplicate = _local(repos)
    result = _book(repos, practice, duplicate, 0, emergency=True)
    repos.visits.confirm(result.visit.id, "WIZ-1", "1")
    repos.outbox.mark_done(result.outbox_id, {"outcome": "moved",
                                              "original_start": NOW.isoformat()})
    [before] = call_list(repos)
    assert before.last_name == "Awaryjna"
    merge_patients(repos.db, duplicate, into, "ania", today=LATER)  # the visit is past by then
    [item] = call_list(repos)
    assert item.last_name == "Kowalska"
    assert item.patient_local_id == repos.patients.get(into).local_id


def test_cer_data_naming_the_duplicate_finds_the_survivor(repos):
    into = add_patient(repos, pesels(1)[0])
    duplicate = _local(repos)
    merge_patients(repos.db, duplicate, into, "ania", today=TODAY)
    named = CerPatient(repos.patients.get(duplicate).identifier, "Ewa", "Awaryjna")
    count = repos.patients.count()
    assert patient_id_for(repos, named) == into  # a notification: no third record
    assert repos.patients.count() == count


def test_patients_merged_earlier_follow_to_the_survivor(repos):
    into = add_patient(repos, pesels(1)[0])
    duplicate = _local(repos)
    older = _local(repos, "Starsza", "CD7654321")
    merge_patients(repos.db, older, duplicate, "ania", today=TODAY)
    merge_patients(repos.db, duplicate, into, "ania", today=TODAY)
    assert repos.patients.merged_into(older) == into


def test_upcoming_visit_confirmed_in_cer_refuses_the_merge(repos, practice):
    into = add_patient(repos, pesels(1)[0])
    duplicate = _local(repos)
    result = _book(repos, practice, duplicate, 0)
    repos.visits.confirm(result.visit.id, "WIZ-7", "1")
    offer = merge_offer(repos.db, duplicate, into, today=TODAY)
    assert offer.held_in_cer == 1 and offer.refusal is not None
    with pytest.raises(ConflictError) as caught:
        merge_patients(repos.db, duplicate, into, "ania", today=TODAY)
    assert "CeR" in str(caught.value) and "Awaryjna" in str(caught.value)
    assert repos.visits.get(result.visit.id).patient_id == duplicate
    assert repos.patients.merged_into(duplicate) is None
    # Once the visit has taken place it is history: the merge goes through, audited.
    merge_patients(repos.db, duplicate, into, "ania", today=LATER)
    assert repos.visits.get(result.visit.id).patient_id == into
    details = [e.detail or "" for e in repos.patients.audit.for_patient(into)]
    assert any("WIZ-7" in detail and "identity" in detail for detail in details)


def test_a_booking_that_may_have_reached_cer_refuses_too(repos, practice):
    into = add_patient(repos, pesels(1)[0])
    duplicate = _local(repos)
    result = _book(repos, practice, duplicate, 0)
    repos.outbox.mark_sending(result.outbox_id)
    repos.outbox.mark_ambiguous(result.outbox_id, "timeout")
    with pytest.raises(ConflictError):
        merge_patients(repos.db, duplicate, into, "ania", today=TODAY)
    assert repos.visits.get(result.visit.id).patient_id == duplicate


def test_cancelled_visits_do_not_block(repos, practice):
    into = add_patient(repos, pesels(1)[0])
    duplicate = _local(repos)
    result = _book(repos, practice, duplicate, 0)
    repos.visits.confirm(result.visit.id, "WIZ-8", "1")
    booking.cancel(repos, result.visit.id, "pacjent rezygnuje", user="ania")
    assert merge_patients(repos.db, duplicate, into, "ania", today=TODAY).visits_moved == 1


def test_a_failed_merge_changes_nothing(repos, practice, monkeypatch):
    into = add_patient(repos, pesels(1)[0])
    duplicate = _local(repos)
    result = _book(repos, practice, duplicate, 0, emergency=True)
    original = PatientRepo.merge

    def broken(self, *args, **kwargs):
        original(self, *args, **kwargs)
        raise RuntimeError("disk full")  # after every row was written

    monkeypatch.setattr(PatientRepo, "merge", broken)
    with pytest.raises(RuntimeError):
        merge_patients(repos.db, duplicate, into, "ania", today=TODAY)
    assert repos.visits.get(result.visit.id).patient_id == duplicate
    assert _payload(repos, result.outbox_id)["patient_id"] == duplicate
    assert repos.patients.merged_into(duplicate) is None
    assert not [e for e in repos.patients.audit.for_patient(into) if "merge" in e.action]


def test_bad_merges_are_refused(repos):
    into = add_patient(repos, pesels(1)[0])
    duplicate = _local(repos)
    with pytest.raises(ValidationError):
        merge_patients(repos.db, into, into, "ania")
    with pytest.raises(ConflictError):
        merge_patients(repos.db, duplicate, 9999, "ania")
    merge_patients(repos.db, duplicate, into, "ania", today=TODAY)
    with pytest.raises(ConflictError, match="already been merged"):
        merge_patients(repos.db, duplicate, into, "ania", today=TODAY)
    with pytest.raises(ConflictError, match="already been merged"):
        merge_patients(repos.db, add_patient(repos, pesels(3)[2]), duplicate, "ania")


def test_the_old_local_id_books_for_the_survivor(repos, practice):
    into = add_patient(repos, pesels(1)[0])
    duplicate = _local(repos)
    slip = repos.patients.get(duplicate).local_id  # on the paper slip from the outage
    merge_patients(repos.db, duplicate, into, "ania", today=TODAY)
    assert booking.find_patient(repos, slip).id == into
    assert patient_by_key(repos.db, slip).id == duplicate  # merging still names it


def test_an_outage_spreadsheet_naming_the_duplicate_books_for_the_survivor(repos, practice,
                                                                         tmp_path):
    typo, right = pesels(2, 500)
    duplicate = add_patient(repos, typo, "Literowka")
    into = add_patient(repos, right, "Kowalska")
    merge_patients(repos.db, duplicate, into, "ania", today=TODAY)
    slot = repos.slots.get(practice.slot_ids[0])
    row = dict.fromkeys(HEADERS)
    row.update({"Lp.": 1, "PESEL lub dokument": typo, "Imię": "Jan", "Nazwisko": "Literowka",
                "Termin": slot.start.astimezone(WARSAW).replace(tzinfo=None),
                "Kategoria medyczna": "stabilny", "ID terminu w CeR": slot.cer_id,
                "ID harmonogramu": practice.schedule_id, "Identyfikator wizyty": "Z-KARTKI-1",
                "Skierowanie": "SK-1"})
    workbook = Workbook()
    workbook.active.append(HEADERS)
    workbook.active.append([row[h] for h in HEADERS])
    workbook.save(tmp_path / "kolejka.xlsx")
    report = import_queue(repos, tmp_path / "kolejka.xlsx", user="ania")
    assert report.imported == 1, report.problems
    assert repos.visits.by_uid("Z-KARTKI-1").patient_id == into
