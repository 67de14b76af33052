"""CeR calls on a few threads, each with its own copy of the gateway (issue 18).

A ``CerGateway`` belongs to one thread (its HTTP session and zeep client are not shared). Work
that has many independent calls - publishing ten schedules' terms, reading them back - sends
them from ``threads`` threads at once, each calling through its own ``gateway.clone()``: at
tens of milliseconds a call, the waits overlap instead of adding up. With one thread, or a
gateway that cannot be cloned (a test's fake), the calls run on one thread through ``gateway``
itself, as before.

``call(method, *args, after=future)`` runs ``getattr(gateway, method)(*args)`` once ``after``
(an earlier call of the same schedule) has finished: calls that must stay in order do, the
rest overlap. When ``after`` failed, the call is not sent and answers ``[]``.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType
from typing import Any


class GatewayPool:
    def __init__(self, gateway: Any, threads: int, *, name: str = "recepcja-cer") -> None:
        self.gateway = gateway
        clone = getattr(gateway, "clone", None)
        probe = clone() if threads > 1 and clone is not None else None
        self.threads = max(1, threads) if probe is not None else 1
        self._spare = probe  # the first worker thread takes it
        self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix=name)
        self._local = threading.local()
        self._opened: list[Any] = []
        self._lock = threading.Lock()

    def call(self, method: str, *args: Any, after: Future[Any] | None = None) -> Future[Any]:
        return self._pool.submit(self._run, method, args, after)

    def _run(self, method: str, args: tuple[Any, ...], after: Future[Any] | None) -> Any:
        if after is not None and after.exception() is not None:
            return []  # the earlier call of the same series failed: this one waits too
        return getattr(self._mine(), method)(*args)

    def _mine(self) -> Any:
        if self.threads == 1:
            return self.gateway
        gateway = getattr(self._local, "gateway", None)
        if gateway is None:
            with self._lock:
                gateway, self._spare = self._spare or self.gateway.clone(), None
                self._opened.append(gateway)
            self._local.gateway = gateway
        return gateway

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        with self._lock:
            opened, self._opened = self._opened, []
            if self._spare is not None:
                opened.append(self._spare)
                self._spare = None
        for gateway in opened:
            gateway.close()

    def __enter__(self) -> GatewayPool:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()
