"""One test per fault kind of the simulator: which typed error the gateway raises, and whether
it says the request may have been committed. ``drop_response`` is proven to have committed."""

from __future__ import annotations

import socket
import time

import pytest
from cer_support import PESEL, make_gateway

from recepcja.cer.errors import (
    MINOR_VISIT_ID_USED,
    CerConflict,
    CerError,
    CerTemporary,
    CerUnreachable,
)
from recepcja.domain.entities import Patient, PatientIdentifier
from recepcja.domain.model import Urgency

JAN = Patient(PatientIdentifier(pesel=PESEL), "Jan", "Kowalski")


def set_fault(simulator, operation: str, kind: str, **extra) -> None:
    simulator.control("POST", "faults", json={"operation": operation, "kind": kind, **extra})


def failing_status(simulator, **gateway_options) -> CerError:
    with make_gateway(simulator.soap_url, **gateway_options) as gateway:
        with pytest.raises(CerError) as caught:
            gateway.status()
    return caught.value


def test_refused_connection_is_unreachable_nothing_sent():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with make_gateway(f"http://127.0.0.1:{port}/cer") as gateway:
        with pytest.raises(CerUnreachable) as caught:
            gateway.status()
    assert not caught.value.may_have_committed


def test_down_closes_the_connection_after_the_request_was_sent(simulator):
    """The server accepted the connection and read the request, then closed it: from our side
    that cannot be told from a crash after committing, so the replay must read back first."""
    set_fault(simulator, "sprawdzStatus", "down")
    error = failing_status(simulator)
    assert type(error) is CerTemporary and error.may_have_committed


def test_delay_within_the_read_timeout_succeeds(simulator):
    set_fault(simulator, "sprawdzStatus", "delay", seconds=0.3)
    with make_gateway(simulator.soap_url, read_timeout=5.0) as gateway:
        started = time.monotonic()
        gateway.status()
    assert time.monotonic() - started >= 0.3


def test_delay_beyond_the_read_timeout_is_temporary_and_ambiguous(simulator):
    set_fault(simulator, "sprawdzStatus", "delay", seconds=2)
    error = failing_status(simulator, read_timeout=0.5)
    assert type(error) is CerTemporary and error.may_have_committed


def test_timeout_is_temporary_and_ambiguous_and_respects_the_read_timeout(simulator):
    set_fault(simulator, "sprawdzStatus", "timeout", seconds=5)
    started = time.monotonic()
    error = failing_status(simulator, read_timeout=0.5)
    assert time.monotonic() - started < 3
    assert type(error) is CerTemporary and error.may_have_committed


def test_http500_fault_is_temporary_and_may_have_committed(simulator):
    set_fault(simulator, "sprawdzStatus", "http500")
    error = failing_status(simulator)
    assert type(error) is CerTemporary and error.may_have_committed


def test_http503_html_is_temporary_and_not_committed(simulator):
    set_fault(simulator, "sprawdzStatus", "http503")
    error = failing_status(simulator)
    assert type(error) is CerTemporary and not error.may_have_committed


def test_malformed_answer_is_temporary_and_may_have_committed(simulator):
    set_fault(simulator, "sprawdzStatus", "malformed")
    error = failing_status(simulator)
    assert type(error) is CerTemporary and error.may_have_committed


def test_fault_for_all_operations(simulator):
    set_fault(simulator, "*", "http503")
    assert type(failing_status(simulator)) is CerTemporary
    simulator.control("DELETE", "faults")
    with make_gateway(simulator.soap_url) as gateway:
        gateway.status()


def test_drop_response_committed_and_read_back_settles_it(simulator, cer_gateway, cer_onboarded):
    """The booking took effect although the caller saw only a broken connection: reading back
    by our own visit identifier finds it, and resending would be refused, never duplicated."""
    slot = cer_onboarded.free_slot_ids()[0]
    set_fault(simulator, "zarezerwujTermin", "drop_response", count=1)
    with pytest.raises(CerTemporary) as caught:
        cer_gateway.book(slot, "visit-dropped", JAN, Urgency.URGENT)
    assert caught.value.may_have_committed

    found = cer_gateway.read_visit(visit_uid="visit-dropped")
    assert found is not None and found.slot_cer_id == slot and not found.cancelled

    with pytest.raises(CerConflict) as resent:
        cer_gateway.book(slot, "visit-dropped", JAN, Urgency.URGENT)
    assert resent.value.code == MINOR_VISIT_ID_USED
    state = simulator.control("GET", "state?sections=visits")
    assert [v["visit_uid"] for v in state["visits"] if v["slot"] == slot] == ["visit-dropped"]
