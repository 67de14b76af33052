"""Every gateway method against a fake CeR: domain values in, the right request out, domain
values back. (Against the real simulator: tests/integration/cer/.)"""

from __future__ import annotations

import datetime as dt

import pytest
from cer_fakes import CER, PESEL, operation_of
from lxml import etree

from recepcja.cer.types import (
    Address,
    CerPatient,
    CerSlotState,
    InitialVisit,
    MobilePoint,
    NotificationKind,
    PlaceRegistration,
    PlaceState,
    ResourceKind,
    ScheduleRegistration,
    VisitSource,
)
from recepcja.domain.entities import PatientIdentifier, SlotSpec
from recepcja.domain.model import WARSAW, DocumentType, TermKind, Urgency

ADDRESS = Address("ul. Długa 1", "00-950", "Warszawa")


def sent_body(fake_cer, index: int = -1) -> etree._Element:
    envelope = etree.fromstring(fake_cer.sent[index][0].body)
    return envelope.find("{http://schemas.xmlsoap.org/soap/envelope/}Body")[0]


def field(node: etree._Element, path: str) -> str | None:
    return node.findtext("/".join(f"{{{CER}}}{p}" for p in path.split("/")))


def slots(n: int, start: dt.datetime | None = None) -> list[tuple[int, SlotSpec]]:
    start = start or dt.datetime(2026, 6, 1, 8, 0, tzinfo=WARSAW)
    step = dt.timedelta(minutes=15)
    return [
        (i, SlotSpec(start + i * step, start + (i + 1) * step, TermKind.DEFAULT_PROCEDURE))
        for i in range(n)
    ]


def test_status_returns_cer_time(gateway):
    assert gateway.status() == dt.datetime(2026, 5, 20, 10, 0, tzinfo=WARSAW)


def test_register_place(gateway, fake_cer):
    place = PlaceRegistration(
        "000000012345", "01", "001", "Poradnia kardiologiczna", ADDRESS, ("kardiologia",)
    )
    cer_id, state = gateway.register_place(place)
    assert (cer_id, state) == ("MUS-1", PlaceState.REGISTERED)
    body = sent_body(fake_cer)
    assert field(body, "kodyRpwdl/czescI") == "000000012345"
    assert field(body, "adres/kodPocztowy") == "00-950"
    assert [z.text for z in body.iter(f"{{{CER}}}zakres")] == ["kardiologia"]


def test_import_mobile_points_per_item(gateway, fake_cer):
    points = [
        MobilePoint(f"bus-{i}", f"Mammobus {i}", ADDRESS, dt.date(2026, 6, 1)) for i in range(3)
    ]
    results = gateway.import_mobile_points("MUS-1", points)
    assert [r.local_id for r in results] == ["bus-0", "bus-1", "bus-2"]
    assert all(r.accepted and r.cer_id == f"CER-{r.local_id}" for r in results)


def test_save_schedule(gateway, fake_cer):
    schedule = ScheduleRegistration(
        "sched-1", "kardiologia", ResourceKind.DOCTOR, "dr Anna Nowak", "1234567"
    )
    assert gateway.save_schedule("MUS-1", schedule) == "H1"
    body = sent_body(fake_cer)
    assert field(body, "zasob/typ") == "LEKARZ"
    assert field(body, "zasob/npwz") == "1234567"


def test_save_slots_chunks_into_batches_of_1000(gateway, fake_cer):
    results = gateway.save_slots("H1", slots(2500))
    assert len(results) == 2500
    assert [len(list(sent_body(fake_cer, i).iter(f"{{{CER}}}slot"))) for i in range(3)] == [
        1000,
        1000,
        500,
    ]
    first = next(sent_body(fake_cer, 0).iter(f"{{{CER}}}slot"))
    assert field(first, "rodzajTerminu") == "PROCEDURA_DOMYSLNA"
    assert field(first, "poczatek") == "2026-06-01T08:00:00+02:00"


