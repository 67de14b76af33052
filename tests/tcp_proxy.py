"""A loopback TCP proxy the test controls: the practice server "goes away" when it is cut.

``cut()`` closes the listening socket and every connection through it (a stopped server or a
switched-off switch: refused at once); ``restore()`` listens again on the same port.
``hold()`` keeps every socket open but forwards nothing (a pulled cable or a hung server behind
a switch that still answers TCP: nothing is refused, nothing comes back); ``release()`` ends
that.
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
        self._pipes: list[socket.socket] = []
        self._listener: socket.socket | None = None
        self._held = threading.Event()
        self.port = 0
        self.restore()

    # --- control ----------------------------------------------------------------------------

    def restore(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
            pipes, self._pipes = self._pipes, []
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        for sock in pipes:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def hold(self) -> None:
        self._held.set()

    def release(self) -> None:
        self._held.clear()

    def close(self) -> None:
        self.release()
        self.cut()

    def url(self, url: str) -> str:
        """``url`` (postgresql://user:pw@host:port/db) through this proxy."""
        head, _, tail = url.partition("@")
        _, _, database = tail.partition("/")
        return f"{head}@127.0.0.1:{self.port}/{database}"

    # --- plumbing ---------------------------------------------------------------------------

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            if self._held.is_set():  # accepted, never answered
                with self._lock:
                    self._pipes.append(client)
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                if self._listener is not listener:
                    client.close()
                    upstream.close()
                    return
                self._pipes += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    def _pump(self, left: socket.socket, right: socket.socket) -> None:
        peers = {left: right, right: left}
        try:
            while True:
                if self._held.is_set():
                    time.sleep(0.05)
                    continue
                ready, _, _ = select.select(list(peers), [], [], 1.0)
                for sock in ready:
                    data = sock.recv(65536)
                    if not data:
                        return
                    peers[sock].sendall(data)
        except (OSError, ValueError):
            return
        finally:
            for sock in peers:
                with contextlib.suppress(OSError):
                    sock.close()
