"""On the wire, from CeR: the notification receiver over real sockets - signatures that cannot be
replayed, bounded resources before authentication, SOAPAction, plain HTTP off this computer and
a busy port; and the simulator's SOAP endpoint checks SOAPAction as a P1 service does."""

from __future__ import annotations

import socket
import sys
import time
from pathlib import Path

import pytest
import requests

from recepcja.net.push_signature import SignatureChecker, sign
from recepcja.net.tls_wsgi import Limits
from recepcja.store import Repositories
from recepcja.sync.receiver import (
    SOAP_ACTION,
    NotificationReceiver,
    ReceiverRefused,
    signature_for,
)

# The unit tests' pushed envelopes and the integration tests' raw SOAP helpers.
for _folder in ("unit/sync", "integration"):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / _folder))
import soap_raw  # noqa: E402
from push_bodies import push_body  # noqa: E402

SECRET = "s3cret-shared-with-cer"
ACTION = f'"{SOAP_ACTION}"'
PATIENT_WAIT = 0.1  # seconds between the bytes of a slow client


@pytest.fixture
def database(tmp_path) -> Path:
    path = tmp_path / "recepcja.sqlite"
    Repositories.open(path).close()
    return path


def stored(database: Path) -> list[str]:
    repos = Repositories.open(database)
    try:
        return [n.cer_notification_id for n in repos.notifications.recent()]
    finally:
        repos.close()


def post(url: str, body: bytes, signature: str | None, *, action: str | None = ACTION) -> int:
    headers = {"Content-Type": "text/xml; charset=utf-8"}
    if action is not None:
        headers["SOAPAction"] = action
    if signature is not None:
        headers["X-CeR-Signature"] = signature
    return requests.post(url, data=body, headers=headers, timeout=30).status_code


# --- signatures with a replay window ---------------------------------------------------------

def test_a_captured_push_replayed_is_refused(database):
    with NotificationReceiver(database, SECRET, port=0) as receiver:
        body = push_body("NOT-1")
        captured = signature_for(SECRET, body)
        assert post(receiver.url, body, captured) == 200
        assert post(receiver.url, body, captured) == 401  # the very same request again
        assert post(receiver.url, body, signature_for(SECRET, body)) == 200  # CeR's own retry
        assert receiver.app.counts["refused_replay"] == 1
    assert stored(database) == ["NOT-1"]


def test_old_future_and_body_only_signatures_are_refused(database):
    body = push_body("NOT-2")
    now = int(time.time())
    with NotificationReceiver(database, SECRET, port=0) as receiver:
        for signature in (signature_for(SECRET, body, timestamp=now - 301),
                          signature_for(SECRET, body, timestamp=now + 301),
                          "sha256=" + sign(SECRET, body).rsplit("sha256=", 1)[1],
                          sign(SECRET, body).replace(f"t={now}", f"t={now - 1}")):
            assert post(receiver.url, body, signature) == 401, signature
    assert stored(database) == []


def test_the_checker_remembers_only_inside_the_window():
    clock = [1_000_000.0]
    checker = SignatureChecker(SECRET, window=300, clock=lambda: clock[0])
    header = sign(SECRET, b"x", timestamp=int(clock[0]))
    assert checker.check(b"x", header) == "ok"
    assert checker.check(b"x", header) == "replayed"
    assert checker.check(b"y", header) == "wrong"
    clock[0] += 301
    assert checker.check(b"x", header) == "expired"


# --- SOAPAction ----------------------------------------------------------------------------

def test_the_receiver_checks_soapaction(database):
    body = push_body("NOT-3")
    with NotificationReceiver(database, SECRET, port=0) as receiver:
        for action in (None, '""', '"urn:recepcja:model:csioz:p1:cer:v1/zapiszSloty"'):
            assert post(receiver.url, body, signature_for(SECRET, body), action=action) == 400
        assert post(receiver.url, body, signature_for(SECRET, body)) == 200


def test_the_simulator_checks_soapaction(tmp_path):
    from recepcja.simulator.server import SimulatorServer

    with SimulatorServer(tmp_path / "sim") as server:
        url = server.url + "/cer"
        envelope = soap_raw.envelope("<cer:sprawdzStatus/>")
        for action in (None, '"urn:recepcja:model:csioz:p1:cer:v1/zapiszSloty"'):
            headers = {} if action is None else {"SOAPAction": action}
            answer = soap_raw.parse_answer(requests.post(
                url, data=envelope, timeout=30,
                headers={"Content-Type": "text/xml; charset=utf-8", **headers}))
            assert answer.fault is not None and answer.minor == "NieprawidlowaAkcjaSoap"
            assert "SOAPAction" in answer.fault["opis"]
        assert soap_raw.parse_answer(soap_raw.post(url, envelope)).ok


