"""A total deadline for every CeR call, however the server behaves.

requests and urllib3 know only per-operation timeouts: one for connecting and one for each
read, restarted by every byte that arrives. A server that trickles one byte every few seconds,
sends its headers slowly or stalls the TLS handshake keeps a call — ``recepcja book``, the sync
thread — waiting without end. Here every socket operation of a call is given at most the time
left until the call's deadline (``CallBudget``): a read that would outlive it times out, and
since each read, write and TLS handshake is bounded as a whole by its socket timeout (CPython's
socket and ssl modules keep one deadline per call), the call as a whole cannot outlive it.

How it is wired (``cer.deadline_http``, loaded with requests at the gateway's first call):
``DeadlineAdapter`` (a requests ``HTTPAdapter``) gives its urllib3 pools
connection classes whose sockets ask the budget before each operation: plain sockets are
created as ``_DeadlineSocket``; a TLS socket becomes ``_DeadlineSSLSocket`` once the handshake
(bounded by the connect timeout and the budget) is done. No thread, no signal, no socket closed
from outside: the call's own thread times out. Name resolution happens before any socket
exists and is left to the system resolver's own timeouts.

``CallBudget.sent`` records whether any byte of the request went out: a deadline before that
is "nothing was sent" (safe to resend), after it "CeR may have processed it" (read back first).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator


class CallBudget:
    """The deadline of the call in progress on one gateway (one thread at a time)."""

    def __init__(self) -> None:
        self._expires: float | None = None
        self.seconds: float | None = None
        self.sent = False  # a byte of the request went out
        self.expired = False  # an operation was cut short by the deadline

    @contextlib.contextmanager
    def running(self, seconds: float) -> Iterator[CallBudget]:
        """Arm the deadline for one call (``seconds`` from now); disarmed afterwards."""
        self.seconds, self.sent, self.expired = seconds, False, False
        self._expires = time.monotonic() + seconds
        try:
            yield self
        finally:
            self._expires = None

    def remaining(self) -> float | None:
        """Seconds left, None when no call is running (a socket outside a call: no limit)."""
        return None if self._expires is None else self._expires - time.monotonic()

    def bound(self, op_timeout: float | None) -> tuple[float | None, bool]:
        """(timeout for the next socket operation, whether the deadline set it): the caller's
        own ``op_timeout``, cut to what is left of the call. Raises ``TimeoutError`` when
        nothing is left."""
        left = self.remaining()
        if left is None:
            return op_timeout, False
        if left <= 0:
            self.expired = True
            raise TimeoutError("the CeR call's deadline has passed")
        if op_timeout is None or left <= op_timeout:
            return left, True
        return op_timeout, False
