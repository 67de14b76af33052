"""Hand-written SOAP envelopes over plain HTTP, for tests that must not depend on zeep.

The contract is the WSDL/XSD, not what zeep happens to send; these helpers build envelopes as
text, post them with ``requests`` and check every answer (or fault detail) against ``cer.xsd``.
They also drive a complete onboarding (``onboard``) for fixtures that need an active place.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

import requests
from lxml import etree

from recepcja.domain.model import WARSAW
from recepcja.resources import resource

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
CER_NS = "urn:recepcja:model:csioz:p1:cer:v1"
KON_NS = "http://csioz.gov.pl/p1/kontekst/mt/v20180509"  # P1's call context
KON_PREFIX = "urn:csioz:p1:kontekst:"
NS = {"soap": SOAP_NS, "cer": CER_NS, "kon": KON_NS}
SUCCESS = "urn:csioz:p1:kod:major:Sukces"
MINOR = "urn:csioz:p1:cer:kod:minor:"
MAJOR = "urn:csioz:p1:kod:major:"

# P1's call context by short names (``context_header`` adds P1's ``urn:csioz:p1:kontekst:``).
DEFAULT_CONTEXT = {
    "idPodmiotuOidRoot": "2.16.840.1.113883.3.4424.2.3.1",
    "idPodmiotuOidExt": "000000012345",
    "rolaBiznesowa": "PRACOWNIK_ADMINISTRACYJNY",
    "idUzytkownikaOidExt": "rejestracja-1",
}
CARDIOLOGY = "KARDIOLOGIA"
# Valid PESELs (checksums correct) used across the tests.
PESEL_A = "44051401359"
PESEL_B = "02070803628"
PESEL_C = "85121612345"  # not valid (checksum): for the control API's refusal


@functools.cache
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(resource("cer", "cer.xsd"))))


def assert_valid(element: etree._Element) -> None:
    """Fail the test with the validator's message when ``element`` breaks the contract."""
    xsd = schema()
    if not xsd.validate(element):
        raise AssertionError(f"not valid against cer.xsd: {xsd.error_log.last_error}")


def context_header(context: dict[str, str] | None, extra_attributes: str = "") -> str:
    """P1's ``kontekstWywolania`` of ``context`` (short names), as CeR takes it."""
    if context is None:
        return ""
    items = "".join(
        f"<kon:atrybut><kon:nazwa>{escape(KON_PREFIX + name)}</kon:nazwa>"
        f"<kon:wartosc>{escape(value)}</kon:wartosc></kon:atrybut>"
        for name, value in context.items()
    )
    return (f'<kon:kontekstWywolania xmlns:kon="{KON_NS}"{extra_attributes}>{items}'
            "</kon:kontekstWywolania>")


def envelope(body: str, context: dict[str, str] | None = None, extra_header: str = "",
             *, with_context: bool = True) -> bytes:
    """A SOAP 1.1 envelope around ``body`` (which uses the ``cer:`` prefix)."""
    header = context_header(DEFAULT_CONTEXT if context is None else context) if with_context else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<soap:Envelope xmlns:soap="{SOAP_NS}" xmlns:cer="{CER_NS}">'
        f"<soap:Header>{header}{extra_header}</soap:Header>"
        f"<soap:Body>{body}</soap:Body></soap:Envelope>"
    ).encode()


@dataclass
class SoapAnswer:
    status: int
    content: bytes
    headers: dict[str, str]
    root: etree._Element | None = None
    payload: etree._Element | None = None
    fault: dict[str, str] | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.fault is None

    def text(self, path: str) -> str | None:
        """Text at a ``/``-separated path of ``cer:`` names below the payload."""
        assert self.payload is not None, f"no payload (fault: {self.fault})"
        return self.payload.findtext("/".join(f"cer:{part}" for part in path.split("/")), None, NS)

    def all(self, path: str) -> list[etree._Element]:
        assert self.payload is not None, f"no payload (fault: {self.fault})"
        return self.payload.findall("/".join(f"cer:{part}" for part in path.split("/")), NS)

    @property
    def minor(self) -> str | None:
        return None if self.fault is None else self.fault["minor"].removeprefix(MINOR)

    def items(self) -> list[dict[str, str | None]]:
        """The ``pozycja`` answers of a batch, as dicts."""
        return [
            {name: item.findtext(f"cer:{name}", None, NS)
             for name in ("identyfikatorLokalny", "status", "idCer", "kodBledu", "opis")}
            for item in self.all("pozycja")
        ]


