"""The simulator as a plain WSGI application: SOAP on ``/cer``, the WSDL, the control API.

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

from recepcja.resources import resource
from recepcja.simulator import control, errors
from recepcja.simulator.core import Simulator
from recepcja.simulator.errors import CerError
from recepcja.simulator.faults import FaultRule
from recepcja.simulator.operations import OPERATIONS, Call
from recepcja.simulator.signatures import SignatureVerifier
from recepcja.simulator.soap import (
    CER_NS,
    CONTENT_TYPE,
    Contract,
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
SERVICE_NAME = "CeRService"

StartResponse = Callable[..., Any]

_HTML_503 = (
    "<!DOCTYPE html><html lang=\"pl\"><head><title>503 Service Unavailable</title></head>"
    "<body><h1>Usługa chwilowo niedostępna</h1><p>Przepraszamy, trwają prace techniczne "
    "(symulator CeR).</p></body></html>"
).encode()


class AbortConnection(Exception):  # noqa: N818 - an instruction to the server, not an error
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
        self.contract = Contract(resource("cer", "cer.xsd"))
        self._wsdl_path: Path = resource("cer", "cer.wsdl")
        self._xsd_bytes = resource("cer", "cer.xsd").read_bytes()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET").upper()
        path = environ.get("PATH_INFO", "") or "/"
        if path.rstrip("/") == "/cer":
            if method == "POST":
                return self._soap(environ, start_response)
            if method in ("GET", "HEAD"):
                return self._documents(environ, start_response)
            return _plain(start_response, "405 Method Not Allowed", b"POST SOAP 1.1 to /cer\n")
        if path.startswith("/_control/"):
            return self._control(environ, start_response, method, path[len("/_control/"):])
        if path == "/":
            return _plain(start_response, "200 OK",
                          b"CeR simulator (a model of CeR): SOAP at /cer, WSDL at /cer?wsdl, "
                          b"control API at /_control/ - see docs/SIMULATOR.md\n")
        return _plain(start_response, "404 Not Found", b"not found\n")

    # -- SOAP -----------------------------------------------------------------------------------
    def _soap(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        started = time.monotonic()
        try:
            length = int(environ.get("CONTENT_LENGTH") or -1)
        except ValueError:
            length = -1
        if length > self.max_body_bytes:
            return self._too_large(start_response)
        stream = environ["wsgi.input"]
        body = stream.read(length if 0 <= length <= self.max_body_bytes
                           else self.max_body_bytes + 1)
        if len(body) > self.max_body_bytes:
            return self._too_large(start_response)

        envelope: Envelope | None = None
        problem: CerError | None = None
        try:
            envelope = split_envelope(parse_xml(body))
        except CerError as error:
            problem = error
        operation = envelope.operation if envelope is not None else "?"
        rule = self.sim.faults.take(operation)
        if rule is not None:
            early = self._fault_before(rule, operation, start_response)
            if early is not None:
                return early

        status, answer = "200 OK", b""
        try:
            if problem is not None:
                raise problem
            assert envelope is not None
            _check_soap_action(environ, envelope)
            answer = self._process(envelope)
        except CerError as error:
            status, answer = "500 Internal Server Error", fault_bytes(error)
        except Exception:
            logger.exception("simulator failure in %s", operation)
            status, answer = "500 Internal Server Error", fault_bytes(
                CerError(errors.TECHNICAL, errors.INTERNAL, "Wewnętrzny błąd symulatora CeR.")
            )
        if rule is not None and rule.kind == "drop_response":
            # The call is committed; now the answer is lost on its way back.
            self.sim.stopping.wait(rule.seconds)
            logger.info("fault drop_response: %s committed, answer withheld", operation)
            raise AbortConnection
        logger.debug("%s -> %s in %.1f ms", operation, status[:3],
                     (time.monotonic() - started) * 1000)
        return _respond(start_response, status, CONTENT_TYPE, answer)

    def _process(self, envelope: Envelope) -> bytes:
        if self.verifier is not None:
            self.verifier.verify(envelope.root)
        caller = self.contract.read_context(envelope)
        handler = OPERATIONS.get(envelope.operation) if envelope.in_contract_namespace else None
        if handler is None:
            raise CerError(
                errors.VALIDATION, errors.SCHEMA,
                f"Nieznana operacja {etree.QName(envelope.payload).text}: CeR jej nie udostępnia.",
            )
        self.contract.check_payload(envelope)
        call = Call(self.sim.store, self.sim.clock, caller, self.sim.clock.now())
        answer = handler(call, envelope.payload)
        if self.validate_responses:
            mismatch = self.contract.problem(answer)
            if mismatch:
                logger.error("answer to %s breaks the contract: %s", envelope.operation, mismatch)
                raise CerError(errors.TECHNICAL, errors.INTERNAL,
                               f"Odpowiedź symulatora niezgodna ze schematem: {mismatch}")
        return response_bytes(answer)

    def _fault_before(
        self, rule: FaultRule, operation: str, start_response: StartResponse
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
            return _respond(start_response, "500 Internal Server Error", CONTENT_TYPE, fault_bytes(
                CerError(errors.TECHNICAL, errors.INTERNAL,
                         "Wewnętrzny błąd systemu CeR. Spróbuj ponownie później.")
            ))
        if rule.kind == "http503":
            return _respond(start_response, "503 Service Unavailable", "text/html; charset=utf-8",
                            _HTML_503, [("Retry-After", "5")])
        if rule.kind == "malformed":
            return _respond(start_response, "200 OK", CONTENT_TYPE, malformed_bytes(operation))
        return None  # drop_response: acts after processing

    def _too_large(self, start_response: StartResponse) -> Iterable[bytes]:
        error = CerError(
            errors.VALIDATION, errors.BAD_XML,
            f"Treść żądania przekracza {self.max_body_bytes // (1024 * 1024)} MB.",
        )
        return _respond(start_response, "413 Request Entity Too Large", CONTENT_TYPE,
                        fault_bytes(error))

    # -- WSDL and XSD ---------------------------------------------------------------------------
    def _documents(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        query = environ.get("QUERY_STRING", "")
        params = parse_qs(query, keep_blank_values=True)
        base = _base_url(environ)
        if query.lower() == "wsdl" or "wsdl" in params:
            return _respond(start_response, "200 OK", CONTENT_TYPE, self._wsdl(base))
        if params.get("xsd") == ["cer.xsd"]:
            return _respond(start_response, "200 OK", CONTENT_TYPE, self._xsd_bytes)
        return _plain(start_response, "404 Not Found", b"GET /cer?wsdl or /cer?xsd=cer.xsd\n")

    def _wsdl(self, base: str) -> bytes:
        """The shipped WSDL, pointing at this server and at its own copy of the XSD."""
        tree = etree.parse(str(self._wsdl_path), parser=safe_parser())
        for address in tree.iterfind(
            f"{{{WSDL_NS}}}service[@name='{SERVICE_NAME}']/{{{WSDL_NS}}}port/"
            f"{{{WSDL_SOAP_NS}}}address"
        ):
            address.set("location", f"{base}/cer")
        for include in tree.iter(f"{{{XS_NS}}}include"):
            include.set("schemaLocation", f"{base}/cer?xsd=cer.xsd")
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


def _check_soap_action(environ: dict[str, Any], envelope: Envelope) -> None:
    """SOAP 1.1 over HTTP: the ``SOAPAction`` header names the operation, and a P1 service
    refuses a call whose header is missing or names another one than the body holds."""
    if not envelope.in_contract_namespace:
        return  # an unknown operation: refused by the contract check with its own fault
    action = (environ.get("HTTP_SOAPACTION") or "").strip().strip('"')
    expected = f"{CER_NS}/{envelope.operation}"
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
