"""Store methods the notification applier and reconciliation use: adopting CeR's terms, making
a visit what CeR says, and live visits with their terms and patients."""

from __future__ import annotations

import datetime as dt

import pytest

from recepcja.domain.entities import Patient, PatientIdentifier, Visit
from recepcja.domain.errors import ConflictError
from recepcja.domain.model import WARSAW, SlotState, TermKind, Urgency, VisitSource, VisitState
from recepcja.store import Repositories
from recepcja.store.records import Place, Provider, Resource, ResourceKind, Schedule

START = dt.datetime(2030, 3, 4, 8, 0, tzinfo=WARSAW)
HALF = dt.timedelta(minutes=30)
KIND = TermKind.DEFAULT_PROCEDURE


@pytest.fixture
def repos(db_target):
    with Repositories.open(db_target) as repos:
        repos.practice.save_provider(Provider(name="P"))
        place = repos.practice.add_place(Place(name="MUŚ"))
        resource = repos.practice.add_resource(Resource(kind=ResourceKind.DOCTOR, name="dr A"))
        repos.schedules.add(
            Schedule(resource_id=resource, place_id=place, scope_code="kardiologia")
        )
        yield repos


def test_adopt_from_cer_creates_links_and_refuses_clashes(repos):
    created = repos.slots.adopt_from_cer(1, START, START + HALF, term_kind=KIND, cer_id="SLT-1")
    assert repos.slots.adopt_from_cer(1, START, START + HALF, term_kind=KIND,
                                      cer_id="SLT-1") == created
    slot = repos.slots.get(created)
    assert slot.cer_id == "SLT-1" and slot.state == SlotState.FREE
    assert repos.slots.last_published_start(1) == START
    # a local, unpublished term at the same time gets CeR's id
    later = START + 2 * HALF
    repos.slots.add_many(1, [_spec(later)])
    linked = repos.slots.adopt_from_cer(1, later, later + HALF, term_kind=KIND, cer_id="SLT-2")
    assert repos.slots.get(linked).start == later and repos.slots.count(1) == 2
    with pytest.raises(ConflictError):  # same start, another CeR term
        repos.slots.adopt_from_cer(1, later, later + HALF, term_kind=KIND, cer_id="SLT-3")
    with pytest.raises(ConflictError):  # overlaps the first term
        repos.slots.adopt_from_cer(1, START + HALF / 2, START + HALF * 1.5, term_kind=KIND,
                                   cer_id="SLT-4")


def _spec(start):
    from recepcja.domain.entities import SlotSpec

    return SlotSpec(start, start + HALF, KIND)


def test_apply_from_cer_moves_cancels_and_revives(repos):
    a = repos.slots.adopt_from_cer(1, START, START + HALF, term_kind=KIND, cer_id="SLT-1")
    b = repos.slots.adopt_from_cer(1, START + HALF, START + 2 * HALF, term_kind=KIND,
                                   cer_id="SLT-2")
    patient = Patient(PatientIdentifier(pesel="44051401359"), "Anna", "Nowak")
    repos.patients.add(patient, "t")
    visit = Visit("uid-1", patient.id, None, Urgency.STABLE, state=VisitState.CONFIRMED,
                  cer_id="WIZ-1")
    repos.visits.record_from_cer(visit, a, VisitSource.PORTAL, cer_version="1")
    repos.visits.apply_from_cer(visit.id, slot_id=b, live=True, cer_id="WIZ-1", cer_version="2")
    assert repos.slots.get(a).state == SlotState.FREE
    assert repos.slots.get(b).state == SlotState.BOOKED
    repos.visits.apply_from_cer(visit.id, slot_id=b, live=False, cer_id="WIZ-1", cer_version="3")
    record = repos.visits.get(visit.id)
    assert record.state == VisitState.CANCELLED and record.cancelled_at is not None
    assert repos.slots.get(b).state == SlotState.FREE
    repos.visits.apply_from_cer(visit.id, slot_id=a, live=True, cer_id="WIZ-1", cer_version="4")
    record = repos.visits.get(visit.id)
    assert record.state == VisitState.CONFIRMED and record.cancelled_at is None
    assert record.cer_version == "4" and repos.slots.get(a).state == SlotState.BOOKED
    other = Visit("uid-2", patient.id, None, Urgency.STABLE, state=VisitState.CONFIRMED,
                  cer_id="WIZ-2")
    repos.visits.record_from_cer(other, b, VisitSource.PORTAL, cer_version="1")
    with pytest.raises(ConflictError):  # b is held by WIZ-2
        repos.visits.apply_from_cer(visit.id, slot_id=b, live=True, cer_id="WIZ-1",
                                    cer_version="5")
    rows = repos.visits.live_in_schedule(1, START.date(), START.date())
    assert [(r.visit.cer_id, r.slot_cer_id, r.patient_key, r.patient_name) for r in rows] == [
        ("WIZ-1", "SLT-1", "44051401359", "Anna Nowak"),
        ("WIZ-2", "SLT-2", "44051401359", "Anna Nowak"),
    ]
