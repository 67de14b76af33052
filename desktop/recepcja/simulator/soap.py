"""SOAP 1.1 in and out: hardened parsing, the contract schema, the context header, faults.

P1 validates a call in stages — transport security, context, XSD, business rules — and answers a
refusal at any stage with a SOAP fault carrying ``wyjatek`` {kodBleduMajor, kodBleduMinor, opis}.
This module does the XML side of those stages; the stages' order is in ``app``.

Hostile XML is refused before it can do harm: the parser never resolves entities, never loads a
DTD, never touches the network and keeps libxml2's size limits; any DOCTYPE at all is refused
(CeR has no use for one, and a DOCTYPE is what XXE and "billion laughs" need); bodies that are
not UTF-8 are refused too, so that the byte-level DOCTYPE check cannot be dodged by re-encoding.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from recepcja.simulator import errors
from recepcja.simulator.errors import CerError, clip

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_NS = "http://www.w3.org/2003/05/soap-envelope"
CER_NS = "urn:recepcja:model:csioz:p1:cer:v1"
WSSE_NS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU_NS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"

P1_CONTEXT_NS = "http://csioz.gov.pl/p1/kontekst/mt/v20180509"
P1_CONTEXT_PREFIX = "urn:csioz:p1:kontekst:"

CONTENT_TYPE = "text/xml; charset=utf-8"

_UTF16_32_MARKS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00")


def safe_parser() -> etree.XMLParser:
    """A parser that cannot be talked into reading files, the network or expanding entities."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
    )


def cer(name: str) -> str:
    return f"{{{CER_NS}}}{name}"


def sub(parent: etree._Element, name: str, text: object | None = None) -> etree._Element:
    """A ``cer:`` child, with text when given (booleans and numbers as XSD writes them)."""
    child = etree.SubElement(parent, cer(name))
    if text is not None:
        child.text = str(text).lower() if isinstance(text, bool) else str(text)
    return child


def bad_xml(opis: str) -> CerError:
    return CerError(errors.VALIDATION, errors.BAD_XML, opis)


def parse_xml(body: bytes) -> etree._Element:
    """The request body as an element tree, or ``NieprawidlowyXml``."""
    if not body.strip():
        raise bad_xml("Pusta treść żądania: oczekiwano koperty SOAP 1.1.")
    if body.startswith(_UTF16_32_MARKS) or b"\x00" in body[:64]:
        raise bad_xml("Nieobsługiwane kodowanie: CeR przyjmuje wyłącznie UTF-8.")
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        raise bad_xml("Deklaracje DOCTYPE i encje są niedozwolone.")
    try:
        root = etree.fromstring(body, parser=safe_parser())
    except etree.XMLSyntaxError as error:
        raise bad_xml(f"Treść nie jest poprawnym XML: {error.msg}") from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise bad_xml("Deklaracje DOCTYPE i encje są niedozwolone.")
    if (docinfo.encoding or "UTF-8").upper() != "UTF-8":
        raise bad_xml("Nieobsługiwane kodowanie: CeR przyjmuje wyłącznie UTF-8.")
    return root


@dataclass(frozen=True, slots=True)
class Envelope:
    root: etree._Element
    header: etree._Element | None
    payload: etree._Element

    @property
    def operation(self) -> str:
        return etree.QName(self.payload).localname

    @property
    def in_contract_namespace(self) -> bool:
        return etree.QName(self.payload).namespace == CER_NS


class VersionMismatch(CerError):
    """A SOAP 1.2 envelope: SOAP 1.1 answers it with ``soap:VersionMismatch``."""


def split_envelope(root: etree._Element) -> Envelope:
    """Header and the single Body payload of a SOAP 1.1 envelope."""
    if root.tag == f"{{{SOAP12_NS}}}Envelope":
        raise VersionMismatch(
            errors.VALIDATION, errors.SCHEMA, "CeR obsługuje SOAP 1.1, otrzymano kopertę SOAP 1.2."
        )
    if root.tag != f"{{{SOAP_NS}}}Envelope":
        raise CerError(errors.VALIDATION, errors.SCHEMA, "Oczekiwano koperty SOAP 1.1 (Envelope).")
    header = root.find(f"{{{SOAP_NS}}}Header")
    body = root.find(f"{{{SOAP_NS}}}Body")
    if body is None:
        raise CerError(errors.VALIDATION, errors.SCHEMA, "Koperta SOAP bez elementu Body.")
    payload = [child for child in body if isinstance(child.tag, str)]
    if len(payload) != 1:
        raise CerError(
            errors.VALIDATION, errors.SCHEMA, "Body musi zawierać dokładnie jeden element żądania."
        )
    return Envelope(root, header, payload[0])


@dataclass(frozen=True, slots=True)
class ContextRule:
    """Where a service expects its ``kontekstWywolania`` header, how its attributes are named and
    which must be given."""

    element: str  # Clark name of the header element
    prefix: str  # taken off each attribute name
    required: tuple[str, ...]


# P1's call context, the same for CeR and the e-referral service: P1's context namespace,
# ``urn:csioz:p1:kontekst:`` names; the provider's OID and the business role are required.
P1_CONTEXT = ContextRule(f"{{{P1_CONTEXT_NS}}}kontekstWywolania", P1_CONTEXT_PREFIX,
                         ("idPodmiotuOidRoot", "idPodmiotuOidExt", "rolaBiznesowa"))


