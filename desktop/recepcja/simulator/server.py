"""Serving the simulator: waitress for HTTP, the standard library for HTTPS (client certificates).

``SimulatorServer`` is what tests, the training mode and ``recepcja sim`` start: it owns one
``Simulator`` (state in ``data_dir``) and one HTTP server on a background thread.

- HTTP: waitress (multi-threaded, keeps connections alive like a real front end). Its event loop is
  driven here in short polls so that ``stop()`` is prompt and leaves no thread behind.
- HTTPS: waitress has no TLS, so the threaded standard-library server of ``recepcja.net.tls_wsgi``
  (shared with the notification receiver) wraps each accepted socket in an ``ssl.SSLContext`` — in
  the connection's own thread, so a client that never finishes its handshake cannot block the
  others. With a client CA the context requires a client certificate (``CERT_REQUIRED``): a client
  without one fails the TLS handshake, as on P1.

Both adapters turn the app's ``AbortConnection`` into a connection closed without a byte of
answer, which is how the ``down``, ``timeout`` and ``drop_response`` faults reach the client.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import ssl
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import waitress
from waitress import wasyncore
from waitress.channel import ClientDisconnected

from recepcja.net.tls_wsgi import (
    TlsRequestHandler,
    TlsServerThread,
    TlsWsgiServer,
    WsgiApp,
    server_context,
)
from recepcja.simulator.app import MAX_BODY_BYTES, AbortConnection, SimulatorApp
from recepcja.simulator.core import Simulator
from recepcja.simulator.signatures import SignatureVerifier

logger = logging.getLogger(__name__)

HANDSHAKE_TIMEOUT = 10.0
CONNECTION_TIMEOUT = 120.0


@dataclass(frozen=True, slots=True)
class TlsConfig:
    """The server's certificate and key (PEM); with ``client_ca_file`` clients must present a
    certificate issued by that CA (mutual TLS, as P1 requires)."""

    cert_file: Path
    key_file: Path
    client_ca_file: Path | None = None

    def server_context(self) -> ssl.SSLContext:
        return server_context(self.cert_file, self.key_file, self.client_ca_file)


class SimulatorServer:
    """A simulated CeR on ``host:port`` (port 0: a free one), state kept in ``data_dir``."""

    def __init__(
        self,
        data_dir: Path,
        host: str = "127.0.0.1",
        port: int = 0,
        tls: TlsConfig | None = None,
        *,
        verify_signatures: bool = False,
        trusted_signer_cert: Path | None = None,
        validate_responses: bool = False,
        threads: int = 32,
        seed: int | None = None,
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        if verify_signatures and trusted_signer_cert is None:
            raise ValueError("verify_signatures needs trusted_signer_cert")
        self.data_dir = Path(data_dir)
        self.host = host
        self.port = port
        self.tls = tls
        self._verify = verify_signatures
        self._trusted = trusted_signer_cert
        self._validate_responses = validate_responses
        self._threads = threads
        self._seed = seed
        self._max_body = max_body_bytes
        self._simulator: Simulator | None = None
        self._runner: _WaitressRunner | TlsServerThread | None = None
        self._url: str | None = None

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:54321`` (SOAP at ``url + "/cer"``)."""
        if self._url is None:
            raise RuntimeError("the simulator is not running")
        return self._url

    @property
    def simulator(self) -> Simulator:
        """The running simulator, for in-process use (the training mode's outage switch)."""
        if self._simulator is None:
            raise RuntimeError("the simulator is not running")
        return self._simulator

    def start(self) -> str:
        if self._runner is not None:
            return self.url
        verifier = SignatureVerifier(self._trusted) if self._verify and self._trusted else None
        simulator = Simulator(self.data_dir, seed=self._seed)
        app = SimulatorApp(simulator, verifier=verifier,
                           validate_responses=self._validate_responses,
                           max_body_bytes=self._max_body)
        try:
            if self.tls is None:
                runner: _WaitressRunner | TlsServerThread = _WaitressRunner(
                    app, self.host, self.port, self._threads, self._max_body
                )
            else:
                runner = _tls_runner(app, self.host, self.port, self.tls.server_context())
        except BaseException:
            simulator.close()
            raise
        simulator.start()
        runner.start()
        self._simulator, self._runner = simulator, runner
        self.port = runner.port
        scheme = "https" if self.tls else "http"
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host  # noqa: S104
        host = f"[{host}]" if ":" in host else host
        self._url = f"{scheme}://{host}:{runner.port}"
        logger.info("CeR simulator serving on %s (data in %s)", self._url, self.data_dir)
        return self._url

    def stop(self) -> None:
        """Stop serving and the background threads; the state stays in ``data_dir``."""
        runner, simulator = self._runner, self._simulator
        self._runner = self._simulator = None
        self._url = None
        if simulator is not None:
            simulator.stopping.set()  # wake calls held by delay/timeout faults
            simulator.actors.stop()
        if runner is not None:
            runner.stop()
        if simulator is not None:
            simulator.close()

    def __enter__(self) -> SimulatorServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


# -- HTTP: waitress -------------------------------------------------------------------------------
def _waitress_app(app: WsgiApp) -> WsgiApp:
    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        try:
            return app(environ, start_response)
        except AbortConnection:
            # waitress closes the channel without writing anything for this exception.
            raise ClientDisconnected from None

    return wrapped


class _WaitressRunner:
    def __init__(self, app: WsgiApp, host: str, port: int, threads: int, max_body: int) -> None:
        self._map: dict[int, Any] = {}
        self._stopping = threading.Event()
        self._server = waitress.create_server(
            _waitress_app(app),
            map=self._map,
            host=host,
            port=port,
            threads=threads,
            ident="CeR-symulator",
            # Bodies up to twice the app's limit reach the app (which answers 413 with a SOAP
            # fault); anything larger waitress refuses itself.
            max_request_body_size=max_body * 2,
            channel_timeout=CONNECTION_TIMEOUT,
            expose_tracebacks=False,
            asyncore_use_poll=True,
        )
        self.port = int(self._server.effective_port)
        self._thread = threading.Thread(target=self._loop, name="cer-sim-http", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _loop(self) -> None:
        while not self._stopping.is_set() and self._map:
            wasyncore.loop(timeout=0.5, use_poll=True, map=self._map, count=1)
        wasyncore.close_all(self._map)
        self._server.task_dispatcher.shutdown(cancel_pending=True, timeout=5)

    def stop(self) -> None:
        self._stopping.set()
        with contextlib.suppress(OSError):
            self._server.pull_trigger()
        self._thread.join(timeout=10)


# -- HTTPS: the shared standard-library server ----------------------------------------------------
class _TlsRequestHandler(TlsRequestHandler):
    """The shared handler, plus the abort path."""

    def application(self) -> WsgiApp:
        app = super().application()

        def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            try:
                return app(environ, start_response)
            except AbortConnection:
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)
                # wsgiref's ServerHandler returns quietly on this one, writing nothing.
                raise ConnectionAbortedError from None

        return wrapped


def _tls_runner(app: WsgiApp, host: str, port: int, context: ssl.SSLContext) -> TlsServerThread:
    server = TlsWsgiServer(
        (host, port), context, app, handler=_TlsRequestHandler, log=logger,
        handshake_timeout=HANDSHAKE_TIMEOUT, connection_timeout=CONNECTION_TIMEOUT,
    )
    return TlsServerThread(server, name="cer-sim-https", poll_interval=0.1)
