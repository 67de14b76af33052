"""Records to the contract's XML types and back (``Wizyta``, ``Slot``, ``Pacjent``, ...).

Element order follows ``cer.xsd`` exactly (sequences are ordered); optional elements are left out
rather than sent empty, because an empty ``idSkierowania`` would not match ``Identyfikator``.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from recepcja.simulator import errors
from recepcja.simulator.clock import to_wire
from recepcja.simulator.records import ItemResult, Patient
from recepcja.simulator.soap import CER_NS, cer, sub


def text(parent: etree._Element, name: str) -> str | None:
    """Text of a ``cer:`` child, None when absent (schema validation ran before, so present
    elements have valid content)."""
    child = parent.find(cer(name))
    if child is None:
        return None
    return (child.text or "").strip()


def required(parent: etree._Element, name: str) -> str:
    value = text(parent, name)
    if value is None:  # pragma: no cover - the schema requires it
        raise errors.CerError(errors.VALIDATION, errors.SCHEMA, f"Brak pola {name}.")
    return value


def texts(parent: etree._Element, name: str) -> list[str]:
    return [(child.text or "").strip() for child in parent.findall(cer(name))]


def read_patient(element: etree._Element) -> Patient:
    return Patient(
        imie=required(element, "imie"),
        nazwisko=required(element, "nazwisko"),
        pesel=text(element, "pesel"),
        rodzaj_dokumentu=text(element, "rodzajDokumentu"),
        numer_dokumentu=text(element, "numerDokumentu"),
        telefon=text(element, "telefon"),
        data_urodzenia=text(element, "dataUrodzenia"),
    )


def read_address(element: etree._Element) -> tuple[str, str, str]:
    return (required(element, "ulica"), required(element, "kodPocztowy"),
            required(element, "miejscowosc"))


def add_success(parent: etree._Element, komunikat: str | None = None) -> None:
    result = sub(parent, "wynik")
    sub(result, "kodMajor", errors.SUCCESS)
    if komunikat:
        sub(result, "komunikat", errors.clip(komunikat))


def response(operation: str, komunikat: str | None = None) -> etree._Element:
    """``<cer:{operation}Odpowiedz>`` with a success ``wynik`` as its first child."""
    element = etree.Element(cer(f"{operation}Odpowiedz"), nsmap={"cer": CER_NS})
    add_success(element, komunikat)
    return element


def add_patient(parent: etree._Element, record: dict[str, Any]) -> None:
    patient = sub(parent, "pacjent")
    if record.get("pesel"):
        sub(patient, "pesel", record["pesel"])
    else:
        sub(patient, "rodzajDokumentu", record["rodzajDokumentu"])
        sub(patient, "numerDokumentu", record["numerDokumentu"])
    sub(patient, "imie", record["imie"])
    sub(patient, "nazwisko", record["nazwisko"])
    if record.get("telefon"):
        sub(patient, "telefon", record["telefon"])
    if record.get("dataUrodzenia"):
        sub(patient, "dataUrodzenia", record["dataUrodzenia"])


def add_visit(parent: etree._Element, visit: dict[str, Any], name: str = "wizyta") -> None:
    element = sub(parent, name)
    sub(element, "idWizyty", visit["idWizyty"])
    if visit.get("identyfikatorWizyty"):
        sub(element, "identyfikatorWizyty", visit["identyfikatorWizyty"])
    sub(element, "idHarmonogramu", visit["idHarmonogramu"])
    sub(element, "idSlotu", visit["idSlotu"])
    sub(element, "poczatek", to_wire(visit["poczatek"]))
    sub(element, "koniec", to_wire(visit["koniec"]))
    add_patient(element, visit)
    for field in ("kategoriaMedyczna", "idZgloszeniaCentralnego", "idSkierowania"):
        if visit.get(field):
            sub(element, field, visit[field])
    sub(element, "zrodlo", visit["zrodlo"])
    sub(element, "stan", visit["stan"])
    sub(element, "wersja", visit["wersja"])
    sub(element, "zmieniono", to_wire(visit["zmieniono"]))


def add_slot(parent: etree._Element, slot: dict[str, Any], visits: list[dict[str, Any]]) -> None:
    element = sub(parent, "slot")
    sub(element, "idSlotu", slot["idSlotu"])
    if slot.get("identyfikatorLokalny"):
        sub(element, "identyfikatorLokalny", slot["identyfikatorLokalny"])
    sub(element, "idHarmonogramu", slot["idHarmonogramu"])
    sub(element, "poczatek", to_wire(slot["poczatek"]))
    sub(element, "koniec", to_wire(slot["koniec"]))
    sub(element, "rodzajTerminu", slot["rodzajTerminu"])
    sub(element, "stan", slot["stan"])
    for visit in visits:
        add_visit(element, visit)


def add_items(parent: etree._Element, items: list[ItemResult]) -> None:
    for item in items:
        element = sub(parent, "pozycja")
        sub(element, "identyfikatorLokalny", item.identyfikator_lokalny)
        sub(element, "status", item.status)
        if item.id_cer:
            sub(element, "idCer", item.id_cer)
        if item.kod:
            sub(element, "kodBledu", item.kod)
        if item.opis:
            sub(element, "opis", item.opis)


def batch_summary(items: list[ItemResult]) -> str:
    rejected = sum(1 for item in items if item.status != "PRZYJETY")
    return f"Przyjęto {len(items) - rejected}, odrzucono {rejected} z {len(items)} pozycji."


def add_notification(parent: etree._Element, record: dict[str, Any]) -> None:
    element = sub(parent, "notyfikacja")
    sub(element, "idNotyfikacji", record["idNotyfikacji"])
    sub(element, "rodzaj", record["rodzaj"])
    sub(element, "czas", to_wire(record["czas"]))
    sub(element, "idMus", record["idMus"])
    add_visit(element, record["wizyta"])
