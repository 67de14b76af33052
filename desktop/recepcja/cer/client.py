"""The zeep side of the gateway: client, transport, request checks, reading the answer.

Imported only when a gateway makes its first call (``import zeep`` costs ~0.13 s of cold
start). zeep does what it is good at — building the envelope from the WSDL, the SOAP header,
the SOAPAction, WS-Security plugins, posting — and runs with ``raw_response`` so that the
answer is read by ``read_answer`` below with the hardened parser and the lxml readers of
``mapping.py`` (see that module for why).
"""

from __future__ import annotations

from typing import Any

import zeep
from lxml import etree
from zeep.exceptions import Fault, TransportError
from zeep.plugins import Plugin
from zeep.transports import Transport

from recepcja.cer.contract import CER, ServiceContract
from recepcja.cer.errors import (
    MAJOR_SUCCESS,
    MSG_BAD_ANSWER,
    MSG_BAD_REQUEST,
    CerBug,
    error_from_codes,
)
from recepcja.cer.types import CallContext, GatewayConfig
from recepcja.cer.wire import SOAP_NS, parse_untrusted
from recepcja.resources import resource


class QuietTransport(Transport):
    """zeep's transport without its DEBUG logging of whole envelopes (they carry PESELs), with
    connect and read timeouts on every request, and with no way to fetch anything remote
    while loading the WSDL (it and the XSD come from ``resources/``)."""

    def __init__(self, session: Any, connect_timeout: float, read_timeout: float) -> None:
        # zeep hands ``operation_timeout`` to requests as ``timeout=`` unchanged, so a
        # (connect, read) tuple works; zeep's default is None, i.e. wait forever. ``timeout``
        # only applies to loading documents, which here are local files.
        super().__init__(
            cache=None,
            timeout=connect_timeout,
            operation_timeout=(connect_timeout, read_timeout),
            session=session,
        )

    # ``verify`` goes with every request: requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE
    # from the environment override a *session's* CA bundle (psf/requests#3829), which would
    # silently drop the CA configured for CeR on machines that set those variables.

    def post(self, address: str, message: bytes | str, headers: dict[str, str]) -> Any:
        return self.session.post(
            address,
            data=message,
            headers=headers,
            timeout=self.operation_timeout,
            verify=self.session.verify,
        )

    def get(self, address: str, params: Any, headers: dict[str, str]) -> Any:
        return self.session.get(
            address,
            params=params,
            headers=headers,
            timeout=self.operation_timeout,
            verify=self.session.verify,
        )

    def load(self, url: str) -> bytes:
        if "://" in url and not url.startswith("file://"):
            raise CerBug(
                MSG_BAD_REQUEST,
                path="WSDL import from the network",
            )
        return super().load(url)


class ContractCheck(Plugin):
    """Validates each outgoing body and context header against the contract's XSD before it
    leaves.

    zeep checks required elements and types but not facets (patterns, lengths), so a bad
    phone number or a 6-digit postal code would otherwise reach CeR and come back as a
    ``NiezgodnoscZeSchematem`` fault — after a round trip, with personal data sent for
    nothing. Here it is a ``CerBug`` with ``may_have_committed`` False.
    """

    def __init__(self, contract: ServiceContract = CER) -> None:
        self._contract = contract

    def egress(self, envelope: Any, http_headers: Any, operation: Any, binding_options: Any) -> Any:
        schema = self._contract.schema()
        body = envelope.find(f"{{{SOAP_NS}}}Body")
        parts = [body[0]] if body is not None and len(body) else []
        header = envelope.find(f"{{{SOAP_NS}}}Header")
        if header is not None:
            parts.extend(header.iterfind(self._contract.context.element))
        for part in parts:
            problem = schema.problem(part)
            if problem is not None:
                raise CerBug(
                    MSG_BAD_REQUEST,
                    operation=getattr(operation, "name", None),
                    path=problem.path,
                )
        return envelope, http_headers


def build_client(
    config: GatewayConfig, session: Any, wsse: Any = None, contract: ServiceContract = CER
) -> tuple[Any, Any]:
    """(zeep Client, service proxy of ``contract`` bound to ``config.url``)."""
    settings = zeep.Settings(
        strict=True,
        raw_response=True,
        xml_huge_tree=False,
        forbid_dtd=True,
        forbid_entities=True,
        forbid_external=True,
    )
    transport = QuietTransport(session, config.connect_timeout, config.read_timeout)
    plugins = [ContractCheck(contract)] if config.validate_requests else []
    client = zeep.Client(
        str(resource(*contract.wsdl)),
        transport=transport,
        settings=settings,
        wsse=wsse,
        plugins=plugins,
    )
    service = client.create_service(contract.binding, config.url)
    return client, service


def context_header(client: Any, context: CallContext, contract: ServiceContract = CER) -> Any:
    element = client.get_element(contract.context.element)
    return element(
        atrybut=[
            {"nazwa": name, "wartosc": value}
            for name, value in contract.context.attributes(context)
        ]
    )


def read_answer(
    response: Any,
    operation: str,
    *,
    validate: bool = False,
    max_bytes: int | None = None,
    contract: ServiceContract = CER,
) -> etree._Element:
    """The answer element inside the SOAP Body of a raw HTTP response, checked.

    Raises zeep's own ``TransportError`` / ``Fault`` (so ``map_exception`` sees the same types
    zeep itself would raise), our ``UnsafeXml`` for hostile or malformed bodies, and typed
    errors for a non-success ``wynik`` or an answer that breaks the contract.
    """
    status = int(response.status_code)
    content = response.content or b""
    media = (response.headers.get("Content-Type") or "text/xml").split(";")[0].strip().lower()
    if status != 200 and (not content or "xml" not in media):
        # An HTML error page from a proxy, or nothing: only the status means anything.
        raise TransportError(f"HTTP {status}", status_code=status)
    kwargs = {"max_bytes": max_bytes} if max_bytes else {}
    try:
        doc = parse_untrusted(content, **kwargs)
    except ValueError:
        if status != 200:
            raise TransportError(f"HTTP {status}", status_code=status) from None
        raise
    body = doc.find(f"{{{SOAP_NS}}}Body")
    fault = body.find(f"{{{SOAP_NS}}}Fault") if body is not None else None
    if fault is not None:
        raise Fault(
            message=fault.findtext("faultstring") or "",
            code=fault.findtext("faultcode"),
            actor=fault.findtext("faultactor"),
            detail=fault.find("detail"),
        )
    if status != 200:
        raise TransportError(f"HTTP {status}", status_code=status)
    answer = next(
        (child for child in (body if body is not None else ()) if isinstance(child.tag, str)), None
    )
    if answer is None or etree.QName(answer).localname != operation + "Odpowiedz":
        raise CerBug(
            MSG_BAD_ANSWER,
            operation=operation,
            may_have_committed=True,
            path="Body",
        )
    result = answer.find(contract.q("wynik"))
    major = contract.text(result, "kodMajor")
    if major is not None and major != MAJOR_SUCCESS:
        raise error_from_codes(
            major, contract.text(result, "kodMinor") or "",
            contract.text(result, "komunikat") or "", operation,
        )
    if validate:
        problem = contract.schema().problem(answer)
        if problem is not None:
            raise CerBug(
                MSG_BAD_ANSWER,
                operation=operation,
                may_have_committed=True,
                path=problem.path,
            )
    return answer
