"""XML plumbing shared by the gateway and the push receiver: namespaces, a hardened parser, and
validation against the contract's XSD. No zeep here (the push receiver does not need it).

Hardened means: no entity expansion, no DTD loading, no network, no huge trees, and a DOCTYPE
refused outright — a CeR message never has one, so any DOCTYPE is an attack or a mistake.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from lxml import etree

from recepcja.resources import resource

CER_NS = "urn:recepcja:model:csioz:p1:cer:v1"
SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"

# Larger than any legitimate message (5,000 slots with visits is ~10 MB; a notification is a
# few kB) and small enough that a hostile body cannot exhaust memory.
DEFAULT_MAX_BYTES = 16 * 1024 * 1024


class UnsafeXml(ValueError):
    """A document that is not well-formed, carries a DOCTYPE/entities, or is too large."""


def q(name: str) -> str:
    """Clark name of an element in the CeR namespace."""
    return f"{{{CER_NS}}}{name}"


def hardened_parser() -> etree.XMLParser:
    """A new parser per call: lxml parsers are not thread-safe."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def parse_untrusted(body: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> etree._Element:
    """Parse bytes from the network; refuse anything with a DOCTYPE, entities or over size."""
    if len(body) > max_bytes:
        raise UnsafeXml(f"message of {len(body)} bytes exceeds the limit of {max_bytes}")
    try:
        root = etree.fromstring(body, parser=hardened_parser())
    except etree.XMLSyntaxError as exc:
        raise UnsafeXml(f"not well-formed XML (line {exc.lineno})") from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise UnsafeXml("a DOCTYPE is not allowed in a CeR message")
    return root


@dataclass(frozen=True, slots=True)
class SchemaProblem:
    """Where a document broke the contract. ``path`` names elements only, never values, so it
    can be logged and shown (lxml's own messages quote the offending value, e.g. a PESEL)."""

    path: str
    line: int


class ContractSchema:
    """A contract's XSD (``cer.xsd`` unless told) as an lxml validator. One validator, one lock:
    validation writes the validator's error log, so concurrent use from two threads would mix up
    the reports."""

    def __init__(self, parts: tuple[str, ...] = ("cer", "cer.xsd")) -> None:
        path = resource(*parts)
        with path.open("rb") as fh:
            # base_url: an xs:import beside the file (P1's context schema) is found.
            doc = etree.parse(fh, parser=hardened_parser(), base_url=str(path))
        self._schema = etree.XMLSchema(doc)
        self._lock = threading.Lock()

    def problem(self, element: etree._Element) -> SchemaProblem | None:
        """None when ``element`` (a global element of the contract) is valid."""
        with self._lock:
            if self._schema.validate(element):
                return None
            entry = self._schema.error_log.last_error
            path = _element_path(entry.path if entry is not None else "")
            return SchemaProblem(path=path, line=entry.line if entry is not None else 0)


_SCHEMAS: dict[tuple[str, ...], ContractSchema] = {}
# libxml2 builds schemas with process-wide state: two threads building one at once (the
# replay's or publishing's workers, each with its own gateway, on their first call) can fail
# with XMLSchemaParseError. One build at a time, each schema once.
_SCHEMAS_LOCK = threading.Lock()


def schema_for(*parts: str) -> ContractSchema:
    """The shared validator of one contract's XSD: built once (~10 ms), immutable but for its
    lock."""
    with _SCHEMAS_LOCK:
        schema = _SCHEMAS.get(parts)
        if schema is None:
            schema = _SCHEMAS[parts] = ContractSchema(parts)
        return schema


def contract_schema() -> ContractSchema:
    """The CeR contract's validator."""
    return schema_for("cer", "cer.xsd")


def _element_path(xpath: str) -> str:
    """``/*[local-name()='x']/c:pacjent/c:pesel`` -> ``pacjent/pesel`` (names only)."""
    parts = []
    for step in xpath.split("/"):
        if not step:
            continue
        name = step.split(":")[-1].split("[")[0]
        if "local-name()" in step:
            name = step.split("'")[1] if "'" in step else "*"
        parts.append(name)
    return "/".join(parts) or "?"


def text(node: etree._Element | None, name: str) -> str | None:
    """Text of the CeR child ``name`` of ``node``, or None when absent."""
    if node is None:
        return None
    child = node.find(q(name))
    if child is None:
        return None
    return child.text or ""
