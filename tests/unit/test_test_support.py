"""The suite's own support: the one loopback rule and the one polling helper (``tests/support``)."""

from __future__ import annotations

import socket

import pytest

from support.network import NetworkBlocked, check_address
from support.polling import wait_until


@pytest.mark.parametrize("family", [socket.AF_INET, socket.AF_INET6])
def test_the_guard_refuses_every_connection_that_leaves_this_machine(family):
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        target = ("192.0.2.1", 443) if family == socket.AF_INET else ("2001:db8::1", 443, 0, 0)
        with pytest.raises(NetworkBlocked, match="loopback"):
            sock.connect(target)
        with pytest.raises(NetworkBlocked, match="loopback"):
            sock.connect_ex(target)


@pytest.mark.parametrize("address", [("127.0.0.1", 80), ("127.8.9.10", 80), ("localhost", 80),
                                     ("::1", 80, 0, 0), ("::1%lo", 80)])
def test_loopback_in_any_spelling_is_allowed(address):
    check_address(socket.AF_INET6 if ":" in address[0] else socket.AF_INET, address)
    with pytest.raises(NetworkBlocked):  # a name is never resolved: it could leave the machine
        check_address(socket.AF_INET, ("cer.example.pl", 443))


def test_the_guard_lets_a_real_loopback_connection_through():
    with socket.create_server(("127.0.0.1", 0)) as server, \
            socket.socket(socket.AF_INET, socket.SOCK_STREAM) as client:
        client.connect(server.getsockname())
        assert client.getpeername() == server.getsockname()


def test_wait_until_returns_the_truthy_value_and_names_what_never_came():
    answers = iter([0, None, "ready"])
    assert wait_until(lambda: next(answers), "the answer", step=0) == "ready"
    with pytest.raises(AssertionError, match=r"the outbox drained \(last: 0\)"):
        wait_until(lambda: 0, "the outbox drained", timeout=0, step=0)
