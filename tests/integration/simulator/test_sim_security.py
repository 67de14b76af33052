"""Transport and message security: mutual TLS (trustme certificates) and WS-Security signatures.

zeep appears here only to *produce* a signed envelope the way the gateway will; the simulator
itself never imports it.
"""

from __future__ import annotations

import base64
import datetime as dt
import ssl
from pathlib import Path

import pytest
import requests
import soap_raw
import trustme
import xmlsec
from lxml import etree
from soap_raw import CER_NS, KON_NS, SOAP_NS

from recepcja.simulator.server import SimulatorServer, TlsConfig

WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
X509_TOKEN = ("http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0"
              "#X509v3")
BASE64_BINARY = ("http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-"
                 "1.0#Base64Binary")


@pytest.fixture
def pki(tmp_path):
    """A server CA, a client CA (the provider's certificate), and their files."""
    server_ca = trustme.CA()
    client_ca = trustme.CA(organization_name="Centrum e-Zdrowia (model)")
    server = server_ca.issue_cert("127.0.0.1", "localhost")
    client = client_ca.issue_cert("podmiot-000000012345@example.pl", key_type=trustme.KeyType.RSA)
    stranger = trustme.CA().issue_cert("obcy@example.pl", key_type=trustme.KeyType.RSA)
    files = {}
    for name, blob in {
        "server_cert": server.cert_chain_pems[0], "server_key": server.private_key_pem,
        "server_ca": server_ca.cert_pem, "client_ca": client_ca.cert_pem,
        "client_cert": client.cert_chain_pems[0], "client_key": client.private_key_pem,
        "stranger_cert": stranger.cert_chain_pems[0], "stranger_key": stranger.private_key_pem,
    }.items():
        files[name] = tmp_path / f"{name}.pem"
        blob.write_to_path(str(files[name]))
    return files


@pytest.fixture
def tls_simulator(tmp_path, pki):
    server = SimulatorServer(tmp_path / "tls-sim", tls=TlsConfig(
        pki["server_cert"], pki["server_key"], pki["client_ca"]), validate_responses=True)
    server.start()
    yield server
    server.stop()


def _status(url: str, **kwargs) -> requests.Response:
    return soap_raw.post(url + "/cer", soap_raw.envelope("<cer:sprawdzStatus/>"), timeout=10,
                         **kwargs)


def test_mutual_tls_accepts_the_right_client_certificate(tls_simulator, pki):
    assert tls_simulator.url.startswith("https://127.0.0.1:")
    response = _status(tls_simulator.url, verify=str(pki["server_ca"]),
                       cert=(str(pki["client_cert"]), str(pki["client_key"])))
    assert soap_raw.parse_answer(response).ok
    wsdl = requests.get(tls_simulator.url + "/cer?wsdl", verify=str(pki["server_ca"]),
                        cert=(str(pki["client_cert"]), str(pki["client_key"])), timeout=10)
    assert f'location="{tls_simulator.url}/cer"'.encode() in wsdl.content


def test_mutual_tls_refuses_a_client_without_the_right_certificate(tls_simulator, pki):
    with pytest.raises(requests.exceptions.ConnectionError):  # SSLError is one of these
        _status(tls_simulator.url, verify=str(pki["server_ca"]))
    with pytest.raises(requests.exceptions.ConnectionError):
        _status(tls_simulator.url, verify=str(pki["server_ca"]),
                cert=(str(pki["stranger_cert"]), str(pki["stranger_key"])))
    # ...and keeps serving the right one.
    assert _status(tls_simulator.url, verify=str(pki["server_ca"]),
                   cert=(str(pki["client_cert"]), str(pki["client_key"]))).status_code == 200


def test_faults_close_tls_connections_too(tls_simulator, pki):
    tls_simulator.simulator.set_fault({"operation": "*", "kind": "down", "count": 1})
    options = {"verify": str(pki["server_ca"]),
               "cert": (str(pki["client_cert"]), str(pki["client_key"]))}
    with pytest.raises(requests.exceptions.ConnectionError):
        _status(tls_simulator.url, **options)
    assert _status(tls_simulator.url, **options).status_code == 200


# -- WS-Security ------------------------------------------------------------------------------
@pytest.fixture
def signing_simulator(tmp_path, pki):
    server = SimulatorServer(tmp_path / "sig-sim", verify_signatures=True,
                             trusted_signer_cert=pki["client_cert"], validate_responses=True)
    server.start()
    yield server
    server.stop()


