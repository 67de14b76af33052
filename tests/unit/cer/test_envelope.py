"""What goes on the wire: golden envelopes (time and randomness frozen), the context header.

Regenerate the golden files after a deliberate change with
``RECEPCJA_UPDATE_GOLDEN=1 ./test tests/unit/cer/test_envelope.py`` and review the diff.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import re
from pathlib import Path

import pytest
from cer_fakes import CER, CONTEXT, PESEL
from lxml import etree

from recepcja.cer.types import SigningConfig
from recepcja.domain.model import Urgency

GOLDEN = Path(__file__).parent / "golden"
KON = "http://csioz.gov.pl/p1/kontekst/mt/v20180509"  # P1's call context
SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
FROZEN = dt.datetime(2026, 5, 20, 8, 30, 0, 123000, tzinfo=dt.UTC)


def frozen_ids():
    counter = itertools.count(1)
    return lambda prefix: f"{prefix}-{next(counter)}"


def pretty(raw: bytes) -> str:
    return etree.tostring(etree.fromstring(raw), pretty_print=True, encoding="unicode")


def check_golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if os.environ.get("RECEPCJA_UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"missing golden file {path}; run with RECEPCJA_UPDATE_GOLDEN=1"
    assert actual == path.read_text(encoding="utf-8")


def book(gateway, patient):
    gateway.book("S-20260601-0800", "V-0001", patient, Urgency.URGENT, central_request_id="ZC-1")


def test_booking_envelope_matches_golden(gateway, fake_cer, patient):
    book(gateway, patient)
    request = fake_cer.sent[0][0]
    assert request.headers["SOAPAction"] == '"urn:recepcja:model:csioz:p1:cer:v1/zarezerwujTermin"'
    assert request.headers["Content-Type"].startswith("text/xml")
    check_golden("zarezerwujTermin.xml", pretty(request.body))


def test_signed_booking_envelope_matches_golden(make_gateway, fake_cer, patient, signer_files):
    """Frozen clock and ids make the digests reproducible; the RSA signature and the
    certificate depend on the (fresh) test key, so they are blanked before comparing."""
    key, cert = signer_files
    gateway = make_gateway(
        signing=SigningConfig(str(key), str(cert)),
        signature_options={"clock": lambda: FROZEN, "make_id": frozen_ids()},
    )
    book(gateway, patient)
    text = pretty(fake_cer.sent[0][0].body)
    text = re.sub(r"(<ds:SignatureValue>)[^<]+", r"\1…", text)
    text = re.sub(r"(<wsse:BinarySecurityToken [^>]*>)[^<]+", r"\1…", text)
    check_golden("zarezerwujTermin.signed.xml", text)


def test_context_header_is_p1s_with_every_attribute_in_order(gateway, fake_cer):
    gateway.status()
    envelope = etree.fromstring(fake_cer.sent[0][0].body)
    assert envelope.find(f"{{{SOAP}}}Header/{{{CER}}}kontekstWywolania") is None
    header = envelope.find(f"{{{SOAP}}}Header/{{{KON}}}kontekstWywolania")
    assert header is not None
    pairs = [
        (item.findtext(f"{{{KON}}}nazwa"), item.findtext(f"{{{KON}}}wartosc"))
        for item in header.iterfind(f"{{{KON}}}atrybut")
    ]
    assert pairs == [
        ("urn:csioz:p1:kontekst:idPodmiotuOidRoot", CONTEXT.provider_oid_root),
        ("urn:csioz:p1:kontekst:idPodmiotuOidExt", CONTEXT.provider_oid_ext),
        ("urn:csioz:p1:kontekst:rolaBiznesowa", "PRACOWNIK_ADMINISTRACYJNY"),
        ("urn:csioz:p1:kontekst:idUzytkownikaOidExt", CONTEXT.user_id),
        ("urn:csioz:p1:kontekst:idMiejscaPracyOidExt", CONTEXT.place_id),
    ]


def test_every_operation_carries_the_context_header(gateway, fake_cer, patient):
    gateway.status()
    gateway.book("S1", "V1", patient, Urgency.STABLE)
    gateway.read_visit(visit_uid="V1")
    gateway.pull_notifications(0)
    for request, _ in fake_cer.sent:
        envelope = etree.fromstring(request.body)
        assert envelope.find(f"{{{SOAP}}}Header/{{{KON}}}kontekstWywolania") is not None


def test_request_breaking_the_contract_never_leaves(make_gateway, fake_cer, patient):
    """zeep does not check patterns; the gateway does, before anything is sent."""
    from recepcja.cer.errors import CerBug

    patient.phone = "600 100 200"  # not E.164
    with pytest.raises(CerBug) as caught:
        make_gateway().book("S1", "V1", patient, Urgency.URGENT)
    assert fake_cer.sent == []
    assert not caught.value.may_have_committed
    assert "telefon" in str(caught.value) and "600" not in str(caught.value)


def test_document_identified_patient_goes_as_the_document_branch(gateway, fake_cer):
    from recepcja.domain.entities import Patient, PatientIdentifier
    from recepcja.domain.model import DocumentType

    newborn = Patient(
        PatientIdentifier(document_type=DocumentType.NEWBORN, document_number=f"{PESEL}/1"),
        "Noworodek",
        "Kowalska",
    )
    gateway.book("S1", "V1", newborn, Urgency.URGENT)
    body = etree.fromstring(fake_cer.sent[0][0].body).find(f"{{{SOAP}}}Body")
    patient = body.find(f"{{{CER}}}zarezerwujTermin/{{{CER}}}pacjent")
    assert [etree.QName(c).localname for c in patient] == [
        "rodzajDokumentu",
        "numerDokumentu",
        "imie",
        "nazwisko",
    ]
    assert patient[0].text == "NOWORODEK"
