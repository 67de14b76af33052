"""Contract tests: every gateway method against the real simulator over loopback HTTP.

Both sides validate against cer.xsd (the gateway before sending and after receiving, the
simulator on arrival and, in tests, before answering), so a test passing here means our
requests and its answers agree with the contract, not just with each other.
"""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from cer_support import OTHER_PESEL, PESEL, PLACE, SCOPE, day_slots

from recepcja.cer.errors import (
    MINOR_DUPLICATE_SLOT,
    MINOR_HORIZON,
    MINOR_OVERLAP,
    MINOR_TERM_TAKEN,
    MINOR_VISIT_CANCELLED,
    MINOR_VISIT_ID_USED,
    CerConflict,
    CerRejected,
)
from recepcja.cer.types import (
    Address,
    CerPatient,
    CerSlotState,
    InitialVisit,
    MobilePoint,
    NotificationKind,
    PlaceState,
    ResourceKind,
    ScheduleRegistration,
    VisitSource,
)
from recepcja.domain.entities import Patient, PatientIdentifier, SlotSpec
from recepcja.domain.model import WARSAW, DocumentType, TermKind, Urgency

JAN = Patient(PatientIdentifier(pesel=PESEL), "Jan", "Kowalski", phone="+48600100200")
ANNA = Patient(PatientIdentifier(pesel=OTHER_PESEL), "Anna", "Nowak")


def test_status_is_cer_time(cer_gateway):
    now = cer_gateway.status()
    assert now.tzinfo is not None
    assert abs(now - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)


def test_onboarding_life_cycle(cer_gateway):
    gw = cer_gateway
    place_id, state = gw.register_place(PLACE)
    assert state is PlaceState.REGISTERED
    assert gw.register_place(PLACE) == (place_id, PlaceState.REGISTERED)  # idempotent

    points = [
        MobilePoint(
            "bus-1", "Mammobus 1", Address("Rynek 1", "05-800", "Pruszków"), dt.date.today()
        )
    ]
    (point,) = gw.import_mobile_points(place_id, points)
    assert point.accepted and point.cer_id

    schedule = ScheduleRegistration(
        "sched-1", SCOPE, ResourceKind.DOCTOR, "dr Anna Nowak", "1234567"
    )
    schedule_id = gw.save_schedule(place_id, schedule)
    assert gw.save_schedule(place_id, schedule) == schedule_id  # idempotent by local id
    bus_schedule = ScheduleRegistration(
        "sched-bus", SCOPE, ResourceKind.DEVICE, "Mammograf", mobile_point_cer_id=point.cer_id
    )
    bus_schedule_id = gw.save_schedule(place_id, bus_schedule)
    assert bus_schedule_id != schedule_id

    tomorrow = dt.datetime.now(WARSAW).date() + dt.timedelta(days=1)
    start = dt.datetime.combine(tomorrow, dt.time(7, 0), WARSAW)
    booked_before = InitialVisit(
        "old-visit-1",
        schedule_id,
        start,
        start + dt.timedelta(minutes=15),
        CerPatient(
            PatientIdentifier(document_type=DocumentType.PASSPORT, document_number="AB123456"),
            "John",
            "Smith",
        ),
        urgency=Urgency.STABLE,
    )
    (loaded,) = gw.initial_load(place_id, [booked_before])
    assert loaded.accepted and loaded.local_id == "old-visit-1"

    month = day_slots(tomorrow, 30, 2)
    results = gw.save_slots(schedule_id, month)
    assert all(r.accepted for r in results)
    # Per item: the same local id again is accepted (idempotent), a new id on the same time is a
    # duplicate, an overlapping one is refused — and the rest of the batch still goes in.
    first_local, first_spec = month[0]
    overlapping = SlotSpec(
        first_spec.start + dt.timedelta(minutes=5), first_spec.end + dt.timedelta(minutes=5)
    )
    far = dt.datetime.combine(tomorrow + dt.timedelta(days=40), dt.time(12, 0), WARSAW)
    again = gw.save_slots(
        schedule_id,
        [
            (first_local, first_spec),
            ("dup-1", first_spec),
            ("ovl-1", overlapping),
            ("new-1", SlotSpec(far, far + dt.timedelta(minutes=15), TermKind.CONTINUING_TREATMENT)),
        ],
    )
    assert [r.accepted for r in again] == [True, False, False, True]
    assert again[0].cer_id == results[0].cer_id
    assert again[1].code == MINOR_DUPLICATE_SLOT and again[2].code == MINOR_OVERLAP

    with pytest.raises(CerRejected) as too_short:
        gw.activate_place(place_id)
    assert too_short.value.code == MINOR_HORIZON

    gw.save_slots(schedule_id, day_slots(tomorrow + dt.timedelta(days=30), 70, 1, prefix="M"))
    gw.save_slots(bus_schedule_id, day_slots(tomorrow, 100, 1, prefix="B"))
    assert gw.activate_place(place_id) is PlaceState.ACTIVE

    deleted = gw.delete_slots(schedule_id, [results[-1].cer_id])
    assert deleted[0].accepted


