"""Domain values <-> the CeR wire format. The only code that knows the contract's field names.

Requests go out as plain dicts that zeep serialises along the WSDL. Answers come back as lxml
elements and are read here directly, not through zeep's object model: zeep 4.3 cannot read the
contract's ``Pacjent`` (a ``choice`` of ``pesel`` or a document *sequence*, then names) when the
PESEL branch is used, and reading 5,000 slots through zeep's objects costs several times more
than reading the elements. The push receiver uses the same readers, so pushed and pulled
notifications are decoded identically.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any, TypeVar

from lxml import etree

from recepcja.cer.errors import MSG_BAD_ANSWER, MSG_BAD_REQUEST, CerBug
from recepcja.cer.types import (
    DOCUMENT_TYPE_FROM_WIRE,
    DOCUMENT_TYPE_TO_WIRE,
    NOTIFICATION_KIND_FROM_WIRE,
    PLACE_STATE_FROM_WIRE,
    RESOURCE_KIND_TO_WIRE,
    SLOT_STATE_FROM_WIRE,
    TERM_KIND_FROM_WIRE,
    TERM_KIND_TO_WIRE,
    URGENCY_FROM_WIRE,
    URGENCY_TO_WIRE,
    VISIT_SOURCE_FROM_WIRE,
    Address,
    CerNotification,
    CerPatient,
    CerSlot,
    CerVisit,
    InitialVisit,
    ItemResult,
    MobilePoint,
    PlaceRegistration,
    PlaceState,
    ScheduleRegistration,
)
from recepcja.cer.wire import q, text
from recepcja.domain.entities import CentralRequest, Patient, PatientIdentifier, SlotSpec
from recepcja.domain.model import WARSAW, Urgency

# ----------------------------------------------------------------------------------------------
# Out: domain -> request dicts

E = TypeVar("E", bound=StrEnum)


def aware(value: dt.datetime, what: str = "time") -> dt.datetime:
    """CeR gets instants; a naive datetime is a bug upstream (which zone was meant?)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise CerBug(
            MSG_BAD_REQUEST,
            path=f"{what}: naive datetime",
        )
    return value


def address_out(address: Address) -> dict[str, Any]:
    return {
        "ulica": address.street,
        "kodPocztowy": address.postal_code,
        "miejscowosc": address.city,
    }


def patient_out(patient: Patient | CerPatient | PatientIdentifier) -> dict[str, Any]:
    """``Pacjent``: the PESEL branch or the document branch of the choice, then the names.

    A bare identifier (for ``pobierzZgloszeniaCentralne``, which the model types as a full
    ``Pacjent``) goes with empty names: CeR finds patients by identifier, never by name.
    """
    if isinstance(patient, PatientIdentifier):
        identifier, first, last, phone, birth = patient, "", "", None, None
    else:
        identifier = patient.identifier
        first, last = patient.first_name, patient.last_name
        phone, birth = patient.phone, patient.birth_date
    out: dict[str, Any] = {}
    if identifier.pesel:
        out["pesel"] = identifier.pesel
    else:
        assert identifier.document_type is not None
        out["rodzajDokumentu"] = DOCUMENT_TYPE_TO_WIRE[identifier.document_type]
        out["numerDokumentu"] = identifier.document_number
    out["imie"] = first
    out["nazwisko"] = last
    if phone:
        out["telefon"] = phone
    if birth:
        out["dataUrodzenia"] = birth
    return out


def place_out(place: PlaceRegistration) -> dict[str, Any]:
    return {
        "kodyRpwdl": {
            "czescI": place.rpwdl_part_i,
            "czescV": place.rpwdl_part_v,
            "czescVII": place.rpwdl_part_vii,
        },
        "nazwa": place.name,
        "adres": address_out(place.address),
        "zakres": list(place.scopes),
    }


def mobile_point_out(point: MobilePoint) -> dict[str, Any]:
    out: dict[str, Any] = {
        "identyfikatorLokalny": point.local_id,
        "nazwa": point.name,
        "adres": address_out(point.address),
        "dataOd": point.valid_from,
    }
    if point.valid_to is not None:
        out["dataDo"] = point.valid_to
    return out


