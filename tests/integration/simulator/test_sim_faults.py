"""Each injected fault kind, as an HTTP client sees it, and whether the call took effect."""

from __future__ import annotations

import time

import pytest
import requests
import soap_raw
from lxml import etree
from soap_raw import PESEL_B

from support.polling import wait_until


def _book(sim, slot_index: int, uid: str, **kwargs) -> requests.Response:
    return soap_raw.post(sim.soap_url,
                         soap_raw.envelope(soap_raw.book(sim.place.slot_ids()[slot_index], uid)),
                         **kwargs)


def _visit_uids(sim) -> list[str]:
    return [visit["visit_uid"] for visit in sim.state(sections="visits")["visits"]]


def test_down_closes_the_connection_without_an_answer(onboarded_simulator):
    sim = onboarded_simulator
    sim.control("POST", "faults", {"operation": "*", "kind": "down", "count": 1})
    with pytest.raises(requests.ConnectionError) as raised:
        _book(sim, 0, "down-1")
    assert "without response" in str(raised.value) or "aborted" in str(raised.value).lower()
    assert _visit_uids(sim) == []
    assert sim.control("GET", "faults")["faults"] == []  # count 1: used up
    assert _book(sim, 0, "down-2").status_code == 200


def test_down_for_a_number_of_seconds(onboarded_simulator):
    sim = onboarded_simulator
    sim.control("POST", "faults", {"operation": "*", "kind": "down", "seconds": 0.6})
    with pytest.raises(requests.ConnectionError):
        soap_raw.post(sim.soap_url, soap_raw.envelope("<cer:sprawdzStatus/>"))
    time.sleep(0.7)
    assert soap_raw.call(sim.soap_url, "<cer:sprawdzStatus/>").ok


def test_delay_answers_normally_after_the_delay(onboarded_simulator):
    sim = onboarded_simulator
    sim.control("POST", "faults", {"operation": "zarezerwujTermin", "kind": "delay",
                                   "seconds": 0.5})
    started = time.monotonic()
    answer = soap_raw.parse_answer(_book(sim, 0, "delay-1"))
    assert time.monotonic() - started >= 0.5
    assert answer.ok
    started = time.monotonic()
    assert soap_raw.call(sim.soap_url, "<cer:sprawdzStatus/>").ok  # other operations: no delay
    assert time.monotonic() - started < 0.5


def test_timeout_holds_the_call_and_has_no_effect(onboarded_simulator):
    sim = onboarded_simulator
    sim.control("POST", "faults", {"operation": "zarezerwujTermin", "kind": "timeout",
                                   "seconds": 1.5})
    with pytest.raises(requests.ReadTimeout):
        _book(sim, 0, "timeout-1", timeout=0.4)
    started = time.monotonic()
    with pytest.raises(requests.ConnectionError):  # a patient client: closed, no answer
        _book(sim, 0, "timeout-2", timeout=10)
    assert time.monotonic() - started >= 1.4
    assert _visit_uids(sim) == []


def test_http500_is_a_technical_soap_fault(onboarded_simulator):
    sim = onboarded_simulator
    sim.control("POST", "faults", {"operation": "zarezerwujTermin", "kind": "http500"})
    answer = soap_raw.parse_answer(_book(sim, 0, "h500"))
    assert answer.status == 500
    assert answer.fault["code"] == "soap:Server"
    assert answer.fault["major"] == soap_raw.MAJOR + "BladTechniczny"
    assert answer.minor == "BladWewnetrzny"
    assert _visit_uids(sim) == []


def test_http503_is_an_html_page(onboarded_simulator):
    sim = onboarded_simulator
    sim.control("POST", "faults", {"operation": "*", "kind": "http503"})
    response = _book(sim, 0, "h503")
    assert response.status_code == 503
    assert response.headers["Content-Type"].startswith("text/html")
    assert b"<html" in response.content
    sim.control("DELETE", "faults")
    assert _visit_uids(sim) == []