# --- bounded resources before authentication ---------------------------------------------------

def _idle(port: int, count: int, opening: bytes) -> list[socket.socket]:
    sockets = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        sock.sendall(opening)
        sockets.append(sock)
    return sockets


@pytest.mark.parametrize("opening", [
    b"",  # connected, silent
    b"POST / HTTP/1.1\r\nHost: x\r\n",  # headers that never end
    b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 900000\r\nSOAPAction: " + ACTION.encode()
    + b"\r\n\r\n<a>",  # a large body promised, never sent
])
def test_110_idle_connections_do_not_lock_cer_out(database, opening):
    """Long deadlines on purpose: only the connection cap can let the real push through."""
    limits = Limits(header_seconds=600, body_seconds=600, max_body_bytes=1_000_000,
                    max_connections=64)
    with NotificationReceiver(database, SECRET, port=0, limits=limits) as receiver:
        idle = _idle(receiver.port, 110, opening)
        try:
            body = push_body("NOT-4")
            assert post(receiver.url, body, signature_for(SECRET, body)) == 200
            assert receiver.dropped_connections >= 110 - 64
        finally:
            for sock in idle:
                sock.close()
    assert stored(database) == ["NOT-4"]


def _closed_by_server(sock: socket.socket, trickle: bytes) -> bool:
    """Send ``trickle`` a byte at a time, slowly; True once the server has closed the
    connection (False if it let the whole of it arrive)."""
    sock.settimeout(PATIENT_WAIT)
    for index in range(len(trickle)):
        try:
            sock.sendall(trickle[index:index + 1])
            if sock.recv(1024) == b"":
                return True
        except TimeoutError:
            continue
        except OSError:
            return True
    return False


def test_headers_and_body_each_have_a_deadline(database):
    limits = Limits(header_seconds=1.0, body_seconds=1.0, max_body_bytes=1_000_000,
                    max_connections=64)
    with NotificationReceiver(database, SECRET, port=0, limits=limits) as receiver:
        # A byte every 0.1 s: each one well within any per-read timeout, the whole far over
        # the deadline (600 bytes would take a minute).
        with socket.create_connection(("127.0.0.1", receiver.port), timeout=30) as slow:
            assert _closed_by_server(slow, b"POST / HTTP/1.1\r\nX-Slow: " + b"a" * 600)
        with socket.create_connection(("127.0.0.1", receiver.port), timeout=30) as slow:
            slow.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nSOAPAction: " + ACTION.encode()
                         + b"\r\nContent-Length: 600\r\n\r\n")
            assert _closed_by_server(slow, b"<" * 600)
        body = push_body("NOT-5")
        assert post(receiver.url, body, signature_for(SECRET, body)) == 200  # still serving


def test_a_body_over_the_limit_is_refused_before_it_is_read(database):
    with NotificationReceiver(database, SECRET, port=0, max_body_bytes=10_000) as receiver:
        with socket.create_connection(("127.0.0.1", receiver.port), timeout=30) as sock:
            sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 50000000\r\n\r\n")
            assert sock.recv(100).startswith(b"HTTP/1.0 413")


# --- where it listens -------------------------------------------------------------------------

def test_plain_http_off_this_computer_is_refused_or_warned(database):
    receiver = NotificationReceiver(database, SECRET, host="0.0.0.0", port=0)
    with pytest.raises(ReceiverRefused):
        receiver.start()
    allowed = NotificationReceiver(database, SECRET, host="0.0.0.0", port=0,
                                   allow_plain_http=True)
    with allowed:
        assert allowed.warning is not None and "{host}" in allowed.warning
    with NotificationReceiver(database, SECRET, port=0) as local:
        assert local.warning is None


def _serve_settings(host: str, port: int) -> None:
    from recepcja.config.secrets import RECEIVER_SECRET, SecretStore
    from recepcja.config.settings import save_settings
    from recepcja.services.context import AppContext

    ctx = AppContext.load()
    ctx.settings.receiver.host = host
    ctx.settings.receiver.port = port
    save_settings(ctx.paths.settings, ctx.settings)
    SecretStore().set(RECEIVER_SECRET, SECRET)


def test_serve_refuses_plain_http_on_the_network_in_one_line(capsys):
    from recepcja.cli.main import main

    _serve_settings("0.0.0.0", 0)
    assert main(["notifications", "serve"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "0.0.0.0" in err and "Traceback" not in err


def test_a_busy_port_is_one_line(capsys, database):
    from recepcja.cli.main import main

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ReceiverRefused):
            NotificationReceiver(database, SECRET, port=port).start()
        _serve_settings("127.0.0.1", port)
        assert main(["notifications", "serve"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(port) in err and "Traceback" not in err