def test_save_slots_keeps_per_item_rejections(make_gateway, fake_cer):
    from cer_fakes import envelope, items_xml

    fake_cer.handler = lambda request: (
        200,
        envelope("zapiszSloty", items_xml(["0", "1", "2"], {"1"})),
    )
    results = make_gateway().save_slots("H1", slots(3))
    assert [r.accepted for r in results] == [True, False, True]
    assert results[1].code.endswith("NakladajaceSieSloty") and results[1].cer_id is None


def test_save_slots_failure_carries_the_finished_chunks(make_gateway, fake_cer):
    from cer_fakes import canned_answer

    from recepcja.cer.errors import CerTemporary

    calls = []

    def second_chunk_fails(request):
        calls.append(1)
        return (503, b"busy", "text/html") if len(calls) == 2 else canned_answer(request)

    fake_cer.handler = second_chunk_fails
    with pytest.raises(CerTemporary) as caught:
        make_gateway(batch_size=10).save_slots("H1", slots(25))
    assert len(caught.value.partial) == 10


def test_naive_datetimes_are_refused_before_sending(gateway, fake_cer):
    from recepcja.cer.errors import CerBug

    naive = dt.datetime(2026, 6, 1, 8, 0)
    with pytest.raises(CerBug):
        gateway.save_slots("H1", [(1, SlotSpec(naive, naive + dt.timedelta(minutes=15)))])
    assert fake_cer.sent == []


def test_delete_slots(gateway, fake_cer):
    results = gateway.delete_slots("H1", ["S1", "S2"])
    assert [r.local_id for r in results] == ["S1", "S2"]
    assert [e.text for e in sent_body(fake_cer).iter(f"{{{CER}}}idSlotu")] == ["S1", "S2"]


def test_initial_load_sends_visits_and_an_empty_load_once(gateway, fake_cer):
    start = dt.datetime(2026, 6, 2, 9, 0, tzinfo=WARSAW)
    visit = InitialVisit(
        "V-old-1",
        "H1",
        start,
        start + dt.timedelta(minutes=20),
        CerPatient(
            PatientIdentifier(document_type=DocumentType.PASSPORT, document_number="AB123456"),
            "John",
            "Smith",
        ),
        urgency=Urgency.STABLE,
    )
    results = gateway.initial_load("MUS-1", [visit])
    assert results[0].local_id == "V-old-1" and results[0].accepted
    body = sent_body(fake_cer)
    assert field(body, "wizyta/pacjent/rodzajDokumentu") == "PASZPORT"
    assert field(body, "wizyta/kategoriaMedyczna") == "STABILNY"
    assert gateway.initial_load("MUS-1", []) == []
    assert operation_of(fake_cer.sent[-1][0]) == "zasilInicjalnie"


def test_activate_place(gateway):
    assert gateway.activate_place("MUS-1") is PlaceState.ACTIVE


def test_book_returns_the_visit_in_domain_terms(gateway, fake_cer, patient):
    visit = gateway.book(
        "S1", "V1", patient, Urgency.URGENT, central_request_id="ZC-1", referral_id="SK-1"
    )
    assert visit.cer_id == "W1" and visit.visit_uid == "V1" and visit.slot_cer_id == "S1"
    assert visit.patient.identifier.pesel == PESEL and visit.patient.phone == "+48600100200"
    assert visit.urgency is Urgency.URGENT and visit.source is VisitSource.DESK
    assert (
        visit.start == dt.datetime(2026, 6, 1, 8, 0, tzinfo=WARSAW) and visit.start.tzinfo is WARSAW
    )
    assert visit.changed_at == dt.datetime(2026, 5, 1, 10, 0, tzinfo=dt.UTC)
    assert not visit.cancelled and visit.version == 3
    body = sent_body(fake_cer)
    assert field(body, "kategoriaMedyczna") == "PILNY"
    assert field(body, "idZgloszeniaCentralnego") == "ZC-1"
    assert field(body, "idSkierowania") == "SK-1"
    assert field(body, "pacjent/dataUrodzenia") == "1944-05-14"


