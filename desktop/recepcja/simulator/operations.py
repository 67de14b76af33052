"""The contract's operations: read the request element, apply the rule, build the answer.

One function per operation, all alike: parse (times first, so a bad time is refused before any
database work), run the rule inside one transaction, build ``<operation>Odpowiedz``. The table at
the bottom is the list of operations the simulator serves; anything else in the Body is refused.
It also says, through ``owned``, which request fields name a MUŚ or something in one: the caller
must own that MUŚ (``access``) before the operation runs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from lxml import etree

from recepcja.simulator import access, onboarding, visits, wire
from recepcja.simulator.clock import SimClock, parse_wire, to_wire
from recepcja.simulator.db import Store
from recepcja.simulator.records import InitialVisit, SlotInput
from recepcja.simulator.soap import cer, sub


@dataclass(frozen=True, slots=True)
class Call:
    """What an operation may use: the store, the time of the call, and who is calling."""

    store: Store
    clock: SimClock
    caller: Mapping[str, str]
    now: dt.datetime


Handler = Callable[[Call, etree._Element], etree._Element]


def owned(handler: Handler, **targets: str) -> Handler:
    """``handler`` behind the ownership check: each ``element=kind`` names a request field (a
    child of the payload) and what it identifies (``access.KINDS``); a field left out is not
    checked. ``kodyRpwdl`` names a MUŚ by its RPWDL codes."""
    assert set(targets.values()) <= access.KINDS, targets

    def guarded(call: Call, payload: etree._Element) -> etree._Element:
        with call.store.read() as conn:
            for element, kind in targets.items():
                if kind == "rpwdl":
                    codes = payload.find(cer(element))
                    if codes is None:  # pragma: no cover - the schema requires it
                        continue
                    access.require_owner(conn, call.caller, kind, tuple(
                        wire.required(codes, part) for part in ("czescI", "czescV", "czescVII")
                    ))
                    continue
                value = wire.text(payload, element)
                if value is not None:
                    access.require_owner(conn, call.caller, kind, value)
        return handler(call, payload)

    guarded.__name__ = handler.__name__
    guarded.__doc__ = handler.__doc__
    return guarded


def sprawdz_status(call: Call, payload: etree._Element) -> etree._Element:
    answer = wire.response("sprawdzStatus", "CeR (symulator) działa.")
    sub(answer, "czasSerwera", to_wire(call.now))
    return answer


def zapisz_dane_mus(call: Call, payload: etree._Element) -> etree._Element:
    codes_el = payload.find(cer("kodyRpwdl"))
    codes = (wire.required(codes_el, "czescI"), wire.required(codes_el, "czescV"),
             wire.required(codes_el, "czescVII"))
    address = wire.read_address(payload.find(cer("adres")))
    with call.store.write() as conn:
        mus_id, state = onboarding.save_place(
            conn, call.now, codes=codes, name=wire.required(payload, "nazwa"), address=address,
            scopes=wire.texts(payload, "zakres"), caller=dict(call.caller),
        )
    answer = wire.response("zapiszDaneMus")
    sub(answer, "idMus", mus_id)
    sub(answer, "stan", state)
    return answer


def importuj_punkty(call: Call, payload: etree._Element) -> etree._Element:
    points = [
        {
            "identyfikatorLokalny": wire.required(point, "identyfikatorLokalny"),
            "nazwa": wire.required(point, "nazwa"),
            "adres": wire.read_address(point.find(cer("adres"))),
            "dataOd": wire.required(point, "dataOd"),
            "dataDo": wire.text(point, "dataDo"),
        }
        for point in payload.findall(cer("punkt"))
    ]
    with call.store.write() as conn:
        items = onboarding.import_mobile_points(conn, wire.required(payload, "idMus"), points)
    answer = wire.response("importujMobilnePunktyObslugi", wire.batch_summary(items))
    wire.add_items(answer, items)
    return answer


def zapisz_harmonogram(call: Call, payload: etree._Element) -> etree._Element:
    resource_el = payload.find(cer("zasob"))
    resource = (wire.required(resource_el, "typ"), wire.required(resource_el, "nazwa"),
                wire.text(resource_el, "npwz"))
    with call.store.write() as conn:
        schedule_id = onboarding.save_schedule(
            conn, call.now, mus_id=wire.required(payload, "idMus"),
            local_id=wire.required(payload, "identyfikatorLokalny"),
            scope=wire.required(payload, "zakres"), resource=resource,
            mobile_point_id=wire.text(payload, "idPunktuMobilnego"),
            description=wire.text(payload, "opis"),
        )
    answer = wire.response("zapiszHarmonogram")
    sub(answer, "idHarmonogramu", schedule_id)
    return answer


def zapisz_sloty(call: Call, payload: etree._Element) -> etree._Element:
    slots = [
        SlotInput(
            identyfikator_lokalny=wire.required(slot, "identyfikatorLokalny"),
            poczatek=parse_wire(wire.text(slot, "poczatek"), "poczatek"),
            koniec=parse_wire(wire.text(slot, "koniec"), "koniec"),
            rodzaj=wire.required(slot, "rodzajTerminu"),
        )
        for slot in payload.findall(cer("slot"))
    ]
    with call.store.write() as conn:
        items = onboarding.save_slots(conn, call.now, wire.required(payload, "idHarmonogramu"),
                                      slots)
    answer = wire.response("zapiszSloty", wire.batch_summary(items))
    wire.add_items(answer, items)
    return answer


def usun_sloty(call: Call, payload: etree._Element) -> etree._Element:
    with call.store.write() as conn:
        items = onboarding.delete_slots(
            conn, wire.required(payload, "idHarmonogramu"), wire.texts(payload, "idSlotu")
        )
    answer = wire.response("usunSloty", wire.batch_summary(items))
    wire.add_items(answer, items)
    return answer


def zasil_inicjalnie(call: Call, payload: etree._Element) -> etree._Element:
    loaded = [
        InitialVisit(
            identyfikator_wizyty=wire.required(item, "identyfikatorWizyty"),
            id_harmonogramu=wire.required(item, "idHarmonogramu"),
            poczatek=parse_wire(wire.text(item, "poczatek"), "poczatek"),
            koniec=parse_wire(wire.text(item, "koniec"), "koniec"),
            rodzaj=wire.required(item, "rodzajTerminu"),
            pacjent=wire.read_patient(item.find(cer("pacjent"))),
            kategoria=wire.text(item, "kategoriaMedyczna"),
            id_zgloszenia=wire.text(item, "idZgloszeniaCentralnego"),
            id_skierowania=wire.text(item, "idSkierowania"),
        )
        for item in payload.findall(cer("wizyta"))
    ]
    with call.store.write() as conn:
        items = onboarding.initial_load(conn, call.now, wire.required(payload, "idMus"), loaded)
    answer = wire.response("zasilInicjalnie", wire.batch_summary(items))
    wire.add_items(answer, items)
    return answer


def aktywuj_mus(call: Call, payload: etree._Element) -> etree._Element:
    with call.store.write() as conn:
        state = onboarding.activate(
            conn, call.now, call.clock.today(), wire.required(payload, "idMus")
        )
    answer = wire.response("aktywujMus")
    sub(answer, "stan", state)
    return answer


def zarezerwuj_termin(call: Call, payload: etree._Element) -> etree._Element:
    patient = wire.read_patient(payload.find(cer("pacjent")))
    with call.store.write() as conn:
        visit = visits.book(
            conn, call.now, slot_id=wire.required(payload, "idSlotu"),
            visit_uid=wire.required(payload, "identyfikatorWizyty"), patient=patient,
            urgency=wire.required(payload, "kategoriaMedyczna"),
            request_id=wire.text(payload, "idZgloszeniaCentralnego"),
            referral_id=wire.text(payload, "idSkierowania"),
        )
    answer = wire.response("zarezerwujTermin")
    wire.add_visit(answer, visit)
    return answer


def zmien_termin(call: Call, payload: etree._Element) -> etree._Element:
    with call.store.write() as conn:
        visit = visits.change_term(
            conn, call.now, wire.required(payload, "idWizyty"),
            wire.required(payload, "idSlotuNowego"),
        )
    answer = wire.response("zmienTermin")
    wire.add_visit(answer, visit)
    return answer


def anuluj_wizyte(call: Call, payload: etree._Element) -> etree._Element:
    with call.store.write() as conn:
        visit = visits.cancel(conn, call.now, wire.required(payload, "idWizyty"))
    answer = wire.response("anulujWizyte")
    wire.add_visit(answer, visit)
    return answer


def umiesc_na_liscie(call: Call, payload: etree._Element) -> etree._Element:
    patient = wire.read_patient(payload.find(cer("pacjent")))
    with call.store.write() as conn:
        entry_id, position = visits.place_on_waiting_list(
            conn, call.now, mus_id=wire.required(payload, "idMus"),
            entry_uid=wire.required(payload, "identyfikatorWpisu"),
            scope=wire.required(payload, "zakres"), patient=patient,
            urgency=wire.required(payload, "kategoriaMedyczna"),
            request_id=wire.text(payload, "idZgloszeniaCentralnego"),
        )
    answer = wire.response("umiescNaLiscieOczekujacych")
    sub(answer, "idWpisu", entry_id)
    sub(answer, "pozycja", position)
    return answer


def pobierz_zgloszenia(call: Call, payload: etree._Element) -> etree._Element:
    patient = wire.read_patient(payload.find(cer("pacjent")))
    with call.store.read() as conn:
        requests = visits.central_requests(conn, patient, wire.text(payload, "zakres"))
    answer = wire.response("pobierzZgloszeniaCentralne")
    for request in requests:
        element = sub(answer, "zgloszenie")
        sub(element, "idZgloszenia", request["idZgloszenia"])
        sub(element, "zakres", request["zakres"])
        sub(element, "kategoriaMedyczna", request["kategoriaMedyczna"])
        sub(element, "dataZgloszenia", to_wire(request["dataZgloszenia"]))
        sub(element, "status", request["status"])
    return answer


def pobierz_sloty(call: Call, payload: etree._Element) -> etree._Element:
    start = parse_wire(wire.text(payload, "od"), "od")
    end = parse_wire(wire.text(payload, "do"), "do")
    with call.store.read() as conn:
        slots = visits.read_slots(conn, wire.required(payload, "idHarmonogramu"), start, end)
    answer = wire.response("pobierzSloty")
    for slot, slot_visits in slots:
        wire.add_slot(answer, slot, slot_visits)
    return answer


def pobierz_wizyte(call: Call, payload: etree._Element) -> etree._Element:
    with call.store.read() as conn:
        visit = visits.read_visit(
            conn, wire.text(payload, "idWizyty"), wire.text(payload, "identyfikatorWizyty")
        )
        # By CeR's id ``owned`` has refused another provider's visit; by the caller's own
        # identifier it is simply not there (the answer must not tell that it exists elsewhere).
        if visit is not None and not access.owns(conn, call.caller, "visit", visit["idWizyty"]):
            visit = None
    answer = wire.response("pobierzWizyte", None if visit else "Nie znaleziono wizyty.")
    if visit is not None:
        wire.add_visit(answer, visit)
    return answer


def pobierz_notyfikacje(call: Call, payload: etree._Element) -> etree._Element:
    with call.store.read() as conn:
        records, next_cursor = visits.pull_notifications(
            conn, int(wire.required(payload, "kursor")), int(wire.required(payload, "limit"))
        )
    answer = wire.response("pobierzNotyfikacje")
    for record in records:
        wire.add_notification(answer, record)
    sub(answer, "nastepnyKursor", next_cursor)
    return answer


def potwierdz_notyfikacje(call: Call, payload: etree._Element) -> etree._Element:
    with call.store.write() as conn:
        acknowledged = visits.acknowledge(conn, int(wire.required(payload, "kursor")))
    return wire.response("potwierdzNotyfikacje", f"Potwierdzono do kursora {acknowledged}.")


OPERATIONS: Mapping[str, Handler] = MappingProxyType({
    "sprawdzStatus": sprawdz_status,
    "zapiszDaneMus": owned(zapisz_dane_mus, kodyRpwdl="rpwdl"),
    "importujMobilnePunktyObslugi": owned(importuj_punkty, idMus="place"),
    "zapiszHarmonogram": owned(zapisz_harmonogram, idMus="place"),
    "zapiszSloty": owned(zapisz_sloty, idHarmonogramu="schedule"),
    "usunSloty": owned(usun_sloty, idHarmonogramu="schedule"),
    "zasilInicjalnie": owned(zasil_inicjalnie, idMus="place"),
    "aktywujMus": owned(aktywuj_mus, idMus="place"),
    "zarezerwujTermin": owned(zarezerwuj_termin, idSlotu="slot"),
    "zmienTermin": owned(zmien_termin, idWizyty="visit", idSlotuNowego="slot"),
    "anulujWizyte": owned(anuluj_wizyte, idWizyty="visit"),
    "umiescNaLiscieOczekujacych": owned(umiesc_na_liscie, idMus="place"),
    "pobierzZgloszeniaCentralne": pobierz_zgloszenia,
    "pobierzSloty": owned(pobierz_sloty, idHarmonogramu="schedule"),
    "pobierzWizyte": owned(pobierz_wizyte, idWizyty="visit"),
    # No MUŚ named: status, central requests and the notification feed are not checked.
    "pobierzNotyfikacje": pobierz_notyfikacje,
    "potwierdzNotyfikacje": potwierdz_notyfikacje,
})
