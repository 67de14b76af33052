"""The receiver over HTTPS with client certificates: CeR (the simulator) pushes with its
certificate and the shared secret; a sender without a certificate never gets an HTTP answer."""

from __future__ import annotations

import pytest
import requests
import soap_raw
import trustme

from recepcja.store import Repositories
from recepcja.sync.receiver import (
    SOAP_ACTION,
    NotificationReceiver,
    ReceiverTls,
    signature_for,
)
from support.polling import wait_until

SECRET = "tls-push-secret"


@pytest.fixture
def pki(tmp_path):
    server_ca, sender_ca = trustme.CA(), trustme.CA()
    server = server_ca.issue_cert("127.0.0.1")
    sender = sender_ca.issue_cert("cer.ezdrowie.gov.pl")
    files = {
        "server_ca": tmp_path / "server-ca.pem",
        "server": tmp_path / "server.pem",
        "sender_ca": tmp_path / "sender-ca.pem",
        "sender_cert": tmp_path / "sender-cert.pem",
        "sender_key": tmp_path / "sender-key.pem",
    }
    server_ca.cert_pem.write_to_path(str(files["server_ca"]))
    server.private_key_and_cert_chain_pem.write_to_path(str(files["server"]))
    sender_ca.cert_pem.write_to_path(str(files["sender_ca"]))
    sender.private_key_pem.write_to_path(str(files["sender_key"]))
    with files["sender_cert"].open("wb") as handle:
        for blob in sender.cert_chain_pems:
            handle.write(blob.bytes())
    return files


def test_https_receiver_with_client_certificates(practice, pki):
    sim, repos = practice.sim, practice.repos
    tls = ReceiverTls(str(pki["server"]), str(pki["server"]), str(pki["sender_ca"]))
    with NotificationReceiver(practice.db_path, SECRET, port=0, tls=tls) as receiver:
        assert receiver.url.startswith("https://127.0.0.1:")
        body = b"<a/>"
        with pytest.raises(requests.exceptions.SSLError):  # no client certificate: no HTTP
            requests.post(receiver.url, data=body, verify=str(pki["server_ca"]), timeout=5,
                          headers={"X-CeR-Signature": signature_for(SECRET, body)})
        answer = requests.post(receiver.url, data=body, verify=str(pki["server_ca"]), timeout=5,
                               cert=(str(pki["sender_cert"]), str(pki["sender_key"])),
                               headers={"SOAPAction": f'"{SOAP_ACTION}"'})
        assert answer.status_code == 401  # a certificate alone is not enough: the signature too
        sim.control("POST", "notifications", {
            "url": receiver.url, "secret": SECRET, "ca_file": str(pki["server_ca"]),
            "cert_file": str(pki["sender_cert"]), "key_file": str(pki["sender_key"])})
        sim.control("POST", "portal-booking", {"slot": sim.place.slot_ids()[2],
                                               "pesel": soap_raw.PESEL_A})
        wait_until(repos.notifications.count_unapplied, "the pushed notification stored",
                   timeout=10)
    assert receiver.app.counts == {"refused_signature": 1, "stored": 1}
    check = Repositories.open(practice.db_path)
    try:
        assert [n.channel for n in check.notifications.recent()] == ["push"]
    finally:
        check.close()