def schedule_out(place_cer_id: str, schedule: ScheduleRegistration) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "typ": RESOURCE_KIND_TO_WIRE[schedule.resource_kind],
        "nazwa": schedule.resource_name,
    }
    if schedule.licence_number:
        resource["npwz"] = schedule.licence_number
    out: dict[str, Any] = {
        "idMus": place_cer_id,
        "identyfikatorLokalny": schedule.local_id,
        "zakres": schedule.scope_code,
        "zasob": resource,
    }
    if schedule.mobile_point_cer_id:
        out["idPunktuMobilnego"] = schedule.mobile_point_cer_id
    if schedule.description:
        out["opis"] = schedule.description
    return out


def slot_out(local_id: object, spec: SlotSpec) -> dict[str, Any]:
    return {
        "identyfikatorLokalny": str(local_id),
        "poczatek": aware(spec.start, "slot start"),
        "koniec": aware(spec.end, "slot end"),
        "rodzajTerminu": TERM_KIND_TO_WIRE[spec.term_kind],
    }


def initial_visit_out(visit: InitialVisit) -> dict[str, Any]:
    out: dict[str, Any] = {
        "identyfikatorWizyty": visit.visit_uid,
        "idHarmonogramu": visit.schedule_cer_id,
        "poczatek": aware(visit.start, "visit start"),
        "koniec": aware(visit.end, "visit end"),
        "rodzajTerminu": TERM_KIND_TO_WIRE[visit.term_kind],
        "pacjent": patient_out(visit.patient),
    }
    if visit.urgency is not None:
        out["kategoriaMedyczna"] = URGENCY_TO_WIRE[visit.urgency]
    if visit.central_request_id:
        out["idZgloszeniaCentralnego"] = visit.central_request_id
    if visit.referral_id:
        out["idSkierowania"] = visit.referral_id
    return out


def booking_out(
    *,
    slot_cer_id: str,
    visit_uid: str,
    patient: Patient | CerPatient,
    urgency: Urgency,
    central_request_id: str | None,
    referral_id: str | None,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "idSlotu": slot_cer_id,
        "identyfikatorWizyty": visit_uid,
        "pacjent": patient_out(patient),
        "kategoriaMedyczna": URGENCY_TO_WIRE[Urgency(urgency)],
    }
    if central_request_id:
        out["idZgloszeniaCentralnego"] = central_request_id
    if referral_id:
        out["idSkierowania"] = referral_id
    return out


def chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# ----------------------------------------------------------------------------------------------
# In: response elements -> domain


def shape_error(path: str) -> CerBug:
    return CerBug(
        MSG_BAD_ANSWER,
        may_have_committed=True,
        path=path,
    )


def required(node: etree._Element, name: str) -> str:
    value = text(node, name)
    if value is None:
        raise shape_error(f"{etree.QName(node).localname}/{name}")
    return value


def parse_datetime(value: str, path: str = "dateTime") -> dt.datetime:
    """xs:dateTime -> an aware datetime in Warsaw time. A value without an offset is read as
    Warsaw wall time (CeR is a Polish service); ``Z`` is UTC."""
    try:
        parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise shape_error(path) from None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=WARSAW)
    return parsed.astimezone(WARSAW)


def parse_date(value: str, path: str = "date") -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip()[:10])
    except ValueError:
        raise shape_error(path) from None


def _enum(table: Mapping[str, E], value: str, path: str) -> E:
    try:
        return table[value]
    except KeyError:
        raise shape_error(path) from None


def parse_patient(node: etree._Element | None) -> CerPatient:
    if node is None:
        raise shape_error("pacjent")
    pesel = text(node, "pesel")
    if pesel:
        identifier = PatientIdentifier(pesel=pesel)
    else:
        kind = _enum(
            DOCUMENT_TYPE_FROM_WIRE, required(node, "rodzajDokumentu"), "pacjent/rodzajDokumentu"
        )
        identifier = PatientIdentifier(
            document_type=kind, document_number=required(node, "numerDokumentu")
        )
    birth = text(node, "dataUrodzenia")
    return CerPatient(
        identifier=identifier,
        first_name=required(node, "imie"),
        last_name=required(node, "nazwisko"),
        phone=text(node, "telefon") or None,
        birth_date=parse_date(birth, "pacjent/dataUrodzenia") if birth else None,
    )


