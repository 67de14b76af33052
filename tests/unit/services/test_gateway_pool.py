"""CeR calls on a few threads, each through its own copy of the gateway (services.gateway_pool)."""

from __future__ import annotations

import threading

from recepcja.services.gateway_pool import GatewayPool


class FakeGateway:
    def __init__(self, log: list[tuple[str, int]], clones: list[FakeGateway] | None) -> None:
        self.log = log
        self.clones = clones
        self.closed = False
        self.threads: set[str] = set()

    def clone(self) -> FakeGateway | None:
        if self.clones is None:
            return None
        copy = FakeGateway(self.log, self.clones)
        self.clones.append(copy)
        return copy

    def save(self, series: str, number: int, wait: threading.Event | None = None,
             done: threading.Event | None = None) -> int:
        self.threads.add(threading.current_thread().name)
        if wait is not None:
            wait.wait(10)
        self.log.append((series, number))
        if done is not None:
            done.set()
        if number < 0:
            raise ValueError("refused")
        return number

    def close(self) -> None:
        self.closed = True


def test_calls_overlap_on_clones_but_a_series_stays_in_order():
    log: list[tuple[str, int]] = []
    clones: list[FakeGateway] = []
    gateway = FakeGateway(log, clones)
    b_done = threading.Event()
    with GatewayPool(gateway, 4) as pool:
        previous = None
        firsts = []
        for number in range(3):
            # a0 is held until b has run: b must not wait behind series a
            previous = pool.call("save", "a", number, b_done if number == 0 else None,
                                 after=previous)
            firsts.append(previous)
        other = pool.call("save", "b", 0, None, b_done)
        assert [f.result() for f in firsts] == [0, 1, 2] and other.result() == 0
    assert [entry for entry in log if entry[0] == "a"] == [("a", 0), ("a", 1), ("a", 2)]
    assert log[0] == ("b", 0)  # it did not wait for series a
    assert not gateway.threads and all(clone.closed for clone in clones)
    assert pool.threads == 4


def test_a_call_after_a_failed_one_is_not_sent():
    log: list[tuple[str, int]] = []
    with GatewayPool(FakeGateway(log, []), 2) as pool:
        failed = pool.call("save", "a", -1)
        later = pool.call("save", "a", 5, after=failed)
        assert later.result() == [] and isinstance(failed.exception(), ValueError)
    assert log == [("a", -1)]


def test_a_gateway_that_cannot_be_cloned_is_used_on_one_thread():
    log: list[tuple[str, int]] = []
    gateway = FakeGateway(log, None)
    with GatewayPool(gateway, 4) as pool:
        assert pool.threads == 1
        assert pool.call("save", "a", 1).result() == 1
    assert len(gateway.threads) == 1 and not gateway.closed
