"""The notification receiver: the HTTP endpoint CeR pushes ``przekazNotyfikacje`` to.

Off by default (``[receiver] enabled``); an admin exposes it as docs/NOTIFICATIONS.md describes.
It is open to the network, so every request is hostile until proven otherwise. In order:

0. before the application sees anything, the server bounds what an anonymous client may hold
   (``net.tls_wsgi.Limits``): one deadline for the request line and headers, one for the body,
   the body size (413 before a byte of it is read), and the number of connections - at the cap
   the oldest connection that has not delivered its request is dropped, so a hundred idle
   sockets cannot lock CeR out;
1. only ``POST`` with ``SOAPAction: "…/przekazNotyfikacje"`` (as a P1 service checks it);
2. the sender is authenticated: ``X-CeR-Signature: t=<unix time>,n=<nonce>,sha256=<hex
   HMAC-SHA256(secret, "t.n." + body)>`` with the shared secret from the keyring, compared in
   constant time; a signature outside the replay window (5 minutes) or a nonce already accepted
   is refused like a wrong one (401): a captured push cannot be replayed (``net.push_signature``);
3. the XML is parsed by ``cer.push.parse_push_notification`` (no DTD, no entities, no network,
   schema-validated): XXE, billion laughs and anything malformed get 400;
4. the notification is STORED (one transaction, ``NotificationRepo.store``; a duplicate is
   acknowledged and dropped) and only then answered 200 with ``push_ack_response()``. If the
   store fails the answer is 503, so CeR pushes again: nothing is acknowledged that is not on disk.

Served by the threaded server of ``recepcja.net.tls_wsgi``: over HTTPS (``[receiver]
tls_cert_file``/``tls_key_file``; with ``client_ca_file`` the sender must also present a
certificate from that CA, checked before a byte of HTTP is read), or over plain HTTP - on this
computer only (behind the practice's TLS proxy), unless ``[receiver] allow_plain_http`` says
otherwise, and then with a loud warning.

Applying is not done here: the request thread only stores and wakes the sync thread
(``on_stored``), so the answer is fast whatever the schedule looks like. A bad request never
stops the server: each one is answered and forgotten.
"""

from __future__ import annotations

import errno
import logging
import ssl
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from recepcja.cer.errors import CerBug
from recepcja.cer.push import HostileInput, parse_push_notification, push_ack_response
from recepcja.cer.wire import CER_NS
from recepcja.domain.errors import N_, DomainError
from recepcja.domain.transport import is_loopback_host
from recepcja.net import push_signature
from recepcja.net.tls_wsgi import Limits, TlsServerThread, TlsWsgiServer, server_context

if TYPE_CHECKING:
    from recepcja.config.settings import Settings
    from recepcja.store.db import Database

log = logging.getLogger("recepcja.sync.receiver")

SIGNATURE_HEADER = push_signature.HEADER
_SIGNATURE_ENVIRON = "HTTP_X_CER_SIGNATURE"
SOAP_ACTION = f"{CER_NS}/przekazNotyfikacje"
HANDSHAKE_SECONDS = 10.0
CONNECTION_SECONDS = 30.0
HEADER_SECONDS = 10.0  # handshake + request line + headers, however slowly they come
BODY_SECONDS = 30.0
MAX_CONNECTIONS = 64
StoreFunction = Callable[[Any], bool]  # CerNotification -> stored (False: a duplicate)


class ReceiverNotConfigured(DomainError):
    """The receiver cannot start: no shared secret in the keyring."""


class ReceiverRefused(DomainError):
    """The receiver will not listen as configured (plain HTTP off this computer, a busy
    port); the message says what to change."""


def signature_for(secret: str, body: bytes, *, timestamp: int | None = None,
                  nonce: str | None = None) -> str:
    """An ``X-CeR-Signature`` value for sending ``body`` now (what CeR sends)."""
    return push_signature.sign(secret, body, timestamp=timestamp, nonce=nonce)


def soap_action_ok(value: str | None) -> bool:
    return (value or "").strip().strip('"') == SOAP_ACTION


