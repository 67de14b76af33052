"""A threaded standard-library WSGI server over TLS (or plain HTTP): the HTTPS of the simulator,
and the notification receiver over either.

waitress has no TLS, so a ``ThreadingMixIn`` + ``wsgiref`` server wraps each accepted socket in an
``ssl.SSLContext`` — in the connection's own thread, so a client that never finishes its handshake
cannot block the others (``handshake_timeout`` bounds it). With a client CA the context requires a
client certificate (``CERT_REQUIRED``): a client without one fails the handshake, as on P1. With
``context=None`` the same server speaks plain HTTP. One request per connection; the socket closes
after it.

Bounded before the application sees a request (``Limits``; the receiver uses all of them, since
until a request is read nobody is authenticated):

- ``header_seconds``: one deadline for the handshake, the request line and the headers together,
  however slowly the client trickles them (each read gets only the time left);
- ``body_seconds`` and ``max_body_bytes``: the body is read by the server, within its own
  deadline, before the application runs (413 for a declared length over the limit, 411 for a
  body without a length); the application gets it from memory;
- ``max_connections``: at most that many connections at once; at the limit a new connection
  takes the place of the oldest one that has not delivered its request yet, so idle or slow
  connections can never lock out a sender that speaks promptly.

- ``server_context``: the TLS settings (TLS 1.2 at least; mutual TLS with a client CA).
- ``TlsRequestHandler``: wsgiref's handler with ``HTTPS=on`` and the client certificate's subject
  (``SSL_CLIENT_S_DN``) in the environment; ``application()`` is the hook to wrap the app.
- ``TlsWsgiServer``: the server. It logs on the user's ``log`` (request lines at DEBUG — wsgiref
  would write them to stderr —, refused handshakes at INFO); a subclass may override the hooks
  ``request_logged`` and ``handshake_refused`` for other messages.
- ``TlsServerThread``: serves it on a named daemon thread; ``stop()`` shuts down and joins.
"""

from __future__ import annotations

import contextlib
import io
import logging
import socket
import socketserver
import ssl
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast
from wsgiref.simple_server import ServerHandler, WSGIRequestHandler, WSGIServer

logger = logging.getLogger(__name__)

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
MAX_REQUEST_LINE = 65536  # bytes, as wsgiref's own handler
STOP_JOIN_SECONDS = 10.0


