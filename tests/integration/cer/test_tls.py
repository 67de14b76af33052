"""P1 transport security end to end, with certificates made by trustme: mutual TLS (the call
succeeds with the right client certificate and fails clearly without it) and WS-Security
signatures verified by the simulator."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
import trustme
from cer_support import PLACE, make_gateway

from recepcja.cer.errors import CerAccessDenied, CerUnreachable
from recepcja.cer.types import SigningConfig
from recepcja.simulator.server import SimulatorServer, TlsConfig


@dataclass
class Pki:
    ca_file: Path  # trusted by the client for the server, and by the server for clients
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path
    stranger_cert: Path  # a client certificate from a CA the server does not trust
    stranger_key: Path


def _write(leaf: trustme.LeafCert, folder: Path, name: str) -> tuple[Path, Path]:
    cert, key = folder / f"{name}.pem", folder / f"{name}-key.pem"
    leaf.cert_chain_pems[0].write_to_path(str(cert))
    leaf.private_key_pem.write_to_path(str(key))
    return cert, key


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> Pki:
    folder = tmp_path_factory.mktemp("pki")
    ca = trustme.CA(key_type=trustme.KeyType.RSA)
    ca_file = folder / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    server_cert, server_key = _write(ca.issue_cert("127.0.0.1", "localhost"), folder, "server")
    client_cert, client_key = _write(
        ca.issue_cert("podmiot.example.pl", key_type=trustme.KeyType.RSA), folder, "client"
    )
    other = trustme.CA(key_type=trustme.KeyType.RSA)
    stranger_cert, stranger_key = _write(
        other.issue_cert("obcy.example.pl", key_type=trustme.KeyType.RSA), folder, "stranger"
    )
    return Pki(
        ca_file, server_cert, server_key, client_cert, client_key, stranger_cert, stranger_key
    )


@pytest.fixture
def mtls_simulator(tmp_path, pki):
    tls = TlsConfig(pki.server_cert, pki.server_key, client_ca_file=pki.ca_file)
    with SimulatorServer(tmp_path / "sim-tls", tls=tls, validate_responses=True) as server:
        yield server


def test_right_client_certificate_succeeds(mtls_simulator, pki):
    with make_gateway(
        mtls_simulator.url + "/cer",
        verify=str(pki.ca_file),
        client_cert=(str(pki.client_cert), str(pki.client_key)),
    ) as gateway:
        assert gateway.status().tzinfo is not None


def test_without_client_certificate_fails_clearly_as_tls(mtls_simulator, pki):
    with make_gateway(mtls_simulator.url + "/cer", verify=str(pki.ca_file)) as gateway:
        with pytest.raises(CerAccessDenied) as caught:
            gateway.status()
    assert "TLS" in str(caught.value) and not caught.value.may_have_committed


def test_client_certificate_of_an_untrusted_ca_fails(mtls_simulator, pki):
    with make_gateway(
        mtls_simulator.url + "/cer",
        verify=str(pki.ca_file),
        client_cert=(str(pki.stranger_cert), str(pki.stranger_key)),
    ) as gateway:
        with pytest.raises(CerAccessDenied):
            gateway.status()


def test_server_not_trusted_by_default(mtls_simulator, pki):
    """verify=True (the default) uses the system CA store, which does not know trustme's CA."""
    with make_gateway(
        mtls_simulator.url + "/cer", client_cert=(str(pki.client_cert), str(pki.client_key))
    ) as gateway:
        with pytest.raises(CerAccessDenied) as caught:
            gateway.status()
    assert isinstance(caught.value, CerUnreachable)


@pytest.fixture
def signing_simulator(tmp_path, pki):
    with SimulatorServer(
        tmp_path / "sim-sig",
        verify_signatures=True,
        trusted_signer_cert=pki.client_cert,
        validate_responses=True,
    ) as server:
        yield server


def test_signed_messages_verify_on_the_simulator(signing_simulator, pki):
    signing = SigningConfig(str(pki.client_key), str(pki.client_cert))
    with make_gateway(signing_simulator.url + "/cer", signing=signing) as gateway:
        gateway.status()
        place_id, _ = gateway.register_place(PLACE)
        assert place_id


def test_unsigned_messages_are_refused_by_the_simulator(signing_simulator):
    with make_gateway(signing_simulator.url + "/cer") as gateway:
        with pytest.raises(CerAccessDenied) as caught:
            gateway.status()
    assert not caught.value.may_have_committed


def test_messages_signed_with_another_certificate_are_refused(signing_simulator, pki):
    signing = SigningConfig(str(pki.stranger_key), str(pki.stranger_cert))
    with make_gateway(signing_simulator.url + "/cer", signing=signing) as gateway:
        with pytest.raises(CerAccessDenied):
            gateway.status()


def test_mtls_and_signing_together(tmp_path, pki):
    tls = TlsConfig(pki.server_cert, pki.server_key, client_ca_file=pki.ca_file)
    with SimulatorServer(
        tmp_path / "sim-both", tls=tls, verify_signatures=True, trusted_signer_cert=pki.client_cert
    ) as server:
        with make_gateway(
            server.url + "/cer",
            verify=str(pki.ca_file),
            client_cert=(str(pki.client_cert), str(pki.client_key)),
            signing=SigningConfig(str(pki.client_key), str(pki.client_cert)),
        ) as gateway:
            gateway.status()
