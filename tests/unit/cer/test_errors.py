"""Every way a CeR call can fail, and the typed error the gateway raises for it.

Failures are produced the way the libraries produce them — requests adapters raising what
``HTTPAdapter`` raises (wrapping urllib3 the same way), answers with the statuses and bodies
proxies and servers send — and go through the whole gateway, not just ``map_exception``.
"""

from __future__ import annotations

import http.client

import pytest
import requests
from cer_fakes import envelope, fault
from urllib3 import exceptions as u3

from recepcja.cer.errors import (
    CerAccessDenied,
    CerBug,
    CerConfigError,
    CerConflict,
    CerError,
    CerRejected,
    CerTemporary,
    CerUnreachable,
    error_from_codes,
    map_exception,
    parse_fault_detail,
)
from recepcja.i18n import translate_error

URL = "http://cer.test/cer"


def raising(exc: BaseException):
    def handler(request):
        raise exc

    return handler


def answering(status: int, body: bytes, content_type: str = "text/xml; charset=utf-8"):
    return lambda request: (status, body, content_type)


def _max_retry(reason: Exception) -> u3.MaxRetryError:
    return u3.MaxRetryError(None, URL, reason)


REFUSED = u3.NewConnectionError(
    None, "Failed to establish a new connection: [Errno 111] Connection refused"
)
DNS = u3.NameResolutionError("cer.test", None, OSError("Name or service not known"))

