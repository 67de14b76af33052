"""Nothing a gateway call logs carries a PESEL or an envelope — not even at DEBUG, not even
when CeR's own error text quotes the PESEL."""

from __future__ import annotations

import logging

import pytest
from cer_fakes import PESEL, fault

from recepcja.cer.errors import CerConflict
from recepcja.domain.model import Urgency


@pytest.fixture
def everything_at_debug(caplog):
    caplog.set_level(logging.DEBUG)
    for name in ("zeep", "zeep.transports", "zeep.wsdl", "urllib3", "requests", "recepcja"):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def assert_clean(records):
    for record in records:
        text = record.getMessage()
        assert PESEL not in text, f"{record.name}: {text[:200]}"
        for marker in (":Envelope", "soap-env:", "pacjent", "Kowalski"):  # bodies, personal data
            assert marker not in text, f"{record.name}: {text[:200]}"


def test_successful_calls_log_no_personal_data(everything_at_debug, gateway, patient):
    gateway.book("S1", "V1", patient, Urgency.URGENT)
    gateway.read_visit(visit_uid="V1")
    gateway.pull_notifications(0)
    assert_clean(everything_at_debug.records)
    ours = [r.getMessage() for r in everything_at_debug.records if r.name == "recepcja.cer"]
    assert any(line.startswith("cer zarezerwujTermin ok in") for line in ours)


def test_failures_log_the_outcome_not_cer_text(
    everything_at_debug, make_gateway, fake_cer, patient
):
    fake_cer.handler = lambda request: (
        500,
        fault("BladBiznesowy", "TerminZajety", f"Pacjent {PESEL} ma już termin"),
    )
    with pytest.raises(CerConflict):
        make_gateway().book("S1", "V1", patient, Urgency.URGENT)
    assert_clean(everything_at_debug.records)
    (line,) = [r.getMessage() for r in everything_at_debug.records if r.name == "recepcja.cer"]
    assert line.startswith("cer zarezerwujTermin failed after") and "CerConflict" in line
    assert "TerminZajety" in line


def test_signed_calls_log_no_personal_data(
    everything_at_debug, make_gateway, patient, signer_files
):
    from recepcja.cer.types import SigningConfig

    key, cert = signer_files
    make_gateway(signing=SigningConfig(str(key), str(cert))).book(
        "S1", "V1", patient, Urgency.URGENT
    )
    assert_clean(everything_at_debug.records)
