"""The e-referral service's operations: read the request, apply the rule, build the answer.

Like ``operations`` for CeR: one function per operation of ``resources/p1-referral``; the rules
are in ``referrals``. Every answer carries the referral as the caller may see it: the holder
(``realizator``) and what it stated only while the referral is held or realised — which only the
holder can read.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from types import MappingProxyType

from lxml import etree

from recepcja.simulator import errors, referrals
from recepcja.simulator.clock import local_date
from recepcja.simulator.operations import Call, Handler

NS = "urn:recepcja:model:csioz:p1:skierowania:v1"


def q(name: str) -> str:
    return f"{{{NS}}}{name}"


def _sub(parent: etree._Element, name: str, value: object | None = None) -> etree._Element:
    child = etree.SubElement(parent, q(name))
    if value is not None:
        child.text = str(value)
    return child


def _text(payload: etree._Element, name: str) -> str | None:
    child = payload.find(q(name))
    return None if child is None else (child.text or "").strip()


def _required(payload: etree._Element, name: str) -> str:
    value = _text(payload, name)
    if value is None:  # pragma: no cover - the schema requires it
        raise errors.CerError(errors.VALIDATION, errors.SCHEMA, f"Brak pola {name}.")
    return value


def _answer(operation: str, row: sqlite3.Row, komunikat: str | None = None) -> etree._Element:
    """``<operation>Odpowiedz``: a success ``wynik`` and the referral."""
    answer = etree.Element(q(f"{operation}Odpowiedz"), nsmap={"skr": NS})
    result = _sub(answer, "wynik")
    _sub(result, "kodMajor", errors.SUCCESS)
    if komunikat:
        _sub(result, "komunikat", errors.clip(komunikat))
    _add_referral(answer, row)
    return answer


def _add_referral(parent: etree._Element, row: sqlite3.Row) -> None:
    get = row.__getitem__
    element = _sub(parent, "skierowanie")
    _sub(element, "klucz", get("klucz"))
    _sub(element, "status", get("status"))
    _sub(element, "dataWystawienia", get("data_wystawienia"))
    issuer = _sub(element, "wystawca")
    _sub(issuer, "nazwaPodmiotu", errors.clip(get("wystawca_nazwa")))
    if get("lekarz"):
        _sub(issuer, "lekarz", errors.clip(get("lekarz")))
    patient = _sub(element, "pacjent")
    _sub(patient, "pesel", get("pesel"))
    _sub(patient, "imie", get("imie"))
    _sub(patient, "nazwisko", get("nazwisko"))
    specialty = _sub(element, "specjalnoscDocelowa")
    _sub(specialty, "kod", get("specjalnosc_kod"))
    _sub(specialty, "nazwa", get("specjalnosc_nazwa"))
    _sub(element, "refundacja", get("refundacja"))
    if get("status") in (referrals.HELD, referrals.DONE) and get("realizator_oid_root"):
        holder = _sub(element, "realizator")
        _sub(holder, "root", get("realizator_oid_root"))
        _sub(holder, "extension", get("realizator_oid_ext"))
        for name, column in (("refundacjaRealizacji", "refundacja_realizacji"),
                             ("dataWizyty", "data_wizyty"),
                             ("dataRealizacji", "data_realizacji")):
            if get(column):
                _sub(element, name, get(column))


def odczyt(call: Call, payload: etree._Element) -> etree._Element:
    who = referrals.Provider.of(call.caller)
    with call.store.read() as conn:
        row = referrals.read(conn, who, key=_text(payload, "klucz"),
                             code=_text(payload, "kodDostepu"), pesel=_text(payload, "pesel"))
    return _answer("odczytDokumentuSkierowaniaDoRealizacji", row)


def przyjecie(call: Call, payload: etree._Element) -> etree._Element:
    who = referrals.Provider.of(call.caller)
    with call.store.write() as conn:
        row, changed = referrals.take(conn, who, call.now, _required(payload, "klucz"),
                                      refunded=_required(payload, "refundacja"),
                                      visit_date=_text(payload, "dataWizyty"))
    note = None if changed else "Skierowanie jest już w realizacji u wywołującego."
    return _answer("przyjecieDoRealizacjiSkierowania", row, note)


def odmowa(call: Call, payload: etree._Element) -> etree._Element:
    who = referrals.Provider.of(call.caller)
    with call.store.write() as conn:
        row = referrals.refuse(conn, who, call.now, _required(payload, "klucz"),
                               _required(payload, "komentarz"))
    return _answer("odmowaPrzyjeciaDoRealizacjiSkierowania", row, "Odmowę zapisano.")


def rezygnacja(call: Call, payload: etree._Element) -> etree._Element:
    who = referrals.Provider.of(call.caller)
    with call.store.write() as conn:
        row = referrals.give_back(conn, who, call.now, _required(payload, "klucz"))
    return _answer("rezygnacjaZRealizacjiSkierowania", row)


def zakonczenie(call: Call, payload: etree._Element) -> etree._Element:
    who = referrals.Provider.of(call.caller)
    day = _text(payload, "dataRealizacji") or local_date(call.now).isoformat()
    with call.store.write() as conn:
        row = referrals.realise(conn, who, call.now, _required(payload, "klucz"), day)
    return _answer("zakonczenieRealizacjiSkierowania", row)


OPERATIONS: Mapping[str, Handler] = MappingProxyType({
    "odczytDokumentuSkierowaniaDoRealizacji": odczyt,
    "przyjecieDoRealizacjiSkierowania": przyjecie,
    "odmowaPrzyjeciaDoRealizacjiSkierowania": odmowa,
    "rezygnacjaZRealizacjiSkierowania": rezygnacja,
    "zakonczenieRealizacjiSkierowania": zakonczenie,
})
