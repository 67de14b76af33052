"""P1 security on our side: signatures (RSA-SHA256, SHA-256, what is covered), secrets only
through the password provider, TLS verification on by default, timeouts on every call."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from lxml import etree

from recepcja.cer.errors import CerConfigError
from recepcja.cer.security import (
    DS_NS,
    RSA_SHA256,
    SHA256,
    WSSE_NS,
    WSU_NS,
    load_signature,
    verify_envelope,
)
from recepcja.cer.types import GatewayConfig, SigningConfig
from recepcja.domain.model import Urgency

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"


def signed_envelope(make_gateway, fake_cer, patient, signing: SigningConfig) -> etree._Element:
    make_gateway(signing=signing).book("S1", "V1", patient, Urgency.URGENT)
    return etree.fromstring(fake_cer.sent[-1][0].body)


def test_signature_is_rsa_sha256_with_sha256_digests(make_gateway, fake_cer, patient, signer_files):
    key, cert = signer_files
    envelope = signed_envelope(make_gateway, fake_cer, patient, SigningConfig(str(key), str(cert)))
    signature = envelope.find(f"{{{SOAP}}}Header/{{{WSSE_NS}}}Security/{{{DS_NS}}}Signature")
    method = signature.find(f"{{{DS_NS}}}SignedInfo/{{{DS_NS}}}SignatureMethod")
    assert method.get("Algorithm") == RSA_SHA256
    digests = signature.findall(f".//{{{DS_NS}}}DigestMethod")
    assert digests and {d.get("Algorithm") for d in digests} == {SHA256}
    assert "sha1" not in etree.tostring(signature).decode().lower()


def test_signature_covers_body_context_and_timestamp_and_verifies(
    make_gateway, fake_cer, patient, signer_files
):
    key, cert = signer_files
    envelope = signed_envelope(make_gateway, fake_cer, patient, SigningConfig(str(key), str(cert)))
    signed = verify_envelope(envelope, cert.read_bytes())
    assert sorted(signed) == ["Body", "Timestamp", "kontekstWywolania"]  # by default
    security = envelope.find(f"{{{SOAP}}}Header/{{{WSSE_NS}}}Security")
    assert security.find(f"{{{WSU_NS}}}Timestamp/{{{WSU_NS}}}Expires") is not None
    assert security.find(f"{{{WSSE_NS}}}BinarySecurityToken") is not None


def test_context_header_signing_can_be_switched_off(make_gateway, fake_cer, patient,
                                                    signer_files):
    key, cert = signer_files
    signing = SigningConfig(str(key), str(cert), sign_context_header=False)
    envelope = signed_envelope(make_gateway, fake_cer, patient, signing)
    assert sorted(verify_envelope(envelope)) == ["Body", "Timestamp"]


def test_tampered_body_fails_verification(make_gateway, fake_cer, patient, signer_files):
    import xmlsec

    key, cert = signer_files
    envelope = signed_envelope(make_gateway, fake_cer, patient, SigningConfig(str(key), str(cert)))
    pesel = envelope.find(".//{urn:recepcja:model:csioz:p1:cer:v1}pesel")
    pesel.text = "02070803628"
    with pytest.raises(xmlsec.Error):
        verify_envelope(envelope, cert.read_bytes())


def test_encrypted_signing_key_uses_the_password_provider(
    make_gateway, fake_cer, patient, signer_files, tmp_path
):
    key, cert = signer_files
    encrypted = tmp_path / "key-encrypted.pem"
    private = serialization.load_pem_private_key(key.read_bytes(), password=None)
    encrypted.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"sekret-z-keyringu"),
        )
    )
    asked = []

    def from_keyring():
        asked.append(1)
        return "sekret-z-keyringu"

    envelope = signed_envelope(
        make_gateway, fake_cer, patient, SigningConfig(str(encrypted), str(cert), from_keyring)
    )
    assert asked == [1]
    verify_envelope(envelope, cert.read_bytes())

    with pytest.raises(CerConfigError):
        load_signature(SigningConfig(str(encrypted), str(cert), lambda: "wrong"))
    with pytest.raises(CerConfigError):
        load_signature(SigningConfig(str(encrypted), str(cert), lambda: None))


def test_unencrypted_key_does_not_touch_the_keyring(signer_files):
    key, cert = signer_files

    def must_not_be_called():
        raise AssertionError("password asked for an unencrypted key")

    load_signature(SigningConfig(str(key), str(cert), must_not_be_called))


def test_missing_key_file_is_a_config_error_at_the_first_call(
    make_gateway, fake_cer, tmp_path, signer_files
):
    _key, cert = signer_files
    gateway = make_gateway(signing=SigningConfig(str(tmp_path / "none.pem"), str(cert)))
    with pytest.raises(CerConfigError):
        gateway.status()
    assert fake_cer.sent == []


def test_timeouts_are_always_set(make_gateway, fake_cer, patient):
    gateway = make_gateway(connect_timeout=3.0, read_timeout=12.0)
    assert gateway.transport.operation_timeout == (3.0, 12.0)
    gateway.status()
    gateway.book("S1", "V1", patient, Urgency.URGENT)
    assert [kw["timeout"] for _, kw in fake_cer.sent] == [(3.0, 12.0), (3.0, 12.0)]


def test_default_timeouts_and_no_zero_timeouts():
    from cer_fakes import CONTEXT

    config = GatewayConfig(url="https://cer.example/cer", context=CONTEXT)
    assert (config.connect_timeout, config.read_timeout) == (5.0, 20.0)
    with pytest.raises(ValueError):
        GatewayConfig(url="https://cer.example/cer", context=CONTEXT, read_timeout=0)


def test_tls_verification_is_on_by_default(make_gateway, fake_cer):
    gateway = make_gateway(url="https://cer.test/cer")
    assert gateway.session.verify is True
    gateway.status()
    assert fake_cer.sent[0][1]["verify"] not in (False, None)


def test_ca_bundle_and_client_certificate_go_on_the_session(
    make_gateway, fake_cer, signer_files, tls_ca_file
):
    key, cert = signer_files
    gateway = make_gateway(
        url="https://cer.test/cer", verify=str(tls_ca_file), client_cert=(str(cert), str(key))
    )
    assert gateway.session.verify == str(tls_ca_file)
    assert gateway.session.cert == (str(cert), str(key))
    gateway.status()
    assert fake_cer.sent[0][1]["cert"] == (str(cert), str(key))


def test_encrypted_client_key_is_refused_instead_of_prompting(make_gateway, signer_files, tmp_path):
    key, cert = signer_files
    private = serialization.load_pem_private_key(key.read_bytes(), password=None)
    encrypted = tmp_path / "client-key-encrypted.pem"
    encrypted.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.BestAvailableEncryption(b"x"),
        )
    )
    with pytest.raises(CerConfigError):
        make_gateway(client_cert=(str(cert), str(encrypted))).status()


def test_mismatched_client_key_is_a_config_error(make_gateway, signer_files, tmp_path):
    import trustme

    _key, cert = signer_files
    other = tmp_path / "other-key.pem"
    trustme.CA().issue_cert("x.test").private_key_pem.write_to_path(str(other))
    with pytest.raises(CerConfigError):
        make_gateway(client_cert=(str(cert), str(other))).status()


def test_wsdl_is_local_and_nothing_is_fetched(make_gateway, fake_cer):
    gateway = make_gateway()
    gateway.status()
    assert [r.url for r, _ in fake_cer.sent] == ["http://cer.test/cer"]
    client = gateway._ready()[0]
    assert client.settings.forbid_external and client.settings.forbid_dtd
    assert client.settings.forbid_entities and not client.settings.xml_huge_tree


def test_configured_ca_bundle_beats_the_environment(
    make_gateway, fake_cer, tls_ca_file, monkeypatch
):
    """requests lets REQUESTS_CA_BUNDLE override a session's CA bundle; the gateway must not."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    monkeypatch.setenv("CURL_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    make_gateway(url="https://cer.test/cer", verify=str(tls_ca_file)).status()
    assert fake_cer.sent[0][1]["verify"] == str(tls_ca_file)
