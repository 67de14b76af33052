"""A fake CeR behind a requests adapter: no sockets, canned answers that validate against the
contract (the gateway runs with ``validate_responses=True`` here, so a canned answer that drifts
from cer.xsd fails loudly instead of testing nothing)."""

from __future__ import annotations

from collections.abc import Callable

import requests
from requests.adapters import BaseAdapter

from recepcja.cer.types import CallContext

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
CER = "urn:recepcja:model:csioz:p1:cer:v1"
SUCCESS = "<c:wynik><c:kodMajor>urn:csioz:p1:kod:major:Sukces</c:kodMajor></c:wynik>"
PESEL = "44051401359"
URL = "http://cer.test/cer"

CONTEXT = CallContext(
    provider_oid_root="2.16.840.1.113883.3.4424.2.3.1",
    provider_oid_ext="000000123456",
    business_role="PRACOWNIK_ADMINISTRACYJNY",
    user_id="rejestracja-1",
    place_id="MUS-1",
)


def visit_xml(
    cer_id: str = "W1",
    uid: str | None = "V1",
    slot: str = "S1",
    state: str = "ZAREZERWOWANA",
    source: str = "PLACOWKA",
    patient: str | None = None,
) -> str:
    patient = patient or (
        f"<c:pesel>{PESEL}</c:pesel><c:imie>Jan</c:imie><c:nazwisko>Kowalski</c:nazwisko>"
        "<c:telefon>+48600100200</c:telefon>"
    )
    return (
        f"<c:idWizyty>{cer_id}</c:idWizyty>"
        + (f"<c:identyfikatorWizyty>{uid}</c:identyfikatorWizyty>" if uid else "")
        + f"<c:idHarmonogramu>H1</c:idHarmonogramu><c:idSlotu>{slot}</c:idSlotu>"
        "<c:poczatek>2026-06-01T08:00:00+02:00</c:poczatek>"
        "<c:koniec>2026-06-01T08:15:00+02:00</c:koniec>"
        f"<c:pacjent>{patient}</c:pacjent>"
        "<c:kategoriaMedyczna>PILNY</c:kategoriaMedyczna>"
        f"<c:zrodlo>{source}</c:zrodlo><c:stan>{state}</c:stan>"
        "<c:wersja>3</c:wersja><c:zmieniono>2026-05-01T10:00:00Z</c:zmieniono>"
    )


def items_xml(ids: list[str], rejected: set[str] = frozenset()) -> str:
    out = []
    for local in ids:
        if local in rejected:
            out.append(
                f"<c:pozycja><c:identyfikatorLokalny>{local}</c:identyfikatorLokalny>"
                "<c:status>ODRZUCONY</c:status>"
                "<c:kodBledu>urn:csioz:p1:cer:kod:minor:NakladajaceSieSloty</c:kodBledu>"
                "<c:opis>Slot nakłada się na inny</c:opis></c:pozycja>"
            )
        else:
            out.append(
                f"<c:pozycja><c:identyfikatorLokalny>{local}</c:identyfikatorLokalny>"
                f"<c:status>PRZYJETY</c:status><c:idCer>CER-{local}</c:idCer></c:pozycja>"
            )
    return "".join(out)


def envelope(operation: str, inner: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="{SOAP}"><s:Body>'
        f'<c:{operation}Odpowiedz xmlns:c="{CER}">{SUCCESS}{inner}</c:{operation}Odpowiedz>'
        "</s:Body></s:Envelope>"
    ).encode()


def fault(major: str, minor: str, opis: str, faultcode: str = "s:Client") -> bytes:
    return (
        f'<s:Envelope xmlns:s="{SOAP}"><s:Body><s:Fault><faultcode>{faultcode}</faultcode>'
        f'<faultstring>{opis}</faultstring><detail><c:wyjatek xmlns:c="{CER}">'
        f"<c:kodBleduMajor>urn:csioz:p1:kod:major:{major}</c:kodBleduMajor>"
        f"<c:kodBleduMinor>urn:csioz:p1:cer:kod:minor:{minor}</c:kodBleduMinor>"
        f"<c:opis>{opis}</c:opis></c:wyjatek></detail></s:Fault></s:Body></s:Envelope>"
    ).encode()


def operation_of(request: requests.PreparedRequest) -> str:
    action = request.headers.get("SOAPAction", "").strip('"')
    return action.rsplit("/", 1)[-1]


