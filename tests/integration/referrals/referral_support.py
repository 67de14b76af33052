"""Helpers of the e-referral contract tests: the simulator's P1 e-referral service over loopback
HTTP, spoken to in raw SOAP (hand-written envelopes, answers checked against the referral XSD)
and through the app's ``ReferralGateway``, as this practice or as another provider."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

import requests
from lxml import etree
from soap_raw import soap_action

from recepcja.cer.referrals import ReferralGateway
from recepcja.cer.types import CallContext, GatewayConfig
from recepcja.resources import resource
from support import sim_control

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
SKR_NS = "urn:recepcja:model:csioz:p1:skierowania:v1"
KON_NS = "http://csioz.gov.pl/p1/kontekst/mt/v20180509"
NS = {"soap": SOAP_NS, "skr": SKR_NS, "kon": KON_NS}
PATH = "/p1/skierowania"
MINOR = "urn:csioz:p1:skierowanie:kod:minor:"
MAJOR = "urn:csioz:p1:kod:major:"
ROOT = "2.16.840.1.113883.3.4424.2.3.1"
OURS = "000000012345"
THEIRS = "000000099999"  # the control API's default "another provider"
PESEL = "44051401359"
OTHER_PESEL = "02070803628"
RECEPTION = "PRACOWNIK_ADMINISTRACYJNY"


@functools.cache
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(resource("p1-referral", "skierowania.xsd"))))


def assert_valid(element: etree._Element) -> None:
    xsd = schema()
    if not xsd.validate(element):
        raise AssertionError(f"not valid against skierowania.xsd: {xsd.error_log.last_error}")


def context(ext: str = OURS, role: str | None = RECEPTION, **extra: str) -> dict[str, str]:
    """A P1 context (short names; ``p1_header`` adds the urn prefix)."""
    values = {"idPodmiotuOidRoot": ROOT, "idPodmiotuOidExt": ext}
    if role is not None:
        values["rolaBiznesowa"] = role
    values.update(extra)
    return values


def p1_header(values: dict[str, str], prefix: str = "urn:csioz:p1:kontekst:",
              namespace: str = KON_NS) -> str:
    items = "".join(
        f"<k:atrybut><k:nazwa>{escape(prefix + name)}</k:nazwa>"
        f"<k:wartosc>{escape(value)}</k:wartosc></k:atrybut>" for name, value in values.items())
    return f'<k:kontekstWywolania xmlns:k="{namespace}">{items}</k:kontekstWywolania>'


def envelope(body: str, header: str | None = None) -> bytes:
    header = p1_header(context()) if header is None else header
    return (f'<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="{SOAP_NS}" '
            f'xmlns:skr="{SKR_NS}"><soap:Header>{header}</soap:Header>'
            f"<soap:Body>{body}</soap:Body></soap:Envelope>").encode()


@dataclass
class Answer:
    status: int
    payload: etree._Element | None = None
    fault: dict[str, str] | None = None

    @property
    def minor(self) -> str | None:
        return None if self.fault is None else self.fault["minor"].removeprefix(MINOR)

    def text(self, path: str) -> str | None:
        assert self.payload is not None, f"no payload (fault: {self.fault})"
        return self.payload.findtext("/".join(f"skr:{p}" for p in path.split("/")), None, NS)


def post(url: str, data: bytes) -> Answer:
    headers = {"Content-Type": "text/xml; charset=utf-8"}
    action = soap_action(data)  # as a SOAP 1.1 client sends it: P1 checks it
    if action:
        headers["SOAPAction"] = action
    response = requests.post(url, data=data, timeout=15, headers=headers)
    root = etree.fromstring(response.content, etree.XMLParser(resolve_entities=False,
                                                              no_network=True))
    body = root.find("soap:Body", NS)
    fault = body.find("soap:Fault", NS)
    if fault is not None:
        detail = fault.find("detail/skr:wyjatek", NS)
        assert detail is not None, "a fault without the service's wyjatek"
        assert_valid(detail)
        return Answer(response.status_code, fault={
            "code": fault.findtext("faultcode") or "",
            "major": detail.findtext("skr:kodBleduMajor", "", NS),
            "minor": detail.findtext("skr:kodBleduMinor", "", NS),
            "opis": detail.findtext("skr:opis", "", NS)})
    assert_valid(body[0])
    return Answer(response.status_code, payload=body[0])


def read_by_key(key: str) -> str:
    return (f"<skr:odczytDokumentuSkierowaniaDoRealizacji><skr:klucz>{key}</skr:klucz>"
            "</skr:odczytDokumentuSkierowaniaDoRealizacji>")


class Referrals:
    """The simulator's referrals through its control API."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.soap_url = base_url + PATH

    def control(self, path: str, payload: Any = None, expect: int = 200) -> Any:
        return sim_control.control(self.base_url, "POST", path, payload, expect=expect)

    def issue(self, **spec: Any) -> dict[str, Any]:
        return self.control("referrals", {"pesel": PESEL, **spec})

    def change(self, key: str, status: str, holder: Any = None) -> dict[str, Any]:
        payload = {"key": key, "status": status}
        if holder is not None:
            payload["holder"] = holder
        return self.control("referral-change", payload)

    def state(self, key: str) -> dict[str, Any]:
        referrals = sim_control.state(self.base_url, sections="referrals")["referrals"]
        return next(r for r in referrals if r["key"] == key)


def gateway(soap_url: str, ext: str = OURS, role: str = RECEPTION,
            **overrides: Any) -> ReferralGateway:
    options: dict[str, Any] = {
        "url": soap_url, "validate_responses": True, "connect_timeout": 2.0,
        "read_timeout": 10.0,
        "context": CallContext(ROOT, ext, role, "rejestracja-1", ""),
    }
    session = overrides.pop("session", None)
    signature_options = overrides.pop("signature_options", None)
    options.update(overrides)
    return ReferralGateway(GatewayConfig(**options), session=session,
                           signature_options=signature_options)