# (id, handler, expected class, may_have_committed)
CASES = [
    (
        "connection refused",
        raising(requests.ConnectionError(_max_retry(REFUSED))),
        CerUnreachable,
        False,
    ),
    ("dns failure", raising(requests.ConnectionError(_max_retry(DNS))), CerUnreachable, False),
    (
        "connect timeout",
        raising(
            requests.exceptions.ConnectTimeout(
                _max_retry(u3.ConnectTimeoutError(None, "timed out"))
            )
        ),
        CerUnreachable,
        False,
    ),
    (
        "tls handshake",
        raising(requests.exceptions.SSLError(_max_retry(u3.SSLError("certificate verify failed")))),
        CerAccessDenied,
        False,
    ),
    ("invalid url", raising(requests.exceptions.InvalidURL("bad")), CerConfigError, False),
    (
        "read timeout",
        raising(requests.exceptions.ReadTimeout(u3.ReadTimeoutError(None, URL, "Read timed out."))),
        CerTemporary,
        True,
    ),
    (
        "connection dropped after sending",
        raising(
            requests.ConnectionError(
                u3.ProtocolError("Connection aborted.", http.client.RemoteDisconnected("closed"))
            )
        ),
        CerTemporary,
        True,
    ),
    (
        "connection reset",
        raising(
            requests.ConnectionError(
                u3.ProtocolError("Connection aborted.", ConnectionResetError(104, "reset"))
            )
        ),
        CerTemporary,
        True,
    ),
    (
        "broken chunked body",
        raising(requests.exceptions.ChunkedEncodingError("broken")),
        CerTemporary,
        True,
    ),
    ("http 500 without body", answering(500, b""), CerTemporary, True),
    (
        "http 502 html",
        answering(502, b"<html><body>Bad gateway</body></html>", "text/html"),
        CerTemporary,
        True,
    ),
    (
        "http 503 html",
        answering(503, b"<!DOCTYPE html><html><body>Przerwa techniczna</body></html>", "text/html"),
        CerTemporary,
        False,
    ),
    ("http 429", answering(429, b""), CerTemporary, False),
    ("http 404", answering(404, b"not found", "text/plain"), CerConfigError, False),
    ("http 403", answering(403, b"", "text/plain"), CerAccessDenied, False),
    ("http 400", answering(400, b"", "text/plain"), CerBug, False),
    ("malformed xml", answering(200, b"<s:Envelope><broken"), CerTemporary, True),
    ("truncated answer", answering(200, envelope("sprawdzStatus", "")[:-40]), CerTemporary, True),
    (
        "xml with a doctype",
        answering(200, b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]><x>&e;</x>'),
        CerTemporary,
        True,
    ),
    (
        "soap 500 that is not a fault",
        answering(
            500,
            b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body/></s:Envelope>',
        ),
        CerTemporary,
        True,
    ),
    (
        "fault BladWewnetrzny",
        answering(500, fault("BladTechniczny", "BladWewnetrzny", "Awaria", "s:Server")),
        CerTemporary,
        True,
    ),
    (
        "fault TerminZajety",
        answering(500, fault("BladBiznesowy", "TerminZajety", "Termin zajęty")),
        CerConflict,
        False,
    ),
    (
        "fault IdentyfikatorWizytyUzyty",
        answering(500, fault("BladBiznesowy", "IdentyfikatorWizytyUzyty", "Identyfikator użyty")),
        CerConflict,
        False,
    ),
    (
        "fault NieZnaleziono",
        answering(500, fault("BladBiznesowy", "NieZnaleziono", "Brak slotu")),
        CerRejected,
        False,
    ),
    (
        "fault NiedozwolonyStan",
        answering(500, fault("BladBiznesowy", "NiedozwolonyStan", "MUŚ nieaktywne")),
        CerRejected,
        False,
    ),
    (
        "fault NiewystarczajacyHoryzont",
        answering(500, fault("BladBiznesowy", "NiewystarczajacyHoryzont", "Za mało terminów")),
        CerRejected,
        False,
    ),
    (
        "fault WizytaAnulowana",
        answering(500, fault("BladBiznesowy", "WizytaAnulowana", "Już anulowana")),
        CerRejected,
        False,
    ),
    (
        "fault NiezgodnoscZeSchematem",
        answering(
            500, fault("BladWalidacji", "NiezgodnoscZeSchematem", "Niezgodność ze schematem")
        ),
        CerBug,
        False,
    ),
    (
        "fault BrakKontekstu",
        answering(500, fault("BladWalidacji", "BrakKontekstu", "Brak kontekstu")),
        CerBug,
        False,
    ),
    (
        "fault bad signature",
        answering(500, fault("BladBezpieczenstwa", "NieprawidlowyPodpis", "Podpis nieprawidłowy")),
        CerAccessDenied,
        False,
    ),
    (
        "fault without P1 detail, server",
        answering(
            500,
            b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault>'
            b"<faultcode>s:Server</faultcode><faultstring>oops</faultstring></s:Fault></s:Body></s:Envelope>",
        ),
        CerTemporary,
        True,
    ),
    (
        "fault without P1 detail, client",
        answering(
            500,
            b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault>'
            b"<faultcode>s:Client</faultcode><faultstring>bad</faultstring></s:Fault></s:Body></s:Envelope>",
        ),
        CerBug,
        False,
    ),
    (
        "non-success wynik in a 200 answer",
        answering(
            200,
            envelope("sprawdzStatus", "").replace(
                b"urn:csioz:p1:kod:major:Sukces</c:kodMajor>",
                b"urn:csioz:p1:kod:major:BladBiznesowy</c:kodMajor>"
                b"<c:kodMinor>urn:csioz:p1:cer:kod:minor:NiedozwolonyStan</c:kodMinor>",
            ),
        ),
        CerRejected,
        False,
    ),
    (
        "answer of another operation",
        answering(200, envelope("aktywujMus", "<c:stan>AKTYWNE</c:stan>")),
        CerBug,
        True,
    ),
    (
        "answer breaking the contract",
        answering(200, envelope("sprawdzStatus", "<c:czasSerwera>wczoraj</c:czasSerwera>")),
        CerBug,
        True,
    ),
    ("unexpected exception", raising(RuntimeError("surprise")), CerBug, True),
]