class Contract:
    """The contract's XSD, shared by every request thread (validation is serialised: an lxml
    schema keeps one error log, which concurrent validations would mix up)."""

    def __init__(self, xsd_path: Path) -> None:
        self._schema = etree.XMLSchema(etree.parse(str(xsd_path), parser=safe_parser()))
        self._lock = threading.Lock()

    def problem(self, element: etree._Element) -> str | None:
        """None when ``element`` validates, else the first validator message."""
        with self._lock:
            if self._schema.validate(element):
                return None
            error = self._schema.error_log.last_error
            return f"{error.message} (wiersz {error.line})" if error else "niezgodność ze schematem"

    def check_payload(self, envelope: Envelope) -> None:
        problem = self.problem(envelope.payload)
        if problem:
            raise CerError(
                errors.VALIDATION, errors.SCHEMA, f"Żądanie niezgodne ze schematem: {problem}"
            )

    def read_context(self, envelope: Envelope, rule: ContextRule = P1_CONTEXT) -> dict[str, str]:
        """The context header's attributes by short name (``idPodmiotuOidRoot``: ``rule.prefix``
        taken off); ``BrakKontekstu`` when the header is missing, invalid or incomplete."""
        header = envelope.header
        context = None if header is None else header.find(rule.element)
        if context is None:
            raise CerError(
                errors.VALIDATION, errors.NO_CONTEXT,
                "Brak nagłówka kontekstWywolania (wymagane atrybuty: "
                + ", ".join(rule.prefix + name for name in rule.required) + ").",
            )
        problem = self.problem(context)
        if problem:
            raise CerError(
                errors.VALIDATION, errors.NO_CONTEXT,
                f"Nagłówek kontekstWywolania niezgodny ze schematem: {problem}",
            )
        namespace = etree.QName(rule.element).namespace
        values = {
            (item.findtext(f"{{{namespace}}}nazwa") or "").strip().removeprefix(rule.prefix):
                (item.findtext(f"{{{namespace}}}wartosc") or "").strip()
            for item in context.findall(f"{{{namespace}}}atrybut")
        }
        missing = [rule.prefix + name for name in rule.required if not values.get(name)]
        if missing:
            raise CerError(
                errors.VALIDATION, errors.NO_CONTEXT,
                "W kontekście wywołania brak atrybutów: " + ", ".join(missing) + ".",
            )
        return values


def _serialize(envelope: etree._Element) -> bytes:
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


def new_envelope(
    header_context: dict[str, str] | None = None, namespace: str = CER_NS
) -> tuple[etree._Element, etree._Element]:
    """An empty SOAP 1.1 envelope (optionally with P1's context header, ``header_context`` by
    short names); returns (envelope, body). ``namespace``: the service's, declared on the
    envelope."""
    prefix = "cer" if namespace == CER_NS else "skr"
    envelope = etree.Element(f"{{{SOAP_NS}}}Envelope", nsmap={"soap": SOAP_NS, prefix: namespace})
    if header_context:
        header = etree.SubElement(envelope, f"{{{SOAP_NS}}}Header")
        context = etree.SubElement(header, P1_CONTEXT.element, nsmap={"kon": P1_CONTEXT_NS})
        for name, value in header_context.items():
            item = etree.SubElement(context, f"{{{P1_CONTEXT_NS}}}atrybut")
            etree.SubElement(item, f"{{{P1_CONTEXT_NS}}}nazwa").text = P1_CONTEXT_PREFIX + name
            etree.SubElement(item, f"{{{P1_CONTEXT_NS}}}wartosc").text = value
    body = etree.SubElement(envelope, f"{{{SOAP_NS}}}Body")
    return envelope, body


def response_bytes(payload: etree._Element) -> bytes:
    envelope, body = new_envelope(namespace=etree.QName(payload).namespace or CER_NS)
    body.append(payload)
    return _serialize(envelope)


def fault_bytes(error: CerError, namespace: str = CER_NS) -> bytes:
    """A SOAP 1.1 fault with the ``wyjatek`` detail of the service in ``namespace``."""
    envelope, body = new_envelope(namespace=namespace)
    fault = etree.SubElement(body, f"{{{SOAP_NS}}}Fault")
    if isinstance(error, VersionMismatch):
        code = "soap:VersionMismatch"
    else:
        code = "soap:Client" if error.client_side else "soap:Server"
    etree.SubElement(fault, "faultcode").text = code
    etree.SubElement(fault, "faultstring").text = clip(error.opis)
    detail = etree.SubElement(fault, "detail")
    exception = etree.SubElement(detail, f"{{{namespace}}}wyjatek")
    for name, value in (("kodBleduMajor", error.major), ("kodBleduMinor", error.minor),
                        ("opis", clip(error.opis))):
        etree.SubElement(exception, f"{{{namespace}}}{name}").text = value
    return _serialize(envelope)


def malformed_bytes(operation: str) -> bytes:
    """What the ``malformed`` fault answers: the start of a plausible answer, cut off mid-tag."""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<soap:Envelope xmlns:soap="{SOAP_NS}" '
        f'xmlns:cer="{CER_NS}"><soap:Body><cer:{operation}Odpowiedz><cer:wynik><cer:kodMajor>'
        "urn:csioz:p1:kod:major:Suk"
    ).encode()