def parse_answer(response: requests.Response, *, validate: bool = True) -> SoapAnswer:
    answer = SoapAnswer(response.status_code, response.content, dict(response.headers))
    if not response.headers.get("Content-Type", "").startswith("text/xml"):
        return answer
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    answer.root = etree.fromstring(response.content, parser)
    body = answer.root.find("soap:Body", NS)
    assert body is not None, "answer without a SOAP Body"
    fault = body.find("soap:Fault", NS)
    if fault is not None:
        detail = fault.find("detail/cer:wyjatek", NS)
        assert detail is not None, "fault without a wyjatek detail"
        if validate:
            assert_valid(detail)
        answer.fault = {
            "code": fault.findtext("faultcode") or "",
            "string": fault.findtext("faultstring") or "",
            "major": detail.findtext("cer:kodBleduMajor", "", NS),
            "minor": detail.findtext("cer:kodBleduMinor", "", NS),
            "opis": detail.findtext("cer:opis", "", NS),
        }
        return answer
    answer.payload = body[0]
    if validate:
        assert_valid(answer.payload)
    return answer


def soap_action(data: bytes) -> str | None:
    """The ``SOAPAction`` header a SOAP 1.1 client sends with ``data`` (the operation the
    envelope's Body holds), or None when there is none (not XML: no header at all)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError:
        return None
    body = root.find(f"{{{SOAP_NS}}}Body")
    if body is None or len(body) == 0 or not isinstance(body[0].tag, str):
        return None
    name = etree.QName(body[0])
    return f'"{name.namespace or CER_NS}/{name.localname}"'



def post(url: str, data: bytes, *, timeout: float = 15.0,
         headers: dict[str, str] | None = None, session: requests.Session | None = None,
         **kwargs: Any) -> requests.Response:
    """POST ``data``, with the ``SOAPAction`` of the operation in it unless ``headers`` give
    one (as every SOAP 1.1 client does; the simulator checks it as P1 does)."""
    sender = session or requests
    action = soap_action(data) if isinstance(data, bytes) else None
    extra = {"SOAPAction": action} if action else {}
    return sender.post(
        url, data=data, timeout=timeout,
        headers={"Content-Type": "text/xml; charset=utf-8", **extra, **(headers or {})},
        **kwargs,
    )


def call(soap_url: str, body: str, *, context: dict[str, str] | None = None,
         validate: bool = True, **kwargs: Any) -> SoapAnswer:
    """Post ``body`` in an envelope and parse (and check) the answer."""
    return parse_answer(post(soap_url, envelope(body, context), **kwargs), validate=validate)


# -- building request bodies ------------------------------------------------------------------
def iso(value: dt.datetime) -> str:
    assert value.tzinfo is not None
    return value.isoformat()


def patient(pesel: str = PESEL_A, first: str = "Jan", last: str = "Kowalski",
            phone: str | None = "+48601234567") -> str:
    phone_el = f"<cer:telefon>{phone}</cer:telefon>" if phone else ""
    return (f"<cer:pacjent><cer:pesel>{pesel}</cer:pesel><cer:imie>{escape(first)}</cer:imie>"
            f"<cer:nazwisko>{escape(last)}</cer:nazwisko>{phone_el}</cer:pacjent>")


def register_place(name: str = "Poradnia Kardiologiczna", codes: tuple[str, str, str] = (
        "000000012345", "01", "001"), scopes: tuple[str, ...] = (CARDIOLOGY,)) -> str:
    zakresy = "".join(f"<cer:zakres>{scope}</cer:zakres>" for scope in scopes)
    return (
        "<cer:zapiszDaneMus><cer:kodyRpwdl>"
        f"<cer:czescI>{codes[0]}</cer:czescI><cer:czescV>{codes[1]}</cer:czescV>"
        f"<cer:czescVII>{codes[2]}</cer:czescVII></cer:kodyRpwdl>"
        f"<cer:nazwa>{escape(name)}</cer:nazwa><cer:adres><cer:ulica>ul. Długa 1</cer:ulica>"
        "<cer:kodPocztowy>00-001</cer:kodPocztowy><cer:miejscowosc>Warszawa</cer:miejscowosc>"
        f"</cer:adres>{zakresy}</cer:zapiszDaneMus>"
    )


def save_schedule(mus_id: str, local_id: str, scope: str = CARDIOLOGY,
                  doctor: str = "lek. Anna Nowak") -> str:
    return (
        f"<cer:zapiszHarmonogram><cer:idMus>{mus_id}</cer:idMus>"
        f"<cer:identyfikatorLokalny>{local_id}</cer:identyfikatorLokalny>"
        f"<cer:zakres>{scope}</cer:zakres><cer:zasob><cer:typ>LEKARZ</cer:typ>"
        f"<cer:nazwa>{escape(doctor)}</cer:nazwa><cer:npwz>1234567</cer:npwz></cer:zasob>"
        "</cer:zapiszHarmonogram>"
    )


def slot(local_id: str, start: dt.datetime, end: dt.datetime,
         kind: str = "PROCEDURA_DOMYSLNA") -> str:
    return (f"<cer:slot><cer:identyfikatorLokalny>{local_id}</cer:identyfikatorLokalny>"
            f"<cer:poczatek>{iso(start)}</cer:poczatek><cer:koniec>{iso(end)}</cer:koniec>"
            f"<cer:rodzajTerminu>{kind}</cer:rodzajTerminu></cer:slot>")


def save_slots(schedule_id: str, slots: list[tuple[str, dt.datetime, dt.datetime]]) -> str:
    return (f"<cer:zapiszSloty><cer:idHarmonogramu>{schedule_id}</cer:idHarmonogramu>"
            + "".join(slot(*item) for item in slots) + "</cer:zapiszSloty>")


def book(slot_id: str, visit_uid: str, pesel: str = PESEL_A, urgency: str = "STABILNY",
         extra: str = "") -> str:
    return (f"<cer:zarezerwujTermin><cer:idSlotu>{slot_id}</cer:idSlotu>"
            f"<cer:identyfikatorWizyty>{visit_uid}</cer:identyfikatorWizyty>{patient(pesel)}"
            f"<cer:kategoriaMedyczna>{urgency}</cer:kategoriaMedyczna>{extra}"
            "</cer:zarezerwujTermin>")


def working_slots(first_day: dt.date, last_day: dt.date, prefix: str, *,
                  hours: tuple[int, int] = (8, 12), minutes: int = 30,
                  ) -> list[tuple[str, dt.datetime, dt.datetime]]:
    """Weekday slots in Warsaw time between two dates (inclusive)."""
    slots = []
    day = first_day
    while day <= last_day:
        if day.weekday() < 5:
            start = dt.datetime.combine(day, dt.time(hours[0]), WARSAW)
            stop = dt.datetime.combine(day, dt.time(hours[1]), WARSAW)
            while start + dt.timedelta(minutes=minutes) <= stop:
                end = start + dt.timedelta(minutes=minutes)
                slots.append((f"{prefix}-{start:%Y%m%d%H%M}", start, end))
                start = end
        day += dt.timedelta(days=1)
    return slots


@dataclass
class OnboardedPlace:
    mus_id: str
    schedule_ids: list[str]
    # CeR slot ids per schedule, in time order, with their (start, end).
    slots: dict[str, list[tuple[str, dt.datetime, dt.datetime]]] = field(default_factory=dict)

    def slot_ids(self, schedule_id: str | None = None) -> list[str]:
        schedule_id = schedule_id or self.schedule_ids[0]
        return [slot_id for slot_id, _, _ in self.slots[schedule_id]]


def onboard(soap_url: str, *, schedules: int = 2, months_margin_days: int = 21,
            today: dt.date | None = None, activate: bool = True,
            scope: str = CARDIOLOGY) -> OnboardedPlace:
    """Register a cardiology place, create schedules, initial load (empty), publish free slots
    from tomorrow to 3 months + ``months_margin_days`` ahead, and activate — over raw SOAP.
    ``scope``: CeR's scope code of the place and its schedules (``KARDIOLOGIA``, which the
    simulator's first-visit rule does not know; ``cardiology`` is Recepcja's code, checked)."""
    today = today or dt.datetime.now(WARSAW).date()
    answer = call(soap_url, register_place(scopes=(scope,)))
    assert answer.ok, answer.fault
    mus_id = answer.text("idMus")
    assert mus_id
    place = OnboardedPlace(mus_id, [])
    last_day = _months_ahead(today, 3) + dt.timedelta(days=months_margin_days)
    for index in range(schedules):
        answer = call(soap_url, save_schedule(mus_id, f"grafik-{index + 1}", scope))
        assert answer.ok, answer.fault
        schedule_id = answer.text("idHarmonogramu")
        assert schedule_id
        place.schedule_ids.append(schedule_id)
    answer = call(soap_url, f"<cer:zasilInicjalnie><cer:idMus>{mus_id}</cer:idMus>"
                            "</cer:zasilInicjalnie>")
    assert answer.ok, answer.fault
    for index, schedule_id in enumerate(place.schedule_ids):
        wanted = working_slots(today + dt.timedelta(days=1), last_day, f"g{index + 1}")
        answer = call(soap_url, save_slots(schedule_id, wanted), timeout=60)
        assert answer.ok, answer.fault
        items = answer.items()
        assert all(item["status"] == "PRZYJETY" for item in items), items[:3]
        place.slots[schedule_id] = [
            (str(item["idCer"]), start, end)
            for item, (_, start, end) in zip(items, wanted, strict=True)
        ]
    if activate:
        answer = call(soap_url, f"<cer:aktywujMus><cer:idMus>{mus_id}</cer:idMus></cer:aktywujMus>")
        assert answer.ok, answer.fault
    return place


def _months_ahead(day: dt.date, months: int) -> dt.date:
    import calendar

    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
