"""Hostile XML is refused without harm, and the simulator keeps serving afterwards."""

from __future__ import annotations

import time

import requests
import soap_raw
from lxml import etree
from soap_raw import CER_NS, SOAP_NS

from recepcja.simulator.soap import safe_parser
from support import hostile_xml

SECRET = "TAJNE-HASLO-7f3a9c"


def _xxe_envelope(secret_file) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        + hostile_xml.xxe_doctype(f"file://{secret_file}", root="soap:Envelope")
        + f'<soap:Envelope xmlns:soap="{SOAP_NS}" xmlns:cer="{CER_NS}"><soap:Header>'
        f"{soap_raw.context_header(soap_raw.DEFAULT_CONTEXT)}</soap:Header><soap:Body>"
        "<cer:pobierzWizyte><cer:identyfikatorWizyty>&xxe;</cer:identyfikatorWizyty>"
        "</cer:pobierzWizyte></soap:Body></soap:Envelope>"
    ).encode()


def _billion_laughs() -> bytes:
    return (
        f'<?xml version="1.0"?>{hostile_xml.laughs_doctype()}'
        f'<soap:Envelope xmlns:soap="{SOAP_NS}" xmlns:cer="{CER_NS}"><soap:Body>'
        f"<cer:pobierzWizyte><cer:identyfikatorWizyty>{hostile_xml.LAUGH}"
        "</cer:identyfikatorWizyty></cer:pobierzWizyte></soap:Body></soap:Envelope>"
    ).encode()


def _still_serving(sim) -> None:
    assert soap_raw.call(sim.soap_url, "<cer:sprawdzStatus/>").ok


def test_external_entity_is_refused_and_leaks_nothing(simulator, tmp_path):
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text(SECRET)
    response = soap_raw.post(simulator.soap_url, _xxe_envelope(secret_file))
    answer = soap_raw.parse_answer(response)
    assert answer.status == 500 and answer.minor == "NieprawidlowyXml"
    assert SECRET.encode() not in response.content
    # The same payload in UTF-16, where a byte search for "<!DOCTYPE" would not match.
    utf16 = _xxe_envelope(secret_file).decode().replace('encoding="UTF-8"', 'encoding="UTF-16"')
    response = soap_raw.post(simulator.soap_url, utf16.encode("utf-16"))
    assert soap_raw.parse_answer(response).minor == "NieprawidlowyXml"
    assert SECRET.encode() not in response.content
    _still_serving(simulator)


def test_the_parser_itself_never_resolves_entities(tmp_path):
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text(SECRET)
    root = etree.fromstring(_xxe_envelope(secret_file), parser=safe_parser())
    assert SECRET not in etree.tostring(root).decode()
    started = time.monotonic()
    try:
        expanded = etree.tostring(etree.fromstring(_billion_laughs(), parser=safe_parser()))
    except etree.XMLSyntaxError:  # libxml2's amplification limit
        expanded = b""
    assert len(expanded) < 100_000 and time.monotonic() - started < 1.0


def test_billion_laughs_is_refused_quickly(simulator):
    started = time.monotonic()
    answer = soap_raw.parse_answer(soap_raw.post(simulator.soap_url, _billion_laughs()))
    assert time.monotonic() - started < 1.0
    assert answer.minor == "NieprawidlowyXml"
    _still_serving(simulator)


def test_oversized_body_is_refused_with_413(simulator):
    filler = "<!-- " + "x" * (6 * 1024 * 1024) + " -->"
    body = soap_raw.envelope("<cer:sprawdzStatus/>" + filler)
    answer = soap_raw.parse_answer(soap_raw.post(simulator.soap_url, body))
    assert answer.status == 413 and answer.minor == "NieprawidlowyXml"

    def chunks():  # no Content-Length: the limit must hold while reading
        yield body[:1024]
        for start in range(1024, len(body), 256 * 1024):
            yield body[start:start + 256 * 1024]

    chunked = requests.post(simulator.soap_url, data=chunks(), timeout=30,
                            headers={"Content-Type": "text/xml; charset=utf-8"})
    assert chunked.status_code == 413
    _still_serving(simulator)


def test_a_flood_of_garbage_does_not_stop_the_service(simulator):
    for garbage in (b"", b"<", b"\xff\xfe\x00<", b"<a>" * 300 + b"</a>" * 300,
                    b"<soap:Envelope xmlns:soap='" + SOAP_NS.encode() + b"'/>"):
        response = soap_raw.post(simulator.soap_url, garbage)
        assert response.status_code == 500
    _still_serving(simulator)