def test_change_term_and_cancel(gateway, fake_cer):
    assert gateway.change_term("W1", "S2", "lekarz nieobecny").slot_cer_id == "S2"
    assert field(sent_body(fake_cer), "powod") == "lekarz nieobecny"
    assert gateway.cancel("W1", "rezygnacja pacjenta").cancelled


def test_place_on_waiting_list(gateway, fake_cer, patient):
    entry_id, position = gateway.place_on_waiting_list(
        "MUS-1", "WL-uid-1", "kardiologia", patient, Urgency.STABLE
    )
    assert (entry_id, position) == ("WL-1", 7)
    assert field(sent_body(fake_cer), "identyfikatorWpisu") == "WL-uid-1"


def test_central_requests_by_identifier(gateway, fake_cer):
    requests_ = gateway.central_requests(PatientIdentifier(pesel=PESEL), scope="kardiologia")
    assert len(requests_) == 1
    request = requests_[0]
    assert request.request_id == "ZC-1" and request.urgency is Urgency.STABLE
    assert request.scope_code == "kardiologia"
    assert request.requested_at == dt.datetime(2026, 4, 1, 9, 0, tzinfo=WARSAW)
    assert field(sent_body(fake_cer), "pacjent/pesel") == PESEL


def test_read_slots(gateway, fake_cer):
    start = dt.datetime(2026, 6, 1, tzinfo=WARSAW)
    found = gateway.read_slots("H1", start, start + dt.timedelta(days=7))
    assert len(found) == 1
    slot = found[0]
    assert slot.state is CerSlotState.BOOKED and slot.term_kind is TermKind.DEFAULT_PROCEDURE
    assert slot.local_id == "1" and len(slot.visits) == 1
    assert field(sent_body(fake_cer), "od") == "2026-06-01T00:00:00+02:00"


def test_read_visit_by_cer_id_or_by_our_uid(gateway, fake_cer):
    assert gateway.read_visit(visit_uid="V1").cer_id == "W1"
    assert field(sent_body(fake_cer), "identyfikatorWizyty") == "V1"
    assert gateway.read_visit(cer_id="W1").visit_uid == "V1"
    assert field(sent_body(fake_cer), "idWizyty") == "W1"
    with pytest.raises(ValueError):
        gateway.read_visit()
    with pytest.raises(ValueError):
        gateway.read_visit(cer_id="W1", visit_uid="V1")


def test_read_visit_none_when_cer_has_none(make_gateway, fake_cer):
    from cer_fakes import envelope, fault

    fake_cer.handler = lambda request: (200, envelope("pobierzWizyte", ""))
    assert make_gateway().read_visit(visit_uid="nope") is None
    fake_cer.handler = lambda request: (500, fault("BladBiznesowy", "NieZnaleziono", "Brak wizyty"))
    assert make_gateway().read_visit(visit_uid="nope") is None


def test_pull_and_ack_notifications(gateway, fake_cer):
    notifications, cursor = gateway.pull_notifications(0, limit=5000)
    assert cursor == 42
    assert field(sent_body(fake_cer), "limit") == "1000"
    (note,) = notifications
    assert note.kind is NotificationKind.PORTAL_BOOKING and note.place_cer_id == "MUS-1"
    assert note.visit.source is VisitSource.PORTAL and note.visit.visit_uid is None
    gateway.ack_notifications(42)
    assert field(sent_body(fake_cer), "kursor") == "42"


def test_gateway_does_nothing_until_the_first_call(make_gateway, fake_cer):
    import sys

    gateway = make_gateway()
    assert gateway._zeep is None and fake_cer.sent == []
    gateway.status()
    assert "zeep" in sys.modules and gateway._zeep is not None
