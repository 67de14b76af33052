"""The call-context header: P1's, built by one ``ContextStyle`` for both services (CeR and the
e-referral service), one schema (P1's ``kontekst.xsd``, imported by both contracts)."""

from __future__ import annotations

from dataclasses import replace

from recepcja.cer.contract import CER, P1_CONTEXT, REFERRALS
from recepcja.cer.types import CallContext

CONTEXT = CallContext("2.16.840.1.113883.3.4424.2.3.1", "000000012345",
                      "PRACOWNIK_ADMINISTRACYJNY", "rejestracja-1", "MUS-1")


def test_p1_style_uses_p1s_namespace_and_urn_names():
    assert P1_CONTEXT.element == "{http://csioz.gov.pl/p1/kontekst/mt/v20180509}kontekstWywolania"
    assert P1_CONTEXT.attributes(CONTEXT) == (
        ("urn:csioz:p1:kontekst:idPodmiotuOidRoot", "2.16.840.1.113883.3.4424.2.3.1"),
        ("urn:csioz:p1:kontekst:idPodmiotuOidExt", "000000012345"),
        ("urn:csioz:p1:kontekst:rolaBiznesowa", "PRACOWNIK_ADMINISTRACYJNY"),
        ("urn:csioz:p1:kontekst:idUzytkownikaOidExt", "rejestracja-1"),
        ("urn:csioz:p1:kontekst:idMiejscaPracyOidExt", "MUS-1"),
    )
    # empty values are left out rather than sent empty
    names = [name for name, _ in P1_CONTEXT.attributes(replace(CONTEXT, place_id=""))]
    assert names[-1] == "urn:csioz:p1:kontekst:idUzytkownikaOidExt"
    assert P1_CONTEXT.timestamp_ttl_seconds == 60


def test_both_services_take_p1s_header():
    assert CER.context is P1_CONTEXT
    assert REFERRALS.context is P1_CONTEXT


def test_each_contract_validates_against_its_own_schema():
    from lxml import etree

    header = etree.Element(P1_CONTEXT.element)
    item = etree.SubElement(header, "{http://csioz.gov.pl/p1/kontekst/mt/v20180509}atrybut")
    for name, value in (("nazwa", "urn:csioz:p1:kontekst:idPodmiotuOidExt"), ("wartosc", "1")):
        etree.SubElement(item, f"{{http://csioz.gov.pl/p1/kontekst/mt/v20180509}}{name}").text = (
            value)
    assert REFERRALS.schema().problem(header) is None
    assert CER.schema().problem(header) is None  # cer.xsd imports P1's context schema
    # the CeR model's own header of old is no more part of its contract
    old = etree.Element("{urn:recepcja:model:csioz:p1:cer:v1}kontekstWywolania")
    assert CER.schema().problem(old) is not None
    # nor are names outside P1's urn:csioz:p1:kontekst: namespace of names
    item[0].text = "idPodmiotuOidExt"
    assert CER.schema().problem(header) is not None
