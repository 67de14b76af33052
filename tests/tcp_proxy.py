"""A loopback TCP proxy the test controls: the practice server goes away, or goes silent.

- ``cut()`` closes the listening socket and every connection through it (a stopped server or a
  switched-off switch: refused at once); ``restore()`` listens again on the same port.
- ``hold()`` keeps every socket open and new ones accepted, but forwards nothing and reads
  nothing (a pulled cable or a hung server behind a switch that still answers TCP: nothing is
  refused, nothing comes back); ``release()`` forwards again, the held streams intact.
- ``blackhole()`` keeps every connection open and every new one accepted, and swallows whatever
  either side sends: no reset, no close, no answer - a hung switch, a frozen server. (Over
  loopback the proxy's own kernel acknowledges the data and answers keepalives, so only the
  application's own bound can end such a wait: which is the point.) ``restore()`` forwards
  again, for new connections; the swallowed ones are closed (their streams lost bytes), as they
  would be when TCP gave up.
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
import time


def in_front_of(url: str) -> TcpProxy:
    """A proxy to the server of ``url`` (postgresql://user:pw@host:port/db)."""
    host, port = url.rsplit("@", 1)[1].split("/", 1)[0].rsplit(":", 1)
    return TcpProxy(host, int(port))


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._swallowed: list[socket.socket] = []
        self._listener: socket.socket | None = None
        self._held = threading.Event()
        self._hole = threading.Event()
        self._closed = threading.Event()
        self.port = 0
        self._listen()

    # --- control ----------------------------------------------------------------------------

    def restore(self) -> None:
        """After ``cut()``: listen again on the same port. After ``blackhole()``: forward again
        for new connections, close the swallowed ones."""
        with self._lock:
            self._hole.clear()
            swallowed, self._swallowed = self._swallowed, []
            listening = self._listener is not None
        for sock in swallowed:
            _close(sock)
        if not listening:
            self._listen()

    def cut(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
            sockets, self._sockets = self._sockets, []
            self._swallowed = []
        for sock in ([listener] if listener is not None else []) + sockets:
            _close(sock)

    def hold(self) -> None:
        self._held.set()

    def release(self) -> None:
        self._held.clear()

    def blackhole(self) -> None:
        self._hole.set()

    def close(self) -> None:
        self._closed.set()
        self._held.clear()
        self._hole.clear()
        self.cut()

    def url(self, url: str) -> str:
        """``url`` (postgresql://user:pw@host:port/db) through this proxy."""
        head, _, tail = url.partition("@")
        _, _, database = tail.partition("/")
        return f"{head}@127.0.0.1:{self.port}/{database}"

    # --- plumbing ---------------------------------------------------------------------------

    def _listen(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while not self._closed.is_set():
            try:
                client, _ = listener.accept()
            except OSError:
                return
            if self._held.is_set():  # accepted, never answered
                with self._lock:
                    self._sockets.append(client)
                continue
            upstream = None
            if not self._hole.is_set():
                try:
                    upstream = socket.create_connection(self.target, timeout=5)
                except OSError:
                    _close(client)
                    continue
            with self._lock:
                if self._listener is not listener:  # cut meanwhile
                    for sock in (client, upstream):
                        if sock is not None:
                            _close(sock)
                    return
                self._sockets += [s for s in (client, upstream) if s is not None]
                if upstream is None:
                    self._swallowed.append(client)
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    def _pump(self, client: socket.socket, upstream: socket.socket | None) -> None:
        peers = {client: upstream}
        if upstream is not None:
            peers[upstream] = client
        try:
            while not self._closed.is_set():
                if self._held.is_set():  # read nothing: the bytes wait in the kernel
                    time.sleep(0.05)
                    continue
                ready, _, _ = select.select(list(peers), [], [], 0.2)
                for sock in ready:
                    data = sock.recv(65536)
                    if not data:
                        return
                    target = peers[sock]
                    if self._hole.is_set() or target is None:
                        with self._lock:  # swallowed: this stream is lost from now on
                            if sock not in self._swallowed:
                                self._swallowed.append(sock)
                        continue
                    target.sendall(data)
        except (OSError, ValueError):
            return
        finally:
            for sock in peers:
                if sock is not None:
                    _close(sock)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