def parse_visit(node: etree._Element) -> CerVisit:
    """A ``Wizyta`` element (in answers, slots and notifications)."""
    urgency = text(node, "kategoriaMedyczna")
    version = required(node, "wersja")
    try:
        version_number = int(version)
    except ValueError:
        raise shape_error("wizyta/wersja") from None
    return CerVisit(
        cer_id=required(node, "idWizyty"),
        visit_uid=text(node, "identyfikatorWizyty") or None,
        schedule_cer_id=required(node, "idHarmonogramu"),
        slot_cer_id=required(node, "idSlotu"),
        start=parse_datetime(required(node, "poczatek"), "wizyta/poczatek"),
        end=parse_datetime(required(node, "koniec"), "wizyta/koniec"),
        patient=parse_patient(node.find(q("pacjent"))),
        urgency=_enum(URGENCY_FROM_WIRE, urgency, "wizyta/kategoriaMedyczna") if urgency else None,
        central_request_id=text(node, "idZgloszeniaCentralnego") or None,
        referral_id=text(node, "idSkierowania") or None,
        source=_enum(VISIT_SOURCE_FROM_WIRE, required(node, "zrodlo"), "wizyta/zrodlo"),
        cancelled=required(node, "stan") == "ANULOWANA",
        version=version_number,
        changed_at=parse_datetime(required(node, "zmieniono"), "wizyta/zmieniono"),
    )


def parse_slot(node: etree._Element) -> CerSlot:
    return CerSlot(
        cer_id=required(node, "idSlotu"),
        local_id=text(node, "identyfikatorLokalny") or None,
        schedule_cer_id=required(node, "idHarmonogramu"),
        start=parse_datetime(required(node, "poczatek"), "slot/poczatek"),
        end=parse_datetime(required(node, "koniec"), "slot/koniec"),
        term_kind=_enum(TERM_KIND_FROM_WIRE, required(node, "rodzajTerminu"), "slot/rodzajTerminu"),
        state=_enum(SLOT_STATE_FROM_WIRE, required(node, "stan"), "slot/stan"),
        visits=tuple(parse_visit(v) for v in node.iterfind(q("wizyta"))),
    )


def parse_item(node: etree._Element) -> ItemResult:
    return ItemResult(
        local_id=required(node, "identyfikatorLokalny"),
        accepted=required(node, "status") == "PRZYJETY",
        cer_id=text(node, "idCer") or None,
        code=text(node, "kodBledu") or None,
        message=text(node, "opis") or None,
    )


def parse_items(answer: etree._Element) -> list[ItemResult]:
    return [parse_item(node) for node in answer.iterfind(q("pozycja"))]


def parse_notification(node: etree._Element) -> CerNotification:
    visit = node.find(q("wizyta"))
    if visit is None:
        raise shape_error("notyfikacja/wizyta")
    return CerNotification(
        id=required(node, "idNotyfikacji"),
        kind=_enum(NOTIFICATION_KIND_FROM_WIRE, required(node, "rodzaj"), "notyfikacja/rodzaj"),
        at=parse_datetime(required(node, "czas"), "notyfikacja/czas"),
        place_cer_id=required(node, "idMus"),
        visit=parse_visit(visit),
    )


def parse_central_request(node: etree._Element) -> CentralRequest:
    return CentralRequest(
        request_id=required(node, "idZgloszenia"),
        urgency=_enum(
            URGENCY_FROM_WIRE, required(node, "kategoriaMedyczna"), "zgloszenie/kategoriaMedyczna"
        ),
        requested_at=parse_datetime(required(node, "dataZgloszenia"), "zgloszenie/dataZgloszenia"),
        scope_code=text(node, "zakres") or None,
    )


def parse_place_state(value: str) -> PlaceState:
    return _enum(PLACE_STATE_FROM_WIRE, value, "stan")
