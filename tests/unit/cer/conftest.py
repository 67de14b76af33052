"""Fixtures of the gateway unit tests: a gateway wired to a fake CeR (see ``cer_fakes``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
import requests
from cer_fakes import CONTEXT, PESEL, URL, FakeCer

from recepcja.cer.gateway import CerGateway
from recepcja.cer.types import GatewayConfig
from recepcja.domain.entities import Patient, PatientIdentifier


@pytest.fixture
def fake_cer() -> FakeCer:
    return FakeCer()


@pytest.fixture
def make_gateway(fake_cer: FakeCer) -> Callable[..., CerGateway]:
    def make(**overrides) -> CerGateway:
        session = requests.Session()
        session.mount("http://", fake_cer)
        session.mount("https://", fake_cer)
        options = {"url": URL, "context": CONTEXT, "validate_responses": True}
        signature_options = overrides.pop("signature_options", None)
        options.update(overrides)
        return CerGateway(
            GatewayConfig(**options), session=session, signature_options=signature_options
        )

    return make


@pytest.fixture
def gateway(make_gateway) -> CerGateway:
    return make_gateway()


@pytest.fixture
def patient() -> Patient:
    return Patient(
        PatientIdentifier(pesel=PESEL),
        "Jan",
        "Kowalski",
        phone="+48600100200",
        birth_date=dt.date(1944, 5, 14),
    )


@pytest.fixture(scope="session")
def _signer(tmp_path_factory):
    import trustme

    ca = trustme.CA(key_type=trustme.KeyType.RSA)  # P1 signs with RSA; trustme defaults to EC
    folder = tmp_path_factory.mktemp("signer")
    leaf = ca.issue_cert("podmiot.example.pl", key_type=trustme.KeyType.RSA)
    key, cert, ca_file = folder / "key.pem", folder / "cert.pem", folder / "ca.pem"
    leaf.private_key_pem.write_to_path(str(key))
    leaf.cert_chain_pems[0].write_to_path(str(cert))
    ca.cert_pem.write_to_path(str(ca_file))
    return key, cert, ca_file


@pytest.fixture
def signer_files(_signer):
    """(key.pem, cert.pem) of a provider certificate made by trustme."""
    return _signer[0], _signer[1]


@pytest.fixture
def tls_ca_file(_signer):
    return _signer[2]