class ReceiverApp:
    """The WSGI application (usable under any WSGI server; ``NotificationReceiver`` serves it).
    ``store`` is called on the request's thread and must open its own connection;
    ``on_stored`` wakes the sync thread."""

    def __init__(
        self,
        store: StoreFunction,
        secret: str,
        *,
        max_body_bytes: int,
        on_stored: Callable[[], None] | None = None,
        signatures: push_signature.SignatureChecker | None = None,
    ) -> None:
        if not secret:
            raise ValueError("the receiver needs a shared secret")
        self._store = store
        self._signatures = signatures or push_signature.SignatureChecker(secret)
        self._max_body = max_body_bytes
        self._on_stored = on_stored
        self._lock = threading.Lock()
        self.counts: dict[str, int] = {}

    def _count(self, key: str) -> None:
        with self._lock:
            self.counts[key] = self.counts.get(key, 0) + 1

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        status, body, content_type = self._handle(environ)
        start_response(
            status,
            [("Content-Type", content_type), ("Content-Length", str(len(body)))],
        )
        return [body]

    def _handle(self, environ: dict[str, Any]) -> tuple[str, bytes, str]:
        if environ.get("REQUEST_METHOD") != "POST":
            self._count("refused_method")
            return "405 Method Not Allowed", b"POST only\n", "text/plain"
        if not soap_action_ok(environ.get("HTTP_SOAPACTION")):
            self._count("refused_action")
            return "400 Bad Request", b"SOAPAction must be przekazNotyfikacje\n", "text/plain"
        try:
            length = int(environ.get("CONTENT_LENGTH") or -1)
        except ValueError:
            length = -1
        if length < 0:
            self._count("refused_length")
            return "411 Length Required", b"length required\n", "text/plain"
        if length > self._max_body:
            self._count("refused_size")
            return "413 Content Too Large", b"too large\n", "text/plain"
        body = environ["wsgi.input"].read(length)
        header = environ.get(_SIGNATURE_ENVIRON)
        verdict = self._signatures.check(body, header)
        if verdict != "ok":
            self._count("refused_replay" if verdict in ("expired", "replayed")
                        else "refused_signature")
            log.warning("notification refused: signature %s", verdict)
            return "401 Unauthorized", b"bad signature\n", "text/plain"
        try:
            notification = parse_push_notification(body, max_bytes=self._max_body)
        except HostileInput:
            self._count("refused_hostile")
            log.warning("notification refused: oversized, malformed or unsafe XML")
            return "400 Bad Request", b"refused\n", "text/plain"
        except CerBug:
            self._count("refused_invalid")
            log.warning("notification refused: not a valid przekazNotyfikacje")
            return "400 Bad Request", b"invalid\n", "text/plain"
        try:
            stored = self._store(notification)
        except Exception:
            self._count("store_failed")
            log.exception("notification %s could not be stored", notification.id)
            # CeR's retry of this very request must not look like a replay.
            self._signatures.forget(self._signatures.nonce(header))
            return "503 Service Unavailable", b"try again\n", "text/plain"
        self._count("stored" if stored else "duplicates")
        if stored and self._on_stored is not None:
            try:
                self._on_stored()
            except Exception:
                log.exception("on_stored failed")
        return "200 OK", push_ack_response(), "text/xml; charset=utf-8"


def database_store(database: str | Path | Callable[[], Database]) -> StoreFunction:
    """A ``store`` for ``ReceiverApp`` writing to the practice database: one short-lived
    connection per request (request threads come and go; a connection belongs to its thread).
    ``database``: an SQLite path or practice database URL, or the context's ``open_db``."""
    from recepcja.store.db import open_database
    from recepcja.store.repos import Repositories
    from recepcja.sync.notifications import store_notification

    def store(notification: Any) -> bool:
        db = database() if callable(database) else open_database(database)
        try:
            return store_notification(Repositories.over(db), notification, "push")
        finally:
            db.close()

    return store


@dataclass(frozen=True, slots=True)
class ReceiverTls:
    """HTTPS for the receiver: its certificate and key (PEM); with ``client_ca_file`` a sender
    must present a certificate issued by that CA (mutual TLS) or the handshake fails."""

    cert_file: str
    key_file: str
    client_ca_file: str | None = None

    def context(self) -> ssl.SSLContext:
        return server_context(self.cert_file, self.key_file, self.client_ca_file)


class _ReceiverServer(TlsWsgiServer):
    """The shared server (a thread per connection, a handshake in each: a client that never
    finishes it blocks nobody), logging as the receiver."""

    def request_logged(self, line: str) -> None:
        log.debug("receiver %s", line)

    def handshake_refused(self, error: ssl.SSLError | OSError) -> None:
        log.warning("receiver: TLS handshake refused (%s)", getattr(error, "reason", error))


class ReceiverContext(Protocol):
    """What the receiver needs of the app's context (``services.AppContext`` has it): sync/ sits
    below services/, so it names the shape, not the class."""

    settings: Settings

    def open_db(self) -> Database: ...