def canned_answer(request: requests.PreparedRequest) -> tuple[int, bytes]:
    """A valid answer for every operation of the contract."""
    from lxml import etree

    op = operation_of(request)
    body = etree.fromstring(request.body)
    locals_ = [e.text for e in body.iter(f"{{{CER}}}identyfikatorLokalny")]
    inner = {
        "sprawdzStatus": "<c:czasSerwera>2026-05-20T10:00:00+02:00</c:czasSerwera>",
        "zapiszDaneMus": "<c:idMus>MUS-1</c:idMus><c:stan>ZAREJESTROWANE</c:stan>",
        "zapiszHarmonogram": "<c:idHarmonogramu>H1</c:idHarmonogramu>",
        "aktywujMus": "<c:stan>AKTYWNE</c:stan>",
        "zarezerwujTermin": f"<c:wizyta>{visit_xml()}</c:wizyta>",
        "zmienTermin": f"<c:wizyta>{visit_xml(slot='S2')}</c:wizyta>",
        "anulujWizyte": f"<c:wizyta>{visit_xml(state='ANULOWANA')}</c:wizyta>",
        "umiescNaLiscieOczekujacych": "<c:idWpisu>WL-1</c:idWpisu><c:pozycja>7</c:pozycja>",
        "pobierzZgloszeniaCentralne": (
            "<c:zgloszenie><c:idZgloszenia>ZC-1</c:idZgloszenia><c:zakres>kardiologia</c:zakres>"
            "<c:kategoriaMedyczna>STABILNY</c:kategoriaMedyczna>"
            "<c:dataZgloszenia>2026-04-01T09:00:00+02:00</c:dataZgloszenia>"
            "<c:status>AKTYWNE</c:status></c:zgloszenie>"
        ),
        "pobierzSloty": (
            "<c:slot><c:idSlotu>S1</c:idSlotu><c:identyfikatorLokalny>1</c:identyfikatorLokalny>"
            "<c:idHarmonogramu>H1</c:idHarmonogramu>"
            "<c:poczatek>2026-06-01T08:00:00+02:00</c:poczatek>"
            "<c:koniec>2026-06-01T08:15:00+02:00</c:koniec>"
            "<c:rodzajTerminu>PROCEDURA_DOMYSLNA</c:rodzajTerminu><c:stan>ZAREZERWOWANY</c:stan>"
            f"<c:wizyta>{visit_xml()}</c:wizyta></c:slot>"
        ),
        "pobierzWizyte": f"<c:wizyta>{visit_xml()}</c:wizyta>",
        "pobierzNotyfikacje": (
            "<c:notyfikacja><c:idNotyfikacji>N1</c:idNotyfikacji><c:rodzaj>REZERWACJA_IKP</c:rodzaj>"
            "<c:czas>2026-05-02T10:00:00+02:00</c:czas><c:idMus>MUS-1</c:idMus>"
            f"<c:wizyta>{visit_xml(uid=None, source='IKP')}</c:wizyta></c:notyfikacja>"
            "<c:nastepnyKursor>42</c:nastepnyKursor>"
        ),
        "potwierdzNotyfikacje": "",
    }.get(op)
    if inner is None:  # the batch operations answer per item, by the item's own id
        ids = (
            [e.text for e in body.iter(f"{{{CER}}}identyfikatorWizyty")]
            if op == "zasilInicjalnie"
            else [x for x in locals_ if x] or [e.text for e in body.iter(f"{{{CER}}}idSlotu")]
        )
        inner = items_xml(ids)
    return 200, envelope(op, inner)


Handler = Callable[[requests.PreparedRequest], "tuple[int, bytes] | tuple[int, bytes, str]"]


class FakeCer(BaseAdapter):
    """A requests adapter standing in for CeR: records what was sent, answers with ``handler``
    (status, body[, content type]) or raises what ``handler`` raises."""

    def __init__(self, handler: Handler = canned_answer) -> None:
        super().__init__()
        self.handler = handler
        self.sent: list[tuple[requests.PreparedRequest, dict]] = []

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        self.sent.append((request, {"timeout": timeout, "verify": verify, "cert": cert}))
        answer = self.handler(request)
        status, body = answer[0], answer[1]
        content_type = answer[2] if len(answer) > 2 else "text/xml; charset=utf-8"
        response = requests.Response()
        response.status_code = status
        response._content = body
        response.headers["Content-Type"] = content_type
        response.url = request.url
        response.request = request
        return response

    def close(self) -> None:
        pass

    @property
    def bodies(self) -> list[bytes]:
        return [r.body for r, _ in self.sent]
