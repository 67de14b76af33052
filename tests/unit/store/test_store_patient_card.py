"""What the patient card reads (migration 0008_patient_card): notes, visits with their terms
and how far CeR has them, the calls to the patient; a merge takes the card along; the search
finds "Zofia Kowalczyk" as it finds "Kowalczyk Zofia"."""

from __future__ import annotations

import datetime as dt

import pytest
from store_helpers import DAY, make_patient

from recepcja.domain.entities import Visit
from recepcja.domain.errors import ConflictError
from recepcja.domain.model import Urgency, VisitSource, VisitState
from recepcja.domain.pesel import make_pesel
from recepcja.store import Repositories, applied_migrations
from recepcja.store.patient_card import CallOutcome, PatientCardRepo
from support.practice import Practice


def test_migration_adds_notes_and_the_calls_table(repos: Repositories, patient_id: int) -> None:
    assert "0008_patient_card" in applied_migrations(repos.db)
    cards = PatientCardRepo(repos.db)
    assert cards.notes(patient_id) == ""
    cards.set_notes(patient_id, "dzwonić po 16", "ania")
    assert cards.notes(patient_id) == "dzwonić po 16"
    assert repos.audit.for_patient(patient_id)[0].action == "patient.notes"
    with pytest.raises(ConflictError):
        cards.set_notes(999_999, "nikt", "ania")


def test_visits_carry_their_term_doctor_place_and_cer_state(
        repos: Repositories, practice: Practice, patient_id: int) -> None:
    cards = PatientCardRepo(repos.db)
    confirmed = Visit("V-1", patient_id, practice.slot_ids[0], Urgency.STABLE,
                      state=VisitState.CONFIRMED, cer_id="WIZ-1")
    repos.visits.import_many([confirmed], "ania", source=VisitSource.INITIAL_LOAD)
    waiting = Visit("V-2", patient_id, practice.slot_ids[3], Urgency.URGENT)
    repos.visits.book(waiting, practice.slot_ids[3], "ania", {"op": "book"})
    visits = cards.visits(patient_id)
    assert [v.visit_uid for v in visits] == ["V-2", "V-1"]  # the latest term first
    later, earlier = visits
    assert later.resource_name == "dr Anna Nowak" and later.place_name == "Poradnia kardiologiczna"
    assert later.waiting_for_cer and later.urgency == "urgent" and later.scope_code == "cardiology"
    assert not earlier.waiting_for_cer and earlier.cer_id == "WIZ-1"
    assert earlier.start is not None and earlier.start.date() == DAY
    assert earlier.term_kind == "default_procedure"


def test_calls_newest_first_and_a_merge_takes_calls_and_notes_along(
        repos: Repositories, clock) -> None:
    cards = PatientCardRepo(repos.db)
    keep = repos.patients.add(make_patient("Nowak", pesel=make_pesel(dt.date(1960, 1, 1), 1)),
                              "ania")
    dup = repos.patients.add(make_patient("Nowak", pesel=make_pesel(dt.date(1960, 1, 2), 3)),
                             "ania")
    first = cards.add_call(dup, CallOutcome.NO_ANSWER, "ania", reason="przeniesiona",
                           at=clock() - dt.timedelta(hours=1))
    second = cards.add_call(dup, "reached", "ania", note="wie o zmianie", at=clock())
    assert [c.id for c in cards.calls(dup)] == [second, first]
    assert cards.calls(dup)[0].outcome == CallOutcome.REACHED
    with pytest.raises(ValueError):
        cards.add_call(dup, "shouted", "ania")
    cards.set_notes(keep, "alergia na jod", "ania")
    cards.set_notes(dup, "dzwonić do córki", "ania")
    repos.patients.merge(dup, keep, "ania")
    assert [c.id for c in cards.calls(keep)] == [second, first] and cards.calls(dup) == []
    assert cards.notes(keep) == "alergia na jod\ndzwonić do córki"


def test_first_name_first_finds_the_same_patient(repos: Repositories) -> None:
    zofia = make_patient("Kowalczyk", "Zofia", make_pesel(dt.date(1950, 3, 3), 1002))
    other = make_patient("Kowalczyk", "Adam", make_pesel(dt.date(1951, 3, 3), 1011))
    reversed_name = make_patient("Zofia", "Kowalczyk", make_pesel(dt.date(1952, 3, 3), 1022))
    for person in (zofia, other, reversed_name):
        repos.patients.add(person, "ania")
    for text in ("Kowalczyk Zofia", "Zofia Kowalczyk", "zofia kowal", "ZOFIA KOWALCZYK"):
        found = [p.id for p in repos.patients.search(text)]
        assert zofia.id in found and other.id not in found, text
    # the order people say it decides who comes first; both readings are offered
    assert [p.id for p in repos.patients.search("Zofia Kowalczyk")] == [reversed_name.id, zofia.id]
