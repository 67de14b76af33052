"""A threaded standard-library WSGI server over TLS: the HTTPS of the simulator and the receiver.

waitress (their HTTP server) has no TLS, so a ``ThreadingMixIn`` + ``wsgiref`` server wraps each
accepted socket in an ``ssl.SSLContext`` — in the connection's own thread, so a client that never
finishes its handshake cannot block the others (``handshake_timeout`` bounds it). With a client CA
the context requires a client certificate (``CERT_REQUIRED``): a client without one fails the
handshake, as on P1. One request per connection; the socket closes after it.

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
import logging
import socket
import socketserver
import ssl
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
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


class TlsRequestHandler(WSGIRequestHandler):
    """``wsgiref``'s handler, plus HTTPS in the environment and a hook around the app."""

    server: TlsWsgiServer

    def get_environ(self) -> dict[str, Any]:
        environ = super().get_environ()
        environ["HTTPS"] = "on"
        with contextlib.suppress(ValueError, AttributeError):
            peer = self.connection.getpeercert()  # type: ignore[attr-defined]
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
        handler = ServerHandler(
            self.rfile, self.wfile, self.get_stderr(), self.get_environ(), multithread=True
        )
        handler.request_handler = self  # type: ignore[attr-defined]
        handler.run(self.application())

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's signature
        self.server.request_logged(format % args)


class TlsWsgiServer(socketserver.ThreadingMixIn, WSGIServer):
    """Serves ``app`` over TLS on ``address`` (port 0: a free one), a thread per connection."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        context: ssl.SSLContext,
        app: WsgiApp,
        *,
        handshake_timeout: float,
        connection_timeout: float,
        handler: type[TlsRequestHandler] = TlsRequestHandler,
        log: logging.Logger = logger,
    ) -> None:
        self.log = log
        self._context = context
        self._handshake_timeout = handshake_timeout
        self._connection_timeout = connection_timeout
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, handler)
        self.set_app(app)

    def server_bind(self) -> None:
        # HTTPServer.server_bind would resolve the host's FQDN (a DNS query, slow offline).
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)
        self.setup_environ()

    def finish_request(self, request: Any, client_address: Any) -> None:
        request.settimeout(self._handshake_timeout)
        try:
            connection = self._context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as error:
            self.handshake_refused(error)
            return
        try:
            connection.settimeout(self._connection_timeout)
            self.RequestHandlerClass(connection, client_address, self)
        except OSError:
            pass  # the client went away
        finally:
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
