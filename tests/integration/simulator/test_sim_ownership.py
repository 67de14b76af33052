"""Only the provider that registered a MUŚ may act on it, its schedules, slots and visits.

The provider is the OID of the call's ``kontekstWywolania``; another OID gets ``BladBiznesowy`` /
``BrakUprawnien`` and changes nothing, and a visit looked up by the caller's own identifier looks
absent rather than telling that it exists at another provider.
"""

from __future__ import annotations

import datetime as dt

import soap_raw
from soap_raw import PESEL_A, PESEL_B

from recepcja.domain.model import WARSAW

OTHER = {**soap_raw.DEFAULT_CONTEXT, "idPodmiotuOidExt": "000000099999"}
OTHER_ROOT = {**soap_raw.DEFAULT_CONTEXT, "idPodmiotuOidRoot": "2.16.840.1.113883.3.4424.2.3.2"}
OTHER_CODES = ("000000099999", "01", "001")


def _read_slots(schedule_id: str) -> str:
    now = dt.datetime.now(WARSAW)
    return (f"<cer:pobierzSloty><cer:idHarmonogramu>{schedule_id}</cer:idHarmonogramu>"
            f"<cer:od>{soap_raw.iso(now)}</cer:od>"
            f"<cer:do>{soap_raw.iso(now + dt.timedelta(days=7))}</cer:do></cer:pobierzSloty>")


def _delete_slot(schedule_id: str, slot_id: str) -> str:
    return (f"<cer:usunSloty><cer:idHarmonogramu>{schedule_id}</cer:idHarmonogramu>"
            f"<cer:idSlotu>{slot_id}</cer:idSlotu></cer:usunSloty>")


def _move(visit_id: str, slot_id: str) -> str:
    return (f"<cer:zmienTermin><cer:idWizyty>{visit_id}</cer:idWizyty>"
            f"<cer:idSlotuNowego>{slot_id}</cer:idSlotuNowego><cer:powod>x</cer:powod>"
            "</cer:zmienTermin>")


def _cancel(visit_id: str) -> str:
    return (f"<cer:anulujWizyte><cer:idWizyty>{visit_id}</cer:idWizyty>"
            "<cer:powod>x</cer:powod></cer:anulujWizyte>")


def _read_visit(field: str, value: str) -> str:
    return f"<cer:pobierzWizyte><cer:{field}>{value}</cer:{field}></cer:pobierzWizyte>"


def _refused(answer: soap_raw.SoapAnswer, mus_id: str, context: dict[str, str] = OTHER) -> None:
    assert answer.status == 500 and answer.minor == "BrakUprawnien", answer.fault
    assert answer.fault is not None
    assert answer.fault["major"] == soap_raw.MAJOR + "BladBiznesowy"
    assert answer.fault["code"].endswith("Client")
    opis = answer.fault["opis"]
    assert "nie jest właścicielem" in opis and mus_id in opis
    assert context["idPodmiotuOidExt"] in opis and context["idPodmiotuOidRoot"] in opis


