"""The simulator as a plain WSGI application: SOAP on ``/cer`` (CeR) and ``/p1/skierowania`` (P1's
e-referrals, see ``services``), their WSDLs, the control API.

A SOAP call goes through P1's stages in P1's order, each refusing with its own fault:
size and well-formedness (``NieprawidlowyXml``; 413 when too large) → transport security (the
WS-Security signature, when ``--verify-signatures``) → context (``BrakKontekstu``) → XSD
(``NiezgodnoscZeSchematem``) → business rules. Injected faults (``faults``) act before all of it,
as a network or a broken front end would — except ``drop_response``, which lets the call commit
and then withholds the answer.

Closing a connection without answering is not something WSGI can express, so the app raises
``AbortConnection`` and the server adapter (``server``) closes the socket without writing a byte.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from lxml import etree

from recepcja.simulator import control, errors
from recepcja.simulator.core import Simulator
from recepcja.simulator.errors import CerError
from recepcja.simulator.faults import FaultRule
from recepcja.simulator.operations import Call
from recepcja.simulator.services import SoapService, all_services
from recepcja.simulator.signatures import SignatureVerifier
from recepcja.simulator.soap import (
    CONTENT_TYPE,
    Envelope,
    fault_bytes,
    malformed_bytes,
    parse_xml,
    response_bytes,
    safe_parser,
    split_envelope,
)

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 5 * 1024 * 1024
WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"
WSDL_SOAP_NS = "http://schemas.xmlsoap.org/wsdl/soap/"
XS_NS = "http://www.w3.org/2001/XMLSchema"

StartResponse = Callable[..., Any]

_HTML_503 = (
    "<!DOCTYPE html><html lang=\"pl\"><head><title>503 Service Unavailable</title></head>"
    "<body><h1>Usługa chwilowo niedostępna</h1><p>Przepraszamy, trwają prace techniczne "
    "(symulator CeR).</p></body></html>"
).encode()


class AbortConnection(Exception):  # an instruction to the server, not an error
    """Close the client's connection without writing any answer (see ``server``)."""


