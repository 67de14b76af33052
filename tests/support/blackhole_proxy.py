"""A loopback TCP proxy that can turn into a black hole: the link is up, nothing comes through.

``blackhole()`` keeps every connection open and every new one accepted, and swallows whatever
either side sends: no reset, no close, no answer - a hung switch, a frozen server, a cable
pulled behind a switch that still answers TCP. (Over loopback the proxy's own kernel
acknowledges the data and answers keepalives, so only the application's own bound can end such
a wait: which is the point.) ``restore()`` forwards again, for new connections; the swallowed
ones are closed (their streams lost bytes), as they would be when TCP gave up.
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading


class BlackholeProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._swallowed: list[socket.socket] = []
        self._hole = threading.Event()
        self._closed = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, url: str) -> str:
        """``url`` (postgresql://user:pw@host:port/db) through this proxy."""
        head, _, tail = url.partition("@")
        _, _, database = tail.partition("/")
        return f"{head}@127.0.0.1:{self.port}/{database}"

    def blackhole(self) -> None:
        self._hole.set()

    def restore(self) -> None:
        with self._lock:
            self._hole.clear()
            swallowed, self._swallowed = self._swallowed, []
        for sock in swallowed:
            _close(sock)

    def close(self) -> None:
        self._closed.set()
        self._hole.clear()
        _close(self._listener)
        with self._lock:
            sockets, self._sockets = self._sockets + self._swallowed, []
        for sock in sockets:
            _close(sock)

    # --- plumbing ---------------------------------------------------------------------------

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self._hole.is_set():
                upstream = None
            else:
                try:
                    upstream = socket.create_connection(self.target, timeout=5)
                except OSError:
                    _close(client)
                    continue
            with self._lock:
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


def in_front_of(url: str) -> BlackholeProxy:
    """A proxy to the server of ``url`` (postgresql://user:pw@host:port/db)."""
    host, port = url.rsplit("@", 1)[1].split("/", 1)[0].rsplit(":", 1)
    return BlackholeProxy(host, int(port))


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
