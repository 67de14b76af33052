"""The notification receiver: authentication, size limit, hostile XML, store-before-ack."""

from __future__ import annotations

import io

import pytest
import requests
from push_bodies import push_body

from recepcja.store import Repositories
from recepcja.sync.receiver import (
    SOAP_ACTION,
    NotificationReceiver,
    ReceiverApp,
    ReceiverNotConfigured,
    signature_for,
)
from support.hostile_xml import BILLION_LAUGHS, XXE

SECRET = "s3cret-shared-with-cer"
ACTION = f'"{SOAP_ACTION}"'


def call(app, body: bytes, *, signature: str | None = "auto", method: str = "POST",
         length: int | None = None):
    environ = {
        "REQUEST_METHOD": method,
        "CONTENT_LENGTH": str(len(body) if length is None else length),
        "wsgi.input": io.BytesIO(body),
        "HTTP_SOAPACTION": ACTION,
    }
    if signature == "auto":
        signature = signature_for(SECRET, body)
    if signature is not None:
        environ["HTTP_X_CER_SIGNATURE"] = signature
    answer: dict = {}

    def start_response(status, headers):
        answer["status"] = int(status.split()[0])

    answer["body"] = b"".join(app(environ, start_response))
    return answer


class Recorder:
    def __init__(self, fail: bool = False):
        self.seen: list = []
        self.fail = fail
        self.ids: set[str] = set()

    def __call__(self, notification):
        if self.fail:
            raise OSError("disk full")
        self.seen.append(notification)
        new = notification.id not in self.ids
        self.ids.add(notification.id)
        return new


def test_valid_signed_notification_is_stored_then_acknowledged():
    woken = []
    store = Recorder()
    app = ReceiverApp(store, SECRET, max_body_bytes=100_000, on_stored=lambda: woken.append(1))
    answer = call(app, push_body())
    assert answer["status"] == 200
    assert b"przekazNotyfikacjeOdpowiedz" in answer["body"] and b"Sukces" in answer["body"]
    assert [n.id for n in store.seen] == ["NOT-1"] and woken == [1]
    # the same message again: acknowledged (CeR must stop pushing it), not stored twice
    assert call(app, push_body())["status"] == 200
    assert woken == [1] and app.counts == {"stored": 1, "duplicates": 1}


@pytest.mark.parametrize("signature", [None, "", "sha256=" + "0" * 64, "sha1=abc", "garbage"])
def test_unauthenticated_sender_is_refused(signature):
    store = Recorder()
    app = ReceiverApp(store, SECRET, max_body_bytes=100_000)
    assert call(app, push_body(), signature=signature)["status"] == 401
    assert store.seen == []


def test_signature_with_another_secret_is_refused():
    store = Recorder()
    app = ReceiverApp(store, SECRET, max_body_bytes=100_000)
    body = push_body()
    assert call(app, body, signature=signature_for("other", body))["status"] == 401
    assert store.seen == []


@pytest.mark.parametrize("body", [XXE, BILLION_LAUGHS, b"<not xml", b"<a>valid but wrong</a>"])
def test_hostile_or_invalid_xml_is_refused_even_when_signed(body):
    store = Recorder()
    app = ReceiverApp(store, SECRET, max_body_bytes=100_000)
    assert call(app, body)["status"] == 400
    assert store.seen == []
    assert call(app, push_body())["status"] == 200  # and it keeps serving


def test_oversized_body_is_refused_before_reading():
    store = Recorder()
    app = ReceiverApp(store, SECRET, max_body_bytes=1000)

    class Exploding(io.BytesIO):
        def read(self, *args):
            raise AssertionError("the body was read")

    environ = {"REQUEST_METHOD": "POST", "CONTENT_LENGTH": "5000000", "wsgi.input": Exploding(),
               "HTTP_SOAPACTION": ACTION}
    statuses = []
    app(environ, lambda status, headers: statuses.append(status))
    assert statuses[0].startswith("413")
    assert store.seen == []


def test_missing_length_and_wrong_method():
    app = ReceiverApp(Recorder(), SECRET, max_body_bytes=1000)
    assert call(app, b"", method="GET")["status"] == 405
    environ = {"REQUEST_METHOD": "POST", "wsgi.input": io.BytesIO(b"x"),
               "HTTP_SOAPACTION": ACTION}
    statuses = []
    app(environ, lambda status, headers: statuses.append(status))
    assert statuses[0].startswith("411")


def test_store_failure_is_not_acknowledged():
    app = ReceiverApp(Recorder(fail=True), SECRET, max_body_bytes=100_000)
    assert call(app, push_body())["status"] == 503


def test_no_secret_no_receiver(tmp_path):
    from recepcja.services.context import AppContext

    with pytest.raises(ReceiverNotConfigured):
        NotificationReceiver.from_context(AppContext.load())
    with pytest.raises(ValueError):
        ReceiverApp(Recorder(), "", max_body_bytes=10)


def test_served_over_http_stores_in_the_database_and_keeps_serving(tmp_path):
    db_path = tmp_path / "recepcja.sqlite"
    Repositories.open(db_path).close()
    woken = []
    receiver = NotificationReceiver(db_path, SECRET, port=0, max_body_bytes=20_000,
                                    on_stored=lambda: woken.append(1))
    with receiver:
        url = receiver.url
        def post(body, signature="auto"):
            headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": ACTION}
            if signature == "auto":
                headers["X-CeR-Signature"] = signature_for(SECRET, body)
            return requests.post(url, data=body, headers=headers, timeout=5).status_code
        assert post(XXE) == 400
        assert post(BILLION_LAUGHS) == 400
        assert post(b"<x>" + b"a" * 50_000 + b"</x>") == 413
        assert post(push_body(), signature=None) == 401
        assert post(push_body(), signature="sha256=" + "f" * 64) == 401
        assert post(push_body("NOT-7")) == 200
        assert post(push_body("NOT-7")) == 200
    repos = Repositories.open(db_path)
    try:
        stored = repos.notifications.recent()
        assert [n.cer_notification_id for n in stored] == ["NOT-7"]
        assert stored[0].channel == "push" and stored[0].cer_version == "1"
    finally:
        repos.close()
    assert woken == [1]


def test_from_context_reads_settings_and_keyring(tmp_path):
    from recepcja.config.secrets import RECEIVER_SECRET, SecretStore
    from recepcja.config.settings import save_settings
    from recepcja.services.context import AppContext

    ctx = AppContext.load()
    ctx.settings.receiver.port = 0
    ctx.settings.receiver.max_body_bytes = 4321
    ctx.settings.receiver.tls_cert_file = str(tmp_path / "server.pem")
    ctx.settings.receiver.tls_key_file = str(tmp_path / "server.pem")
    ctx.settings.receiver.client_ca_file = str(tmp_path / "ca.pem")
    save_settings(ctx.paths.settings, ctx.settings)
    SecretStore().set(RECEIVER_SECRET, SECRET)
    receiver = NotificationReceiver.from_context(AppContext.load())
    assert receiver.tls is not None and receiver.tls.client_ca_file.endswith("ca.pem")
    assert receiver.url.startswith("https://") and receiver.app._max_body == 4321
