"""Reading the notifications CeR pushes to our endpoint, and the answer we give.

The receiver (sync layer) is an HTTP endpoint open to the network, so its input is hostile
until proven otherwise: the body is size-checked before parsing, parsed with entity expansion,
DTDs and network access off, refused if it has a DOCTYPE, and validated against the
contract's XSD before a single field is read. No zeep here: the receiver must start fast and
has no use for a SOAP client.
"""

from __future__ import annotations

from lxml import etree

from recepcja.cer.errors import CerBug
from recepcja.cer.mapping import parse_notification
from recepcja.cer.types import CerNotification
from recepcja.cer.wire import (
    CER_NS,
    SOAP_NS,
    UnsafeXml,
    contract_schema,
    parse_untrusted,
    q,
)
from recepcja.domain.errors import N_

MSG_BAD_PUSH = N_("A notification from CeR does not match the contract (at {path}).")

# One notification is a few kB; 256 kB leaves room for long names and a signature header.
PUSH_MAX_BYTES = 256 * 1024


class HostileInput(CerBug):
    """A pushed body that is oversized, not well-formed, or carries a DOCTYPE/entities.

    The receiver answers 400 and keeps serving; nothing in the body was read.
    """


def parse_push_notification(body: bytes, *, max_bytes: int = PUSH_MAX_BYTES) -> CerNotification:
    """The notification in a ``przekazNotyfikacje`` SOAP envelope.

    Raises ``HostileInput`` for oversized, malformed or DTD-carrying bodies and ``CerBug`` for
    well-formed XML that is not a valid ``przekazNotyfikacje`` (wrong operation, schema
    violation). Messages name elements only, never values (they may be PESELs).
    """
    operation = "przekazNotyfikacje"
    try:
        root = parse_untrusted(body, max_bytes=max_bytes)
    except UnsafeXml:
        raise HostileInput(
            N_("A notification was refused: the message is too large, malformed or unsafe."),
            operation=operation,
        ) from None
    if root.tag != f"{{{SOAP_NS}}}Envelope":
        raise CerBug(MSG_BAD_PUSH, operation=operation, path="Envelope")
    body_node = root.find(f"{{{SOAP_NS}}}Body")
    message = body_node.find(q(operation)) if body_node is not None else None
    if message is None:
        raise CerBug(MSG_BAD_PUSH, operation=operation, path=f"Body/{operation}")
    problem = contract_schema().problem(message)
    if problem is not None:
        raise CerBug(MSG_BAD_PUSH, operation=operation, path=problem.path)
    node = message.find(q("notyfikacja"))
    assert node is not None  # the schema requires it
    return parse_notification(node)


def push_ack_response() -> bytes:
    """The ``przekazNotyfikacjeOdpowiedz`` envelope acknowledging a stored notification."""
    soap = f"{{{SOAP_NS}}}"
    envelope = etree.Element(soap + "Envelope", nsmap={"soap": SOAP_NS, "cer": CER_NS})
    etree.SubElement(envelope, soap + "Body")
    answer = etree.SubElement(envelope[0], q("przekazNotyfikacjeOdpowiedz"))
    result = etree.SubElement(answer, q("wynik"))
    etree.SubElement(result, q("kodMajor")).text = "urn:csioz:p1:kod:major:Sukces"
    body: bytes = etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")
    return body