def test_another_provider_cannot_touch_the_place_or_what_is_in_it(onboarded_simulator):
    sim = onboarded_simulator
    mus_id = sim.place.mus_id
    schedule_id = sim.place.schedule_ids[0]
    free, booked, target = sim.place.slot_ids()[:3]
    visit = sim.call(soap_raw.book(booked, "wlasna-1"))
    assert visit.ok
    visit_id = str(visit.text("wizyta/idWizyty"))
    sections = ("places", "mobile_points", "schedules", "slots", "visits", "waiting_list")
    before = {name: sim.state(sections=name)[name] for name in sections}

    def other(body: str, context: dict[str, str] = OTHER) -> soap_raw.SoapAnswer:
        return sim.call(body, context=context)

    # Obligation 1: register again / update, mobile points, schedules, slots, load, activate.
    _refused(other(soap_raw.register_place(name="Przejęta poradnia")), mus_id)
    _refused(other(f"<cer:importujMobilnePunktyObslugi><cer:idMus>{mus_id}</cer:idMus>"
                   "<cer:punkt><cer:identyfikatorLokalny>bus</cer:identyfikatorLokalny>"
                   "<cer:nazwa>Mammobus</cer:nazwa><cer:adres><cer:ulica>Rynek 1</cer:ulica>"
                   "<cer:kodPocztowy>05-800</cer:kodPocztowy><cer:miejscowosc>Pruszków"
                   "</cer:miejscowosc></cer:adres><cer:dataOd>2026-06-01</cer:dataOd>"
                   "</cer:punkt></cer:importujMobilnePunktyObslugi>"), mus_id)
    _refused(other(soap_raw.save_schedule(mus_id, "cudzy-grafik")), mus_id)
    day = dt.date.today() + dt.timedelta(days=200)
    late = dt.datetime.combine(day, dt.time(18), WARSAW)
    publish = other(soap_raw.save_slots(schedule_id,
                                        [("cudzy", late, late + dt.timedelta(minutes=30))]))
    _refused(publish, mus_id)
    assert schedule_id in publish.fault["opis"]
    _refused(other(_delete_slot(schedule_id, free)), mus_id)
    _refused(other(f"<cer:zasilInicjalnie><cer:idMus>{mus_id}</cer:idMus>"
                   "</cer:zasilInicjalnie>"), mus_id)
    _refused(other(f"<cer:aktywujMus><cer:idMus>{mus_id}</cer:idMus></cer:aktywujMus>"), mus_id)
    # Obligation 2: book, change, cancel, waiting list, read slots, read a visit by CeR's id.
    booking = other(soap_raw.book(free, "cudza-1", pesel=PESEL_B))
    _refused(booking, mus_id)
    assert free in booking.fault["opis"]
    _refused(other(_move(visit_id, target)), mus_id)
    _refused(other(_cancel(visit_id)), mus_id)
    _refused(other(
        f"<cer:umiescNaLiscieOczekujacych><cer:idMus>{mus_id}</cer:idMus>"
        f"<cer:identyfikatorWpisu>cudzy-wpis</cer:identyfikatorWpisu>"
        f"<cer:zakres>{soap_raw.CARDIOLOGY}</cer:zakres>{soap_raw.patient(PESEL_B)}"
        "<cer:kategoriaMedyczna>STABILNY</cer:kategoriaMedyczna>"
        "</cer:umiescNaLiscieOczekujacych>"), mus_id)
    _refused(other(_read_slots(schedule_id)), mus_id)
    _refused(other(_read_visit("idWizyty", visit_id)), mus_id)
    # The same extension under another root is another provider too.
    _refused(other(_read_slots(schedule_id), OTHER_ROOT), mus_id, OTHER_ROOT)
    _refused(other(soap_raw.book(free, "cudza-2", pesel=PESEL_B), OTHER_ROOT), mus_id,
             OTHER_ROOT)

    # By the caller's own identifier another provider's visit is simply not there.
    hidden = other(_read_visit("identyfikatorWizyty", "wlasna-1"))
    assert hidden.ok and hidden.all("wizyta") == []
    assert hidden.text("wynik/komunikat") == "Nie znaleziono wizyty."
    # Unknown objects are still "not found" for anybody (nothing to own).
    assert other(_read_slots("HRM-999999")).minor == "NieZnaleziono"
    assert other(_cancel("WIZ-999999")).minor == "NieZnaleziono"

    # Nothing changed, and the owner still can do all of it.
    assert {name: sim.state(sections=name)[name] for name in sections} == before
    slots = sim.call(_read_slots(schedule_id))
    assert slots.ok and slots.all("slot")
    assert sim.call(_read_visit("idWizyty", visit_id)).text("wizyta/stan") == "ZAREZERWOWANA"
    assert sim.call(_read_visit("identyfikatorWizyty", "wlasna-1")).text(
        "wizyta/idWizyty") == visit_id
    assert sim.call(_move(visit_id, target)).text("wizyta/idSlotu") == target
    assert sim.call(soap_raw.book(free, "wlasna-2", pesel=PESEL_B)).ok
    assert sim.call(_cancel(visit_id)).text("wizyta/stan") == "ANULOWANA"
    assert sim.call(_delete_slot(schedule_id, target)).items()[0]["status"] == "PRZYJETY"
    assert sim.call(soap_raw.save_schedule(mus_id, "grafik-3")).ok
    renamed = sim.call(soap_raw.register_place(name="Poradnia Kardiologiczna nr 2"))
    assert renamed.text("idMus") == mus_id


def test_each_provider_keeps_to_its_own_place(onboarded_simulator):
    sim = onboarded_simulator
    mine = sim.place
    own = sim.call(soap_raw.register_place(name="Inna poradnia", codes=OTHER_CODES),
                   context=OTHER)
    assert own.ok
    their_mus = str(own.text("idMus"))
    schedule = sim.call(soap_raw.save_schedule(their_mus, "ich-grafik"), context=OTHER)
    assert schedule.ok
    their_schedule = str(schedule.text("idHarmonogramu"))
    start = dt.datetime.combine(dt.date.today() + dt.timedelta(days=3), dt.time(8), WARSAW)
    published = sim.call(soap_raw.save_slots(
        their_schedule, [("ich-1", start, start + dt.timedelta(minutes=30))]), context=OTHER)
    [item] = published.items()
    assert item["status"] == "PRZYJETY"
    their_slot = str(item["idCer"])
    assert sim.call(_read_slots(their_schedule), context=OTHER).ok

    # The first provider is now the stranger.
    _refused(sim.call(_read_slots(their_schedule)), their_mus, soap_raw.DEFAULT_CONTEXT)
    _refused(sim.call(soap_raw.save_schedule(their_mus, "x")), their_mus,
             soap_raw.DEFAULT_CONTEXT)
    # Its own visit cannot be moved into the other provider's slot either.
    visit_id = str(sim.call(soap_raw.book(mine.slot_ids()[0], "moja-1")).text("wizyta/idWizyty"))
    _refused(sim.call(_move(visit_id, their_slot)), their_mus, soap_raw.DEFAULT_CONTEXT)


def test_calls_naming_no_place_and_the_simulators_own_actors_are_unaffected(onboarded_simulator):
    sim = onboarded_simulator
    slot_id = sim.place.slot_ids()[4]
    # Patients in IKP and other providers act inside CeR, not over SOAP with an OID.
    sim.control("POST", "portal-booking", {"slot": slot_id, "pesel": PESEL_A})
    assert sim.call("<cer:sprawdzStatus/>", context=OTHER).ok
    pulled = sim.call("<cer:pobierzNotyfikacje><cer:kursor>0</cer:kursor>"
                      "<cer:limit>10</cer:limit></cer:pobierzNotyfikacje>")
    assert pulled.ok and len(pulled.all("notyfikacja")) == 1
    visit_id = pulled.text("notyfikacja/wizyta/idWizyty")
    assert visit_id
    # The owner may cancel a visit a patient booked in IKP at its place.
    assert sim.call(_cancel(visit_id)).ok