def test_malformed_answers_broken_xml(onboarded_simulator):
    sim = onboarded_simulator
    sim.control("POST", "faults", {"operation": "zarezerwujTermin", "kind": "malformed"})
    response = _book(sim, 0, "zepsute")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/xml")
    with pytest.raises(etree.XMLSyntaxError):
        etree.fromstring(response.content)
    assert _visit_uids(sim) == []


def test_drop_response_commits_then_drops(onboarded_simulator):
    sim = onboarded_simulator
    sim.control("POST", "faults", {"operation": "zarezerwujTermin", "kind": "drop_response",
                                   "count": 1})
    with pytest.raises(requests.ConnectionError):
        _book(sim, 0, "zgubiona-odpowiedz")
    visits = sim.state(sections="visits")["visits"]
    assert [(v["visit_uid"], v["slot"], v["state"]) for v in visits] == [
        ("zgubiona-odpowiedz", sim.place.slot_ids()[0], "ZAREZERWOWANA")]
    # How a client settles it: read back by its own identifier; a blind resend is refused.
    read = soap_raw.call(sim.soap_url, "<cer:pobierzWizyte><cer:identyfikatorWizyty>"
                         "zgubiona-odpowiedz</cer:identyfikatorWizyty></cer:pobierzWizyte>")
    assert read.text("wizyta/idWizyty") == visits[0]["id"]
    assert soap_raw.parse_answer(_book(sim, 0, "zgubiona-odpowiedz")).minor == \
        "IdentyfikatorWizytyUzyty"


def test_drop_response_held_looks_like_a_timeout(onboarded_simulator):
    sim = onboarded_simulator
    sim.control("POST", "faults", {"operation": "zarezerwujTermin", "kind": "drop_response",
                                   "seconds": 1.0})
    with pytest.raises(requests.ReadTimeout):
        _book(sim, 0, "po-czasie", timeout=0.3)
    wait_until(lambda: "po-czasie" in _visit_uids(sim), "the held booking committed", timeout=3)
    assert _visit_uids(sim) == ["po-czasie"]


def test_rules_match_by_operation_and_count(onboarded_simulator):
    sim = onboarded_simulator
    sim.control("POST", "faults", {"operation": "*", "kind": "http503"})
    sim.control("POST", "faults", {"operation": "sprawdzStatus", "kind": "http500", "count": 2})
    statuses = [soap_raw.post(sim.soap_url, soap_raw.envelope("<cer:sprawdzStatus/>")).status_code
                for _ in range(3)]
    assert statuses == [500, 500, 503]  # the named rule wins until used up, then "*"
    assert _book(sim, 0, "x").status_code == 503
    sim.control("DELETE", "faults?operation=*")
    assert _book(sim, 0, "y").status_code == 200
    bad = sim.control("POST", "faults", {"operation": "*", "kind": "lightning"}, expect=400)
    assert "kind" in bad["error"]
    sim.control("POST", "faults", {"kind": "delay", "seconds": -1}, expect=400)
    typo = sim.control("POST", "faults", {"operation": "zarezerwujTerminy", "kind": "down"},
                       expect=400)
    assert "zarezerwujTermin" in typo["error"]


def test_the_control_api_and_wsdl_answer_during_an_outage(onboarded_simulator):
    sim = onboarded_simulator
    sim.control("POST", "faults", {"operation": "*", "kind": "down"})
    assert requests.get(sim.soap_url + "?wsdl", timeout=5).status_code == 200
    assert sim.control("GET", "faults")["faults"][0]["kind"] == "down"
    portal = sim.control("POST", "portal-booking",
                         {"slot": sim.place.slot_ids()[3], "pesel": PESEL_B})
    assert portal["visit"]["source"] == "IKP"  # the world goes on while the practice is cut off
    sim.control("DELETE", "faults")
    assert soap_raw.call(sim.soap_url, "<cer:sprawdzStatus/>").ok