class NotificationReceiver:
    """``ReceiverApp`` served on a background thread, over HTTPS (``tls``, optionally requiring
    client certificates) or plain HTTP (this computer only unless ``allow_plain_http``)."""

    def __init__(
        self,
        database: str | Path | Callable[[], Database],
        secret: str,
        *,
        host: str = "127.0.0.1",
        port: int = 8701,
        max_body_bytes: int = 1_000_000,
        on_stored: Callable[[], None] | None = None,
        tls: ReceiverTls | None = None,
        allow_plain_http: bool = False,
        limits: Limits | None = None,
    ) -> None:
        self.tls = tls
        self.app = ReceiverApp(
            database_store(database), secret, max_body_bytes=max_body_bytes, on_stored=on_stored
        )
        self.host = host
        self.port = port
        self.allow_plain_http = allow_plain_http
        self.limits = limits or Limits(header_seconds=HEADER_SECONDS, body_seconds=BODY_SECONDS,
                                       max_body_bytes=max_body_bytes,
                                       max_connections=MAX_CONNECTIONS)
        self.warning: str | None = None  # set by start() when serving plain HTTP off loopback
        self._runner: TlsServerThread | None = None

    @classmethod
    def from_context(
        cls, ctx: ReceiverContext, on_stored: Callable[[], None] | None = None
    ) -> NotificationReceiver:
        """The receiver as the settings describe it, with the secret from the keyring."""
        from recepcja.config.secrets import RECEIVER_SECRET, SecretStore

        secret = SecretStore().get(RECEIVER_SECRET)
        if not secret:
            raise ReceiverNotConfigured(
                N_(
                    "The notification receiver has no shared secret: store it in the keyring "
                    "under '{name}' (see docs/NOTIFICATIONS.md)."
                ),
                name=RECEIVER_SECRET,
            )
        settings = ctx.settings.receiver
        tls = None
        if settings.tls_cert_file and settings.tls_key_file:
            tls = ReceiverTls(
                settings.tls_cert_file, settings.tls_key_file, settings.client_ca_file or None
            )
        return cls(
            ctx.open_db,
            secret,
            host=settings.host,
            port=settings.port,
            max_body_bytes=settings.max_body_bytes,
            on_stored=on_stored,
            tls=tls,
            allow_plain_http=settings.allow_plain_http,
        )

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'https' if self.tls else 'http'}://{host}:{self.port}/"

    @property
    def dropped_connections(self) -> int:
        """Connections dropped at the cap so far (0 when not running)."""
        return self._runner.server.dropped if self._runner is not None else 0

    def _check_plain_http(self) -> None:
        if self.tls is not None or is_loopback_host(self.host):
            return
        if not self.allow_plain_http:
            raise ReceiverRefused(
                N_("The notification receiver would listen on {host} in plain HTTP: "
                   "notifications, with patients' PESELs, would cross the network "
                   "unencrypted. Keep [receiver] host = \"127.0.0.1\" behind a TLS proxy, give "
                   "it a certificate ([receiver] tls_cert_file, tls_key_file), or - behind a "
                   "proxy on the practice's own network - set [receiver] allow_plain_http = "
                   "true."), host=self.host)
        self.warning = N_("WARNING: the notification receiver listens on {host} in plain HTTP "
                          "([receiver] allow_plain_http): notifications cross the network "
                          "unencrypted between the proxy and this computer.")
        log.warning("receiver: plain HTTP on %s (allow_plain_http): unencrypted on the network",
                    self.host)

    def start(self) -> str:
        if self._runner is not None:
            return self.url
        self._check_plain_http()
        context = self.tls.context() if self.tls is not None else None
        try:
            server = _ReceiverServer(
                (self.host, self.port), context, self.app,
                handshake_timeout=HANDSHAKE_SECONDS, connection_timeout=CONNECTION_SECONDS,
                limits=self.limits,
            )
        except OSError as error:
            if error.errno in (errno.EADDRINUSE, getattr(errno, "WSAEADDRINUSE", -1)):
                raise ReceiverRefused(
                    N_("The notification receiver cannot listen on {host}:{port}: the port is "
                       "already in use (another receiver or another program). Stop it, or "
                       "choose another [receiver] port."), host=self.host, port=self.port
                ) from None
            raise ReceiverRefused(
                N_("The notification receiver cannot listen on {host}:{port}: {error}"),
                host=self.host, port=self.port, error=error.strerror or str(error)) from None
        runner = TlsServerThread(server, name="recepcja-receiver", poll_interval=0.2)
        self._runner = runner
        self.port = runner.port
        runner.start()
        log.info("notification receiver listening on %s", self.url)
        return self.url

    def stop(self) -> None:
        if self._runner is not None:
            self._runner.stop()
            self._runner = None

    def __enter__(self) -> NotificationReceiver:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()