def _sign(pki, body: str, *, who: str = "client", sha256: bool = True,
          timestamp: dt.datetime | None = None, lifetime: dt.timedelta = dt.timedelta(minutes=1),
          stamped: bool = True, context: bool = True) -> etree._Element:
    """Sign as P1 does (Body, the kontekstWywolania header, a wsu:Timestamp expiring at
    ``timestamp`` — a minute from now unless told — and created ``lifetime`` before) with plain
    xmlsec, not with recepcja.cer: the simulator is checked against an independent signer.
    ``context=False`` leaves the context header out of the signature, ``stamped=False`` the
    Timestamp out of the message."""
    root = etree.fromstring(soap_raw.envelope(body))
    header = root.find(f"{{{SOAP_NS}}}Header")
    security = etree.SubElement(header, f"{{{WSSE}}}Security")
    targets = [root.find(f"{{{SOAP_NS}}}Body")]
    if context:
        targets.append(header.find(f"{{{KON_NS}}}kontekstWywolania"))
    if stamped:
        expires = timestamp or dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
        stamp = etree.SubElement(security, f"{{{WSU}}}Timestamp")
        etree.SubElement(stamp, f"{{{WSU}}}Created").text = (expires - lifetime).isoformat()
        etree.SubElement(stamp, f"{{{WSU}}}Expires").text = expires.isoformat()
        targets.append(stamp)
    pem = Path(pki[f"{who}_cert"]).read_text(encoding="ascii")
    token = etree.SubElement(security, f"{{{WSSE}}}BinarySecurityToken",
                             {"ValueType": X509_TOKEN, "EncodingType": BASE64_BINARY})
    token.text = base64.b64encode(ssl.PEM_cert_to_DER_cert(pem)).decode("ascii")
    constants = xmlsec.constants
    signature = xmlsec.template.create(
        root, constants.TransformExclC14N,
        constants.TransformRsaSha256 if sha256 else constants.TransformRsaSha1, ns="ds")
    security.append(signature)
    signing = xmlsec.SignatureContext()
    for number, node in enumerate(targets):
        node.set(f"{{{WSU}}}Id", f"part-{number}")
        signing.register_id(node, "Id", WSU)
        reference = xmlsec.template.add_reference(
            signature, constants.TransformSha256 if sha256 else constants.TransformSha1,
            uri=f"#part-{number}")
        xmlsec.template.add_transform(reference, constants.TransformExclC14N)
    signing.key = xmlsec.Key.from_file(str(pki[f"{who}_key"]), constants.KeyDataFormatPem)
    signing.sign(signature)
    return root


def _send(server: SimulatorServer, root: etree._Element) -> soap_raw.SoapAnswer:
    return soap_raw.parse_answer(soap_raw.post(server.url + "/cer", etree.tostring(root)))


def test_a_signed_envelope_is_accepted(signing_simulator, pki):
    assert _send(signing_simulator, _sign(pki, "<cer:sprawdzStatus/>")).ok
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)
    answer = _send(signing_simulator, _sign(pki, soap_raw.register_place(), timestamp=later,
                                            lifetime=dt.timedelta(minutes=5)))
    assert answer.ok and answer.text("idMus") == "MUS-1"


def test_unsigned_tampered_or_foreign_signatures_are_refused(signing_simulator, pki):
    unsigned = soap_raw.call(signing_simulator.url + "/cer", "<cer:sprawdzStatus/>")
    assert unsigned.fault["major"].endswith("BladBezpieczenstwa")

    tampered = _sign(pki, soap_raw.register_place(name="Poradnia A"))
    name = tampered.find(f"{{{SOAP_NS}}}Body/{{{CER_NS}}}zapiszDaneMus/{{{CER_NS}}}nazwa")
    name.text = "Poradnia B"
    refused = _send(signing_simulator, tampered)
    assert refused.fault["major"].endswith("BladBezpieczenstwa")
    assert "zmieniona" in refused.fault["opis"]

    foreign = _send(signing_simulator, _sign(pki, "<cer:sprawdzStatus/>", who="stranger"))
    assert foreign.fault["major"].endswith("BladBezpieczenstwa")
    assert "zaufanym" in foreign.fault["opis"]

    # Signature wrapping: the signed Body moved into the header, a forged Body in its place.
    wrapped = _sign(pki, "<cer:sprawdzStatus/>")
    signed_body = wrapped.find(f"{{{SOAP_NS}}}Body")
    wrapped.remove(signed_body)
    wrapped.find(f"{{{SOAP_NS}}}Header").append(signed_body)
    forged = etree.SubElement(wrapped, f"{{{SOAP_NS}}}Body")
    forged.append(etree.fromstring(soap_raw.envelope(soap_raw.register_place()))
                  .find(f"{{{SOAP_NS}}}Body")[0])
    assert "Body" in _send(signing_simulator, wrapped).fault["opis"]

    # The context header (who calls, in which role) must be signed too.
    unsigned_context = _send(signing_simulator, _sign(pki, "<cer:sprawdzStatus/>", context=False))
    assert unsigned_context.fault["major"].endswith("BladBezpieczenstwa")
    assert "kontekstWywolania" in unsigned_context.fault["opis"]
    changed_context = _sign(pki, "<cer:sprawdzStatus/>")
    value = changed_context.find(f".//{{{KON_NS}}}kontekstWywolania/{{{KON_NS}}}atrybut/"
                                 f"{{{KON_NS}}}wartosc")
    value.text = "someone-else"
    assert "zmieniona" in _send(signing_simulator, changed_context).fault["opis"]

    sha1 = _send(signing_simulator, _sign(pki, "<cer:sprawdzStatus/>", sha256=False))
    assert "RSA-SHA256" in sha1.fault["opis"]

    expired = _sign(pki, "<cer:sprawdzStatus/>",
                    timestamp=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))
    assert "wygasła" in _send(signing_simulator, expired).fault["opis"]

    # P1's short-lived Timestamp: required, signed, living at most 5 minutes.
    unstamped = _send(signing_simulator, _sign(pki, "<cer:sprawdzStatus/>", stamped=False))
    assert unstamped.fault["major"].endswith("BladBezpieczenstwa")
    assert unstamped.minor == "NieprawidlowyPodpis" and "wsu:Timestamp" in unstamped.fault["opis"]
    long_lived = _send(signing_simulator, _sign(pki, "<cer:sprawdzStatus/>",
                                                lifetime=dt.timedelta(minutes=30)))
    assert long_lived.minor == "NieprawidlowyPodpis" and "300 s" in long_lived.fault["opis"]
    assert signing_simulator.simulator.store.integrity_check() == "ok"
    assert _send(signing_simulator, _sign(pki, "<cer:sprawdzStatus/>")).ok