@pytest.mark.parametrize(
    ("handler", "expected", "committed"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_failure_maps_to_typed_error(make_gateway, fake_cer, handler, expected, committed):
    fake_cer.handler = handler
    with pytest.raises(CerError) as caught:
        make_gateway().status()
    error = caught.value
    assert type(error) is expected, repr(error)
    assert error.may_have_committed is committed
    assert error.operation == "sprawdzStatus"
    assert translate_error(error)  # formats with its params, in Polish
    assert "Traceback" not in str(error)


def test_unreachable_and_temporary_never_overlap():
    assert not issubclass(CerTemporary, CerUnreachable)
    assert issubclass(CerConflict, CerRejected) and issubclass(CerAccessDenied, CerUnreachable)


def test_rejected_carries_major_minor_and_description(make_gateway, fake_cer):
    fake_cer.handler = answering(
        500, fault("BladBiznesowy", "TerminZajety", "Termin 2026-06-01 08:00 jest zajęty")
    )
    with pytest.raises(CerConflict) as caught:
        make_gateway().status()
    error = caught.value
    assert error.major == "urn:csioz:p1:kod:major:BladBiznesowy"
    assert error.code == error.minor == "urn:csioz:p1:cer:kod:minor:TerminZajety"
    assert error.reason == "TerminZajety"
    assert error.description == "Termin 2026-06-01 08:00 jest zajęty"


def test_mapped_errors_do_not_chain_the_library_exception(make_gateway, fake_cer):
    """The cause may quote a body (zeep's TransportError does); only its type is kept."""
    fake_cer.handler = raising(requests.exceptions.ReadTimeout("Read timed out."))
    with pytest.raises(CerTemporary) as caught:
        make_gateway().status()
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert caught.value.cause == "requests.exceptions.ReadTimeout"


def test_read_timeout_message_names_the_configured_timeout(make_gateway, fake_cer):
    fake_cer.handler = raising(requests.exceptions.ReadTimeout("Read timed out."))
    with pytest.raises(CerTemporary) as caught:
        make_gateway(read_timeout=7.5).status()
    assert "7.5" in str(caught.value)


# -- map_exception on its own, for what cannot come through an adapter ------------------------


def test_zeep_validation_error_is_our_bug_and_names_only_the_path():
    from zeep.exceptions import ValidationError

    error = map_exception(
        ValidationError("Value 4405140135 does not match", path=["pacjent", "pesel"]),
        "zarezerwujTermin",
    )
    assert isinstance(error, CerBug) and not error.may_have_committed
    assert "pacjent.pesel" in str(error) and "4405140135" not in str(error)


@pytest.mark.parametrize(
    ("exc", "expected", "committed"),
    [
        ("zeep.exceptions:TransportError", CerTemporary, True),
        ("zeep.exceptions:XMLSyntaxError", CerTemporary, True),
        ("zeep.exceptions:XMLParseError", CerBug, True),
        ("zeep.exceptions:SignatureVerificationFailed", CerTemporary, True),
        ("zeep.exceptions:Fault", CerTemporary, True),
        ("builtins:TypeError", CerBug, False),
        ("builtins:FileNotFoundError", CerConfigError, False),
        ("xmlsec:Error", CerConfigError, False),
    ],
)
def test_library_exceptions(exc, expected, committed):
    import importlib

    module, name = exc.split(":")
    cls = getattr(importlib.import_module(module), name)
    instance = (
        cls("message") if name != "FileNotFoundError" else cls(2, "No such file", "/etc/key.pem")
    )
    error = map_exception(instance, "op")
    assert type(error) is expected and error.may_have_committed is committed


def test_transport_error_with_status_uses_the_status():
    from zeep.exceptions import TransportError

    assert not map_exception(TransportError("x", status_code=503)).may_have_committed
    assert map_exception(TransportError("x", status_code=500)).may_have_committed


def test_cer_errors_pass_through_and_get_the_operation():
    original = CerTemporary("x", may_have_committed=True)
    assert map_exception(original, "book") is original and original.operation == "book"


def test_parse_fault_detail_ignores_namespaces_and_missing_parts():
    from lxml import etree

    detail = etree.fromstring(
        "<detail><w:wyjatek xmlns:w='urn:other'><w:kodBleduMajor>M</w:kodBleduMajor>"
        "<w:kodBleduMinor>m</w:kodBleduMinor><w:opis>o</w:opis></w:wyjatek></detail>"
    )
    assert parse_fault_detail(detail) == ("M", "m", "o")
    assert parse_fault_detail("<detail/>") is None
    assert parse_fault_detail(None) is None


def test_every_minor_code_of_the_contract_has_a_deliberate_class():
    from recepcja.cer import errors as e

    expected = {
        e.MINOR_NO_CONTEXT: CerBug,
        e.MINOR_SCHEMA: CerBug,
        e.MINOR_BAD_XML: CerBug,
        e.MINOR_NOT_FOUND: CerRejected,
        e.MINOR_WRONG_STATE: CerRejected,
        e.MINOR_HORIZON: CerRejected,
        e.MINOR_OVERLAP: CerConflict,
        e.MINOR_DUPLICATE_SLOT: CerConflict,
        e.MINOR_TERM_TAKEN: CerConflict,
        e.MINOR_VISIT_ID_USED: CerConflict,
        e.MINOR_VISIT_CANCELLED: CerRejected,
        e.MINOR_INTERNAL: CerTemporary,
    }
    majors = {e.MINOR_INTERNAL: e.MAJOR_TECHNICAL, e.MINOR_NO_CONTEXT: e.MAJOR_VALIDATION}
    for minor, cls in expected.items():
        error = error_from_codes(majors.get(minor, e.MAJOR_BUSINESS), minor, "opis", "op")
        assert type(error) is cls, minor