class SimulatorApp:
    """The WSGI callable. ``validate_responses`` also checks every answer against the XSD
    (tests turn it on: an answer that breaks the contract becomes a loud ``BladWewnetrzny``)."""

    def __init__(
        self,
        simulator: Simulator,
        *,
        verifier: SignatureVerifier | None = None,
        validate_responses: bool = False,
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        self.sim = simulator
        self.verifier = verifier
        self.validate_responses = validate_responses
        self.max_body_bytes = max_body_bytes
        self.services = {service.path: service for service in all_services()}

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET").upper()
        path = environ.get("PATH_INFO", "") or "/"
        service = self.services.get(path.rstrip("/"))
        if service is not None:
            if method == "POST":
                return self._soap(environ, start_response, service)
            if method in ("GET", "HEAD"):
                return self._documents(environ, start_response, service)
            return _plain(start_response, "405 Method Not Allowed",
                          f"POST SOAP 1.1 to {service.path}\n".encode())
        if path.startswith("/_control/"):
            return self._control(environ, start_response, method, path[len("/_control/"):])
        if path == "/":
            return _plain(start_response, "200 OK",
                          b"CeR simulator (a model of CeR): SOAP at /cer, WSDL at /cer?wsdl; "
                          b"P1 e-referrals (a model) at /p1/skierowania?wsdl; "
                          b"control API at /_control/ - see docs/SIMULATOR.md\n")
        return _plain(start_response, "404 Not Found", b"not found\n")

    # -- SOAP -----------------------------------------------------------------------------------
    def _soap(
        self, environ: dict[str, Any], start_response: StartResponse, service: SoapService
    ) -> Iterable[bytes]:
        started = time.monotonic()
        try:
            length = int(environ.get("CONTENT_LENGTH") or -1)
        except ValueError:
            length = -1
        if length > self.max_body_bytes:
            return self._too_large(start_response, service)
        stream = environ["wsgi.input"]
        body = stream.read(length if 0 <= length <= self.max_body_bytes
                           else self.max_body_bytes + 1)
        if len(body) > self.max_body_bytes:
            return self._too_large(start_response, service)

        envelope: Envelope | None = None
        problem: CerError | None = None
        try:
            envelope = split_envelope(parse_xml(body))
        except CerError as error:
            problem = error
        operation = envelope.operation if envelope is not None else "?"
        rule = self.sim.faults.take(operation)
        if rule is not None:
            early = self._fault_before(rule, operation, start_response, service)
            if early is not None:
                return early

        status, answer = "200 OK", b""
        try:
            if problem is not None:
                raise problem
            assert envelope is not None
            _check_soap_action(environ, envelope, service)
            answer = self._process(envelope, service)
        except CerError as error:
            status, answer = "500 Internal Server Error", self._fault(error, service)
        except Exception:
            logger.exception("simulator failure in %s", operation)
            status, answer = "500 Internal Server Error", self._fault(
                CerError(errors.TECHNICAL, errors.INTERNAL, "Wewnętrzny błąd symulatora CeR."),
                service,
            )
        if rule is not None and rule.kind == "drop_response":
            # The call is committed; now the answer is lost on its way back.
            self.sim.stopping.wait(rule.seconds)
            logger.info("fault drop_response: %s committed, answer withheld", operation)
            raise AbortConnection
        logger.debug("%s -> %s in %.1f ms", operation, status[:3],
                     (time.monotonic() - started) * 1000)
        return _respond(start_response, status, CONTENT_TYPE, answer)

    @staticmethod
    def _fault(error: CerError, service: SoapService) -> bytes:
        return fault_bytes(service.recode(error), service.namespace)

    def _process(self, envelope: Envelope, service: SoapService) -> bytes:
        if self.verifier is not None:
            self.verifier.verify(envelope.root, max_lifetime=service.timestamp_lifetime)
        caller = service.caller(envelope)
        in_namespace = etree.QName(envelope.payload).namespace == service.namespace
        handler = service.operations.get(envelope.operation) if in_namespace else None
        if handler is None:
            raise CerError(
                errors.VALIDATION, errors.SCHEMA,
                f"Nieznana operacja {etree.QName(envelope.payload).text}: CeR jej nie udostępnia.",
            )
        service.contract.check_payload(envelope)
        call = Call(self.sim.store, self.sim.clock, caller, self.sim.clock.now())
        answer = handler(call, envelope.payload)
        if self.validate_responses:
            mismatch = service.contract.problem(answer)
            if mismatch:
                logger.error("answer to %s breaks the contract: %s", envelope.operation, mismatch)
                raise CerError(errors.TECHNICAL, errors.INTERNAL,
                               f"Odpowiedź symulatora niezgodna ze schematem: {mismatch}")
        return response_bytes(answer)

    def _fault_before(
        self, rule: FaultRule, operation: str, start_response: StartResponse,
        service: SoapService,
    ) -> Iterable[bytes] | None:
        """Faults that act before the call is processed; None lets processing go on."""
        logger.info("fault %s on %s", rule.kind, operation)
        if rule.kind == "down":
            raise AbortConnection
        if rule.kind == "timeout":
            self.sim.stopping.wait(rule.seconds)
            raise AbortConnection
        if rule.kind == "delay":
            self.sim.stopping.wait(rule.seconds)
            return None
        if rule.kind == "http500":
            return _respond(start_response, "500 Internal Server Error", CONTENT_TYPE, self._fault(
                CerError(errors.TECHNICAL, errors.INTERNAL,
                         "Wewnętrzny błąd systemu CeR. Spróbuj ponownie później."), service
            ))
        if rule.kind == "http503":
            return _respond(start_response, "503 Service Unavailable", "text/html; charset=utf-8",
                            _HTML_503, [("Retry-After", "5")])
        if rule.kind == "malformed":
            return _respond(start_response, "200 OK", CONTENT_TYPE, malformed_bytes(operation))
        return None  # drop_response: acts after processing

    def _too_large(
        self, start_response: StartResponse, service: SoapService
    ) -> Iterable[bytes]:
        error = CerError(
            errors.VALIDATION, errors.BAD_XML,
            f"Treść żądania przekracza {self.max_body_bytes // (1024 * 1024)} MB.",
        )
        return _respond(start_response, "413 Request Entity Too Large", CONTENT_TYPE,
                        self._fault(error, service))

    # -- WSDL and XSD ---------------------------------------------------------------------------
    def _documents(
        self, environ: dict[str, Any], start_response: StartResponse, service: SoapService
    ) -> Iterable[bytes]:
        query = environ.get("QUERY_STRING", "")
        params = parse_qs(query, keep_blank_values=True)
        base = _base_url(environ) + service.path
        if query.lower() == "wsdl" or "wsdl" in params:
            return _respond(start_response, "200 OK", CONTENT_TYPE, self._wsdl(base, service))
        wanted = params.get("xsd", [""])[-1]
        if len(params.get("xsd", [])) == 1 and wanted in service.schemas:
            return _respond(start_response, "200 OK", CONTENT_TYPE,
                            _pointed(service.schemas[wanted], base))
        first = next(iter(service.schemas))
        return _plain(start_response, "404 Not Found",
                      f"GET {service.path}?wsdl or {service.path}?xsd={first}\n".encode())

    @staticmethod
    def _wsdl(base: str, service: SoapService) -> bytes:
        """The shipped WSDL, pointing at this server and at its own copies of the XSDs."""
        tree = etree.parse(str(service.wsdl), parser=safe_parser())
        for address in tree.iterfind(
            f"{{{WSDL_NS}}}service[@name='{service.service_name}']/{{{WSDL_NS}}}port/"
            f"{{{WSDL_SOAP_NS}}}address"
        ):
            address.set("location", base)
        _point_schemas(tree, base)
        return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")

    # -- control API ----------------------------------------------------------------------------
    def _control(
        self, environ: dict[str, Any], start_response: StartResponse, method: str, name: str
    ) -> Iterable[bytes]:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > control.MAX_CONTROL_BODY:
            status, answer = 413, {"error": "control requests are small JSON documents"}
        else:
            body = environ["wsgi.input"].read(length) if length > 0 else b""
            query = {key: values[-1] for key, values in
                     parse_qs(environ.get("QUERY_STRING", "")).items()}
            status, answer = control.handle(self.sim, method, name.strip("/"), query, body)
        payload = json.dumps(answer, ensure_ascii=False).encode("utf-8")
        reason = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed",
                  409: "Conflict", 413: "Request Entity Too Large"}.get(status, "Error")
        return _respond(start_response, f"{status} {reason}", "application/json; charset=utf-8",
                        payload)


