"""The notification receiver: the HTTP endpoint CeR pushes ``przekazNotyfikacje`` to.

Off by default (``[receiver] enabled``); an admin exposes it as docs/NOTIFICATIONS.md describes.
It is open to the network, so every request is hostile until proven otherwise. In order:

1. only ``POST``; a body must declare its length, and one over ``max_body_bytes`` is refused
   (413) before a byte of it is read (waitress itself also stops reading at that size);
2. the sender is authenticated: ``X-CeR-Signature: sha256=<hex HMAC-SHA256(secret, body)>`` with
   the shared secret from the keyring, compared in constant time (401 when missing or wrong);
3. the XML is parsed by ``cer.push.parse_push_notification`` (no DTD, no entities, no network,
   schema-validated): XXE, billion laughs and anything malformed get 400;
4. the notification is STORED (one transaction, ``NotificationRepo.store``; a duplicate is
   acknowledged and dropped) and only then answered 200 with ``push_ack_response()``. If the
   store fails the answer is 503, so CeR pushes again: nothing is acknowledged that is not on disk.

Served over HTTP by waitress (behind the practice's TLS proxy), or over HTTPS by the app itself
(``[receiver] tls_cert_file``/``tls_key_file``, with the server of ``recepcja.net.tls_wsgi``);
with ``client_ca_file`` the sender must also present a certificate from that CA (mutual TLS),
checked before a byte of HTTP is read.

Applying is not done here: the request thread only stores and wakes the sync thread
(``on_stored``), so the answer is fast whatever the schedule looks like. A bad request never
stops the server: each one is answered and forgotten.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import ssl
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from recepcja.cer.errors import CerBug
from recepcja.cer.push import HostileInput, parse_push_notification, push_ack_response
from recepcja.domain.errors import N_, DomainError
from recepcja.net.tls_wsgi import TlsServerThread, TlsWsgiServer, server_context

if TYPE_CHECKING:
    from recepcja.services.context import AppContext
    from recepcja.store.db import Database

log = logging.getLogger("recepcja.sync.receiver")

SIGNATURE_HEADER = "X-CeR-Signature"
_SIGNATURE_ENVIRON = "HTTP_X_CER_SIGNATURE"
_SIGNATURE_PREFIX = "sha256="
HANDSHAKE_SECONDS = 10.0
CONNECTION_SECONDS = 30.0
StoreFunction = Callable[[Any], bool]  # CerNotification -> stored (False: a duplicate)


class ReceiverNotConfigured(DomainError):
    """The receiver cannot start: no shared secret in the keyring."""


def signature_for(secret: str, body: bytes) -> str:
    """The ``X-CeR-Signature`` value CeR sends with ``body``."""
    return _SIGNATURE_PREFIX + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def signature_ok(secret: str, body: bytes, header: str | None) -> bool:
    if not header or not secret:
        return False
    expected = signature_for(secret, body).encode("ascii")
    return hmac.compare_digest(expected, header.strip().lower().encode("ascii", "replace"))


class ReceiverApp:
    """The WSGI application (usable under any WSGI server; ``NotificationReceiver`` serves it
    with waitress). ``store`` is called on the request's thread and must open its own
    connection; ``on_stored`` wakes the sync thread."""

    def __init__(
        self,
        store: StoreFunction,
        secret: str,
        *,
        max_body_bytes: int,
        on_stored: Callable[[], None] | None = None,
    ) -> None:
        if not secret:
            raise ValueError("the receiver needs a shared secret")
        self._store = store
        self._secret = secret
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
        if not signature_ok(self._secret, body, environ.get(_SIGNATURE_ENVIRON)):
            self._count("refused_signature")
            log.warning("notification refused: missing or wrong signature")
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


class _TlsWsgiServer(TlsWsgiServer):
    """The shared HTTPS server (waitress has no TLS; a handshake per connection thread, so a
    client that never finishes it blocks nobody), logging as the receiver."""

    def request_logged(self, line: str) -> None:
        log.debug("receiver %s", line)

    def handshake_refused(self, error: ssl.SSLError | OSError) -> None:
        log.warning("receiver: TLS handshake refused (%s)", getattr(error, "reason", error))


class NotificationReceiver:
    """``ReceiverApp`` served on a background thread: by waitress over HTTP, or by a threaded
    standard-library server over HTTPS (``tls``, optionally requiring client certificates)."""

    def __init__(
        self,
        database: str | Path | Callable[[], Database],
        secret: str,
        *,
        host: str = "127.0.0.1",
        port: int = 8701,
        max_body_bytes: int = 1_000_000,
        on_stored: Callable[[], None] | None = None,
        threads: int = 4,
        tls: ReceiverTls | None = None,
    ) -> None:
        self.tls = tls
        self._tls_runner: TlsServerThread | None = None
        self.app = ReceiverApp(
            database_store(database), secret, max_body_bytes=max_body_bytes, on_stored=on_stored
        )
        self.host = host
        self.port = port
        self._max_body = max_body_bytes
        self._threads = threads
        self._server: Any = None
        self._map: dict[int, Any] = {}
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @classmethod
    def from_context(
        cls, ctx: AppContext, on_stored: Callable[[], None] | None = None
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
        )

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'https' if self.tls else 'http'}://{host}:{self.port}/"

    def start(self) -> str:
        if self.tls is not None:
            return self._start_tls(self.tls)
        import waitress
        from waitress import wasyncore

        self._server = waitress.create_server(
            self.app,
            map=self._map,
            host=self.host,
            port=self.port,
            threads=self._threads,
            ident="Recepcja",
            max_request_body_size=self._max_body,
            channel_timeout=30,
            expose_tracebacks=False,
            asyncore_use_poll=True,
        )
        self.port = int(self._server.effective_port)
        self._stopping.clear()

        def loop() -> None:
            while not self._stopping.is_set() and self._map:
                wasyncore.loop(timeout=0.5, use_poll=True, map=self._map, count=1)
            wasyncore.close_all(self._map)
            self._server.task_dispatcher.shutdown(cancel_pending=True, timeout=5)

        self._thread = threading.Thread(target=loop, name="recepcja-receiver", daemon=True)
        self._thread.start()
        log.info("notification receiver listening on %s", self.url)
        return self.url

    def _start_tls(self, tls: ReceiverTls) -> str:
        server = _TlsWsgiServer(
            (self.host, self.port), tls.context(), self.app,
            handshake_timeout=HANDSHAKE_SECONDS, connection_timeout=CONNECTION_SECONDS,
        )
        runner = TlsServerThread(server, name="recepcja-receiver-tls", poll_interval=0.2)
        self._tls_runner = runner
        self.port = runner.port
        runner.start()
        log.info("notification receiver listening on %s", self.url)
        return self.url

    def stop(self) -> None:
        if self._tls_runner is not None:
            self._tls_runner.stop()
            self._tls_runner = None
            return
        if self._thread is None:
            return
        self._stopping.set()
        with contextlib.suppress(OSError):
            self._server.pull_trigger()
        self._thread.join(timeout=10)
        self._thread = None

    def __enter__(self) -> NotificationReceiver:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()
