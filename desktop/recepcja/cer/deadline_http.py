"""The sockets, connections and requests adapter that obey a ``CallBudget`` (see
``cer.deadline`` for why and how). Imported with requests at a gateway's first call."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Callable
from typing import Any, TypeVar

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError

from recepcja.cer.deadline import CallBudget

T = TypeVar("T")


class _Bounded:
    """Mixin for sockets: every operation is bounded by the budget (see the module doc)."""

    __slots__ = ()  # adds nothing to the socket's layout (``_DeadlineSSLSocket`` swaps class)
    _budget: CallBudget
    _op_timeout: float | None

    def settimeout(self, value: float | None) -> None:
        # What urllib3 asked for; the budget may cut it shorter. (The slot is declared by the
        # concrete sockets: this mixin adds nothing to their layout.)
        self._op_timeout = value  # type: ignore[misc]
        super().settimeout(value)  # type: ignore[misc]

    def _bounded(self, call: Callable[..., T], *args: Any, sending: bool = False) -> T:
        timeout, by_deadline = self._budget.bound(self._op_timeout)
        super().settimeout(timeout)  # type: ignore[misc]
        if sending:
            self._budget.sent = True  # conservative: a partial write counts as sent
        try:
            return call(*args)
        except TimeoutError:
            if by_deadline:
                self._budget.expired = True
            raise


class _DeadlineSocket(_Bounded, socket.socket):
    __slots__ = ("_budget", "_op_timeout")

    def recv(self, *args: Any) -> bytes:
        return self._bounded(super().recv, *args)

    def recv_into(self, *args: Any) -> int:
        return self._bounded(super().recv_into, *args)

    def send(self, *args: Any) -> int:
        return self._bounded(super().send, *args, sending=True)

    def sendall(self, *args: Any) -> None:
        return self._bounded(super().sendall, *args, sending=True)


class _DeadlineSSLSocket(_Bounded, ssl.SSLSocket):
    """An ``SSLSocket`` whose reads and writes are bounded; ``recv``/``recv_into`` go through
    ``read`` and ``sendall`` through ``send``, so these two are enough."""

    def read(self, *args: Any) -> Any:
        return self._bounded(super().read, *args)

    def send(self, *args: Any) -> int:
        return self._bounded(super().send, *args, sending=True)


class _ConnectionMixin:
    budget: CallBudget
    timeout: Any
    _handshake_by_deadline = False

    def _new_conn(self) -> socket.socket:
        left = self.budget.remaining()
        if left is not None:
            if left <= 0:
                self.budget.expired = True
                raise ConnectTimeoutError(self, "the CeR call's deadline has passed")
            if isinstance(self.timeout, int | float):
                self.timeout = min(float(self.timeout), left)
        sock = super()._new_conn()  # type: ignore[misc]
        op_timeout = self.timeout if isinstance(self.timeout, int | float) else None
        bounded = _DeadlineSocket(sock.family, sock.type, sock.proto, fileno=sock.detach())
        bounded._budget = self.budget
        bounded._op_timeout = op_timeout
        # Bounded now: the TLS handshake that may follow copies this timeout, and CPython's
        # handshake keeps it as one deadline for the whole exchange.
        timeout, self._handshake_by_deadline = self.budget.bound(op_timeout)
        socket.socket.settimeout(bounded, timeout)
        return bounded


class _HTTPConnection(_ConnectionMixin, HTTPConnection):
    pass


class _HTTPSConnection(_ConnectionMixin, HTTPSConnection):
    def connect(self) -> None:
        try:
            super().connect()
        except TimeoutError:
            if self._handshake_by_deadline:  # a stalled handshake ran out the call's time
                self.budget.expired = True
            raise
        sock = self.sock
        if isinstance(sock, ssl.SSLSocket) and not isinstance(sock, _DeadlineSSLSocket):
            timeout = sock.gettimeout()
            sock.__class__ = _DeadlineSSLSocket  # same layout: SSLSocket adds no slots
            sock._budget = self.budget  # type: ignore[attr-defined]
            sock._op_timeout = timeout  # type: ignore[attr-defined]


class DeadlineAdapter(HTTPAdapter):
    """A requests adapter whose connections obey ``budget`` (mount it for http:// and
    https://). Everything else — TLS verification, client certificates, pooling — is
    requests' and urllib3's own."""

    def __init__(self, budget: CallBudget, **kwargs: Any) -> None:
        self.budget = budget
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        budget = self.budget
        http = type("HTTPConnection", (_HTTPConnection,), {"budget": budget})
        https = type("HTTPSConnection", (_HTTPSConnection,), {"budget": budget})
        self.poolmanager.pool_classes_by_scheme = {
            "http": type("HTTPConnectionPool", (HTTPConnectionPool,), {"ConnectionCls": http}),
            "https": type("HTTPSConnectionPool", (HTTPSConnectionPool,),
                          {"ConnectionCls": https}),
        }

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        manager.pool_classes_by_scheme = self.poolmanager.pool_classes_by_scheme
        return manager

    def __getstate__(self) -> dict[str, Any]:  # requests pickles adapters; the budget stays
        state = super().__getstate__()
        state["budget"] = self.budget
        return state