def _point_schemas(tree: etree._ElementTree, base: str) -> None:
    """``xs:include`` / ``xs:import`` of a served document point at this server's copies."""
    for node in (*tree.iter(f"{{{XS_NS}}}include"), *tree.iter(f"{{{XS_NS}}}import")):
        location = node.get("schemaLocation")
        if location:
            node.set("schemaLocation", f"{base}?xsd={Path(location).name}")


def _pointed(path: Path, base: str) -> bytes:
    """A shipped XSD as served: its imports point at this server's copies."""
    tree = etree.parse(str(path), parser=safe_parser())
    _point_schemas(tree, base)
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


def _check_soap_action(environ: dict[str, Any], envelope: Envelope,
                       service: SoapService) -> None:
    """SOAP 1.1 over HTTP: the ``SOAPAction`` header names the operation, and a P1 service
    refuses a call whose header is missing or names another one than the body holds."""
    if etree.QName(envelope.payload).namespace != service.namespace:
        return  # an unknown operation: refused by the contract check with its own fault
    action = (environ.get("HTTP_SOAPACTION") or "").strip().strip('"')
    expected = f"{service.namespace}/{envelope.operation}"
    if action != expected:
        raise CerError(
            errors.VALIDATION, errors.BAD_SOAP_ACTION,
            f"Nagłówek SOAPAction \"{action}\" nie odpowiada operacji {envelope.operation} "
            f"(oczekiwano \"{expected}\").",
        )


def _base_url(environ: dict[str, Any]) -> str:
    scheme = environ.get("wsgi.url_scheme", "http")
    host = environ.get("HTTP_HOST")
    if not host:
        host = f"{environ.get('SERVER_NAME', '127.0.0.1')}:{environ.get('SERVER_PORT', '80')}"
    return f"{scheme}://{host}"


def _respond(
    start_response: StartResponse,
    status: str,
    content_type: str,
    body: bytes,
    extra: list[tuple[str, str]] | None = None,
) -> list[bytes]:
    headers = [("Content-Type", content_type), ("Content-Length", str(len(body)))]
    start_response(status, headers + (extra or []))
    return [body]


def _plain(start_response: StartResponse, status: str, body: bytes) -> list[bytes]:
    return _respond(start_response, status, "text/plain; charset=utf-8", body)