def test_booking_read_back_change_and_cancel(cer_gateway, cer_onboarded):
    gw, onboarded = cer_gateway, cer_onboarded
    slot_a, slot_b = onboarded.free_slot_ids()[:2]

    visit = gw.book(slot_a, "visit-0001", JAN, Urgency.URGENT, referral_id="SK-1")
    assert visit.visit_uid == "visit-0001" and visit.slot_cer_id == slot_a
    assert visit.patient.identifier.pesel == PESEL and visit.urgency is Urgency.URGENT
    assert visit.source is VisitSource.DESK and not visit.cancelled
    assert visit.start.tzinfo is not None and visit.end > visit.start

    assert gw.read_visit(visit_uid="visit-0001") == visit
    assert gw.read_visit(cer_id=visit.cer_id) == visit
    assert gw.read_visit(visit_uid="never-sent") is None

    with pytest.raises(CerConflict) as taken:
        gw.book(slot_a, "visit-0002", ANNA, Urgency.STABLE)
    assert taken.value.code == MINOR_TERM_TAKEN
    with pytest.raises(CerConflict) as reused:
        gw.book(slot_b, "visit-0001", ANNA, Urgency.STABLE)
    assert reused.value.code == MINOR_VISIT_ID_USED

    slots = gw.read_slots(
        onboarded.schedule_id,
        visit.start - dt.timedelta(hours=1),
        visit.start + dt.timedelta(hours=1),
    )
    (booked,) = [s for s in slots if s.cer_id == slot_a]
    assert booked.state is CerSlotState.BOOKED and booked.visits[0].cer_id == visit.cer_id
    assert all(s.state is CerSlotState.FREE for s in slots if s.cer_id != slot_a)

    moved = gw.change_term(visit.cer_id, slot_b, "lekarz nieobecny")
    assert moved.slot_cer_id == slot_b and moved.version > visit.version

    cancelled = gw.cancel(visit.cer_id, "rezygnacja pacjenta")
    assert cancelled.cancelled
    with pytest.raises(CerRejected) as twice:
        gw.cancel(visit.cer_id, "rezygnacja pacjenta")
    assert twice.value.code == MINOR_VISIT_CANCELLED


def test_waiting_list_is_idempotent_by_our_entry_id(cer_gateway, cer_onboarded):
    first = cer_gateway.place_on_waiting_list(
        cer_onboarded.place_id, "wl-1", SCOPE, JAN, Urgency.URGENT
    )
    assert first.entry_cer_id and first.position >= 1
    assert (
        cer_gateway.place_on_waiting_list(
            cer_onboarded.place_id, "wl-1", SCOPE, JAN, Urgency.URGENT
        )
        == first
    )


def test_central_requests(cer_gateway, cer_onboarded, simulator):
    filed = simulator.control(
        "POST", "central-requests", json={"pesel": PESEL, "scope": SCOPE, "urgency": "PILNY"}
    )
    found = cer_gateway.central_requests(PatientIdentifier(pesel=PESEL), scope=SCOPE)
    assert [r.request_id for r in found] == [filed["id"]]
    assert found[0].urgency is Urgency.URGENT and found[0].scope_code == SCOPE
    assert cer_gateway.central_requests(JAN) == found
    assert cer_gateway.central_requests(PatientIdentifier(pesel=OTHER_PESEL)) == []


def test_booking_with_a_central_request(cer_gateway, cer_onboarded, simulator):
    filed = simulator.control(
        "POST", "central-requests", json={"pesel": PESEL, "scope": SCOPE, "urgency": "STABILNY"}
    )
    slot = cer_onboarded.free_slot_ids()[5]
    visit = cer_gateway.book(slot, "visit-zc", JAN, Urgency.STABLE, central_request_id=filed["id"])
    assert visit.central_request_id == filed["id"]


def test_notifications_pull_and_ack(cer_gateway, cer_onboarded, simulator):
    slot = cer_onboarded.free_slot_ids()[3]
    simulator.control("POST", "portal-booking", json={"slot": slot, "pesel": OTHER_PESEL})
    notifications, cursor = cer_gateway.pull_notifications(0)
    portal = [n for n in notifications if n.kind is NotificationKind.PORTAL_BOOKING]
    assert len(portal) == 1
    note = portal[0]
    assert note.place_cer_id == cer_onboarded.place_id
    assert note.visit.slot_cer_id == slot and note.visit.source is VisitSource.PORTAL
    assert note.visit.patient.identifier.pesel == OTHER_PESEL
    cer_gateway.ack_notifications(cursor)
    later, next_cursor = cer_gateway.pull_notifications(cursor)
    assert later == [] and next_cursor >= cursor


def test_no_personal_data_in_logs_over_real_http(cer_gateway, cer_onboarded, caplog):
    caplog.set_level(logging.DEBUG)
    slot = cer_onboarded.free_slot_ids()[7]
    cer_gateway.book(slot, "visit-log", JAN, Urgency.URGENT)
    cer_gateway.read_visit(visit_uid="visit-log")
    client_side = [r for r in caplog.records if not r.name.startswith("recepcja.simulator")]
    assert client_side, "expected at least our own per-call log lines"
    for record in client_side:
        message = record.getMessage()
        assert PESEL not in message and "Kowalski" not in message and "Envelope" not in message


def test_gateway_reads_what_raw_soap_wrote(onboarded_simulator):
    """A place onboarded over raw SOAP by hand-written envelopes (not by zeep, not by us): the
    gateway reads its slots back exactly and books on them — the contract, not a shared quirk."""
    from cer_support import make_gateway

    place = onboarded_simulator.place
    schedule_id = place.schedule_ids[0]
    (first_id, first_start, first_end), *_ = place.slots[schedule_id]
    with make_gateway(onboarded_simulator.soap_url) as gateway:
        found = gateway.read_slots(schedule_id, first_start, first_start + dt.timedelta(days=1))
        assert found[0].cer_id == first_id
        assert found[0].start == first_start and found[0].end == first_end
        assert found[0].state is CerSlotState.FREE and found[0].visits == ()
        assert {s.cer_id for s in found} <= set(place.slot_ids(schedule_id))
        visit = gateway.book(first_id, "visit-on-raw", JAN, Urgency.STABLE)
        assert visit.schedule_cer_id == schedule_id and visit.start == first_start