def server_context(
    cert_file: str | Path, key_file: str | Path, client_ca_file: str | Path | None = None
) -> ssl.SSLContext:
    """A server context: certificate and key (PEM), TLS 1.2 at least; with ``client_ca_file``
    clients must present a certificate issued by that CA (mutual TLS)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(str(cert_file), str(key_file))
    if client_ca_file:
        context.load_verify_locations(cafile=str(client_ca_file))
        context.verify_mode = ssl.CERT_REQUIRED
    return context


@dataclass(frozen=True, slots=True)
class Limits:
    """What a client may hold before its request is read (None: unbounded, as plain wsgiref)."""

    header_seconds: float | None = None
    body_seconds: float | None = None
    max_body_bytes: int | None = None
    max_connections: int | None = None


class _DeadlineSocketIO(io.RawIOBase):
    """Socket reads that share one deadline: each ``recv`` may wait only for the time left, so
    a client sending a byte now and then cannot stretch a read for ever."""

    def __init__(self, sock: socket.socket) -> None:
        super().__init__()
        self.sock = sock
        self.deadline: float | None = None  # time.monotonic(); None: the socket's own timeout

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.deadline is not None:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("the request was not received in time")
            self.sock.settimeout(left)
        return self.sock.recv_into(buffer)


class _Connection:
    """A connection as the server tracks it for the connection cap."""

    __slots__ = ("accepted", "admitted", "sock")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.accepted = time.monotonic()
        self.admitted = False  # its request has been read: it is no longer anonymous

    def drop(self) -> None:
        # socket.socket.shutdown, also for an SSLSocket: end the peer's reads at the TCP
        # level without touching the TLS object another thread is using.
        with contextlib.suppress(OSError):
            socket.socket.shutdown(self.sock, socket.SHUT_RDWR)


class TlsRequestHandler(WSGIRequestHandler):
    """``wsgiref``'s handler, plus HTTPS in the environment, the server's ``Limits`` and a hook
    around the app."""

    server: TlsWsgiServer

    def setup(self) -> None:
        super().setup()
        # Replaced by a reader that keeps the deadline; closed so that the socket's own file
        # does not keep the connection open after it is closed.
        self.rfile.close()
        self._raw = _DeadlineSocketIO(self.connection)
        limits = self.server.limits
        if limits.header_seconds is not None:
            self._raw.deadline = self.server.started(self.connection) + limits.header_seconds
        self.rfile = io.BufferedReader(self._raw)

    def get_environ(self) -> dict[str, Any]:
        environ = super().get_environ()
        if self.server.tls:
            environ["HTTPS"] = "on"
        with contextlib.suppress(ValueError, AttributeError):
            peer = self.connection.getpeercert()
            if peer:
                environ["SSL_CLIENT_S_DN"] = str(peer.get("subject"))
        return environ

    def application(self) -> WsgiApp:
        """The app this request runs (a subclass may wrap it, e.g. to abort the connection)."""
        return self.server.get_app()  # type: ignore[return-value]

    def handle(self) -> None:
        # wsgiref's handle(), with wsgi.multithread true (each connection has its own thread).
        self.raw_requestline = self.rfile.readline(MAX_REQUEST_LINE + 1)
        if len(self.raw_requestline) > MAX_REQUEST_LINE:
            self.requestline = ""
            self.request_version = ""
            self.command = ""
            self.send_error(414)
            return
        if not self.parse_request():
            return  # parse_request has answered with the error
        body = self._read_body()
        if body is None:
            return  # answered (411/413) or the client went away
        self._raw.deadline = None
        self.connection.settimeout(self.server.connection_timeout)
        self.server.admitted(self.connection)
        handler = ServerHandler(  # wfile: a socket's buffered writer, typed as the base class
            body, cast(IO[bytes], self.wfile), self.get_stderr(), self.get_environ(),
            multithread=True,
        )
        handler.request_handler = self  # type: ignore[attr-defined]
        handler.run(self.application())

    def _read_body(self) -> io.BufferedIOBase | None:
        """The body, read within ``Limits.body_seconds`` (without ``max_body_bytes``: the
        stream itself, as wsgiref does)."""
        limits = self.server.limits
        if limits.max_body_bytes is None:
            return self.rfile
        declared = self.headers.get("Content-Length")
        if declared is None:
            if self.headers.get("Transfer-Encoding") or self.command in ("POST", "PUT", "PATCH"):
                self.send_error(411)
                return None
            return io.BytesIO(b"")
        try:
            length = int(declared)
        except ValueError:
            length = -1
        if length < 0:
            self.send_error(400, "bad Content-Length")
            return None
        if length > limits.max_body_bytes:
            self.send_error(413)
            return None
        if limits.body_seconds is not None:
            self._raw.deadline = time.monotonic() + limits.body_seconds
        body = self.rfile.read(length)
        if len(body) < length:
            return None
        return io.BytesIO(body)

    def log_message(self, format: str, *args: Any) -> None:  # the base's signature
        self.server.request_logged(format % args)


class TlsWsgiServer(socketserver.ThreadingMixIn, WSGIServer):
    """Serves ``app`` over TLS (``context``; None: plain HTTP) on ``address`` (port 0: a free
    one), a thread per connection, within ``limits``."""

    daemon_threads = True
    allow_reuse_address = True
    # socketserver's default backlog of 5 drops the SYN of a sixth client arriving at once
    # (it retries after a second): a burst of connections must queue, not stall.
    request_queue_size = 128

    def __init__(
        self,
        address: tuple[str, int],
        context: ssl.SSLContext | None,
        app: WsgiApp,
        *,
        handshake_timeout: float,
        connection_timeout: float,
        handler: type[TlsRequestHandler] = TlsRequestHandler,
        log: logging.Logger = logger,
        limits: Limits | None = None,
    ) -> None:
        self.log = log
        self._context = context
        self._handshake_timeout = handshake_timeout
        self.connection_timeout = connection_timeout
        self.limits = limits or Limits()
        self._connections: dict[int, _Connection] = {}
        self._connections_lock = threading.Lock()
        self.dropped = 0  # connections closed to make room (for tests and the log)
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, handler)
        self.set_app(app)

    @property
    def tls(self) -> bool:
        return self._context is not None

    # -- the connection cap ------------------------------------------------------------------
    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._make_room():
            self.log.warning("connection refused: %s connections are busy with requests",
                             self.limits.max_connections)
            self.shutdown_request(request)
            return
        with self._connections_lock:
            self._connections[id(request)] = _Connection(request)
        super().process_request(request, client_address)

    def _make_room(self) -> bool:
        """At the cap, drop the oldest connection whose request has not arrived; False when
        every connection is serving a request already."""
        cap = self.limits.max_connections
        if cap is None:
            return True
        with self._connections_lock:
            if len(self._connections) < cap:
                return True
            waiting = [c for c in self._connections.values() if not c.admitted]
            if not waiting:
                return False
            oldest = min(waiting, key=lambda connection: connection.accepted)
            del self._connections[id(oldest.sock)]
            oldest.drop()
            self.dropped += 1
        self.log.info("connection cap reached: the oldest unfinished request was dropped")
        return True

    def _tracked(self, sock: Any) -> _Connection | None:
        return self._connections.get(id(sock))

    def started(self, sock: Any) -> float:
        """When the connection ``sock`` was accepted (its header deadline counts from then)."""
        with self._connections_lock:
            tracked = self._tracked(sock)
            return tracked.accepted if tracked is not None else time.monotonic()

    def admitted(self, sock: Any) -> None:
        """``sock`` delivered its request: the cap no longer drops it."""
        with self._connections_lock:
            tracked = self._tracked(sock)
            if tracked is not None:
                tracked.admitted = True

    def _retrack(self, old: Any, new: Any) -> None:
        with self._connections_lock:
            tracked = self._connections.pop(id(old), None)
            if tracked is not None:
                tracked.sock = new
                self._connections[id(new)] = tracked

    def _untrack(self, *socks: Any) -> None:
        with self._connections_lock:
            for sock in socks:
                self._connections.pop(id(sock), None)

    def server_bind(self) -> None:
        # HTTPServer.server_bind would resolve the host's FQDN (a DNS query, slow offline).
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)
        self.setup_environ()

    def finish_request(self, request: Any, client_address: Any) -> None:
        connection = request
        try:
            if self._context is not None:
                timeout = self._handshake_timeout
                if self.limits.header_seconds is not None:
                    timeout = min(timeout, self.limits.header_seconds)
                request.settimeout(timeout)
                try:
                    connection = self._context.wrap_socket(request, server_side=True)
                except (ssl.SSLError, OSError) as error:
                    self.handshake_refused(error)
                    return
                self._retrack(request, connection)
            try:
                connection.settimeout(self.connection_timeout)
                self.RequestHandlerClass(connection, client_address, self)  # type: ignore[arg-type]
            except OSError:
                pass  # the client went away, or was too slow
        finally:
            self._untrack(request, connection)
            with contextlib.suppress(OSError):
                connection.close()

    # -- hooks ------------------------------------------------------------------------------------
    def request_logged(self, line: str) -> None:
        """A request's log line (request line, status, size)."""
        self.log.debug("https %s", line)

    def handshake_refused(self, error: ssl.SSLError | OSError) -> None:
        """A client failed the TLS handshake (no or a wrong certificate, not TLS, too slow)."""
        self.log.info("TLS handshake refused: %s", getattr(error, "reason", None) or error)


class TlsServerThread:
    """``server`` served on a daemon thread named ``name``; ``stop()`` stops serving, closes the
    listening socket and joins the thread (connections in flight are daemon threads)."""

    def __init__(self, server: TlsWsgiServer, name: str, poll_interval: float) -> None:
        self.server = server
        self.port = int(server.server_address[1])
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": poll_interval},
            name=name, daemon=True,
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=STOP_JOIN_SECONDS)
