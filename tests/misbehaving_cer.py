"""A real loopback server that misbehaves as a hung CeR does: it takes the whole request, then
answers one byte at a time with a pause between bytes (status line and headers included), or
accepts the connection and never says a word (a stalled TLS handshake, for an https:// URL).

A per-read timeout never fires against it (each byte arrives well inside it); only a deadline
for the whole call ends the call. Plain sockets and a thread: nothing of requests or zeep."""

from __future__ import annotations

import socket
import threading
from types import TracebackType

ANSWER = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" '
    b'xmlns:cer="urn:recepcja:model:csioz:p1:cer:v1"><soap:Body><cer:sprawdzStatusOdpowiedz>'
    b"<cer:wynik><cer:kodMajor>urn:csioz:p1:kod:major:Sukces</cer:kodMajor></cer:wynik>"
    b"<cer:czasSerwera>2026-05-04T10:00:00+02:00</cer:czasSerwera>"
    b"</cer:sprawdzStatusOdpowiedz></soap:Body></soap:Envelope>"
)


class MisbehavingCer:
    """``with MisbehavingCer("trickle") as server:`` then call ``server.url``.

    ``mode``: ``trickle`` (a complete, valid answer, one byte every ``pause`` seconds — a
    minute and more in all) or ``silent`` (accept, read nothing, answer nothing).
    ``requests_seen`` counts requests read in full (the request reached "CeR")."""

    def __init__(self, mode: str, pause: float = 0.2) -> None:
        self.mode, self.pause = mode, pause
        self.requests_seen = 0
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self._threads: list[threading.Thread] = []
        self._accepting = threading.Thread(target=self._accept, name="misbehaving-cer",
                                           daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}/cer"

    @property
    def tls_url(self) -> str:
        return self.url.replace("http://", "https://")

    def __enter__(self) -> MisbehavingCer:
        self._accepting.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._stop.set()
        self._accepting.join(5)
        for thread in self._threads:
            thread.join(5)
        self._listener.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _address = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            if self.mode == "silent":
                self._stop.wait()
                return
            conn.settimeout(5)
            try:
                self._read_request(conn)
            except OSError:
                return
            self.requests_seen += 1
            reply = (b"HTTP/1.1 200 OK\r\nContent-Type: text/xml; charset=utf-8\r\n"
                     b"Content-Length: " + str(len(ANSWER)).encode() + b"\r\n\r\n" + ANSWER)
            for index in range(len(reply)):
                if self._stop.wait(self.pause):
                    return
                try:
                    conn.sendall(reply[index:index + 1])
                except OSError:
                    return  # the client gave up: what a deadline is for

    @staticmethod
    def _read_request(conn: socket.socket) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                raise OSError("closed before the request was complete")
            data += chunk
        head, _sep, body = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _colon, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        while len(body) < length:
            chunk = conn.recv(65536)
            if not chunk:
                raise OSError("closed before the request body was complete")
            body += chunk
