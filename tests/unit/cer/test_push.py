"""The push receiver's parser: a valid notification is read, hostile input is refused unread."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from cer_fakes import CER, PESEL, SOAP, visit_xml
from lxml import etree

from recepcja.cer.errors import CerBug
from recepcja.cer.push import (
    PUSH_MAX_BYTES,
    HostileInput,
    parse_push_notification,
    push_ack_response,
)
from recepcja.cer.types import NotificationKind, VisitSource
from recepcja.cer.wire import contract_schema
from recepcja.domain.model import WARSAW
from support import hostile_xml


def push_body(
    kind: str = "ANULOWANIE_IKP", extra_header: str = "", visit: str | None = None
) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>'
        f'<s:Envelope xmlns:s="{SOAP}" xmlns:c="{CER}"><s:Header>{extra_header}'
        "<c:kontekstWywolania><c:atrybut><c:nazwa>nadawca</c:nazwa><c:wartosc>CeR</c:wartosc>"
        "</c:atrybut></c:kontekstWywolania></s:Header><s:Body><c:przekazNotyfikacje><c:notyfikacja>"
        f"<c:idNotyfikacji>N-77</c:idNotyfikacji><c:rodzaj>{kind}</c:rodzaj>"
        "<c:czas>2026-05-02T10:00:00Z</c:czas><c:idMus>MUS-1</c:idMus>"
        f"<c:wizyta>{visit or visit_xml(uid=None, state='ANULOWANA', source='IKP')}</c:wizyta>"
        "</c:notyfikacja></c:przekazNotyfikacje></s:Body></s:Envelope>"
    ).encode()


def test_valid_notification_is_read():
    note = parse_push_notification(push_body())
    assert note.id == "N-77" and note.kind is NotificationKind.PORTAL_CANCEL
    assert note.at == dt.datetime(2026, 5, 2, 12, 0, tzinfo=WARSAW)
    assert note.visit.cancelled and note.visit.source is VisitSource.PORTAL
    assert note.visit.patient.identifier.pesel == PESEL


@pytest.mark.parametrize(
    ("wire", "kind"),
    [
        ("REZERWACJA_IKP", NotificationKind.PORTAL_BOOKING),
        ("ANULOWANIE_IKP", NotificationKind.PORTAL_CANCEL),
        ("REZERWACJA_INNY_SWIADCZENIODAWCA", NotificationKind.OTHER_PROVIDER_BOOKING),
        ("REZERWACJA_POCZEKALNIA", NotificationKind.WAITING_ROOM_BOOKING),
    ],
)
def test_all_four_kinds(wire, kind):
    assert parse_push_notification(push_body(wire)).kind is kind


XXE = (  # the entity inside a real notification, where the parser reads the identifier
    f"{hostile_xml.DECLARATION}{hostile_xml.xxe_doctype(root='s:Envelope')}".encode()
    + push_body().split(b"?>", 1)[1].replace(b"<c:idNotyfikacji>N-77", b"<c:idNotyfikacji>&xxe;")
)
LAUGHS = f"{hostile_xml.DECLARATION}{hostile_xml.laughs_doctype()}<lolz>{hostile_xml.LAUGH}</lolz>"


@pytest.mark.parametrize(
    "body",
    [
        XXE,
        LAUGHS.encode(),
        hostile_xml.EXTERNAL_DTD,
        b"<s:Envelope><unclosed>",
        b"",
        XXE.decode("utf-8").encode("utf-16"),
    ],
    ids=["xxe", "billion-laughs", "external-dtd", "malformed", "empty", "xxe-in-utf16"],
)
def test_hostile_or_broken_input_is_refused(body):
    started = time.perf_counter()
    with pytest.raises(HostileInput) as caught:
        parse_push_notification(body)
    assert time.perf_counter() - started < 1.0  # refused, not expanded
    assert "passwd" not in str(caught.value) and "lol" not in str(caught.value)


def test_oversized_body_is_refused_before_parsing():
    body = push_body(extra_header="<!--" + "x" * PUSH_MAX_BYTES + "-->")
    with pytest.raises(HostileInput):
        parse_push_notification(body)


def test_schema_violations_are_refused_naming_the_element_not_the_value():
    bad_pesel = visit_xml(
        patient="<c:pesel>4405140135X</c:pesel><c:imie>A</c:imie><c:nazwisko>B</c:nazwisko>"
    )
    with pytest.raises(CerBug) as caught:
        parse_push_notification(push_body(visit=bad_pesel))
    assert not isinstance(caught.value, HostileInput)
    assert "pesel" in str(caught.value) and "4405140135" not in str(caught.value)
    with pytest.raises(CerBug):
        parse_push_notification(push_body(kind="COS_INNEGO"))


def test_other_operations_are_refused():
    body = push_body().replace(b"przekazNotyfikacje>", b"pobierzNotyfikacje>")
    with pytest.raises(CerBug):
        parse_push_notification(body)
    with pytest.raises(CerBug):
        parse_push_notification(b"<x/>")


def test_ack_is_a_valid_przekazNotyfikacjeOdpowiedz():
    envelope = etree.fromstring(push_ack_response())
    assert envelope.tag == f"{{{SOAP}}}Envelope"
    answer = envelope.find(f"{{{SOAP}}}Body/{{{CER}}}przekazNotyfikacjeOdpowiedz")
    assert answer is not None and contract_schema().problem(answer) is None
    assert answer.findtext(f"{{{CER}}}wynik/{{{CER}}}kodMajor") == "urn:csioz:p1:kod:major:Sukces"
