"""The one network rule of the suite: tests connect to this machine only.

Every ``connect`` and ``connect_ex`` of an IPv4/IPv6 socket must name a loopback address (an IP
literal, IPv6 scope allowed, or ``localhost``); anything else raises ``NetworkBlocked`` before a
packet leaves. Unix sockets are local by nature and allowed. A host *name* other than localhost
is refused too: resolving it could already reach the network, and no test needs one.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import pytest


class NetworkBlocked(OSError):
    """A test tried to connect somewhere other than this machine."""


def check_address(family: int, address: Any) -> None:
    """Raise ``NetworkBlocked`` unless a socket of ``family`` may connect to ``address``."""
    if family not in (socket.AF_INET, socket.AF_INET6):
        return
    host = str(address[0] if isinstance(address, tuple) else address)
    if host == "localhost":
        return
    try:
        if ipaddress.ip_address(host.split("%", maxsplit=1)[0]).is_loopback:
            return
    except ValueError:
        pass
    raise NetworkBlocked(f"tests may only connect to loopback, not to {host!r}")


def allow_loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Guard ``socket.socket.connect`` and ``connect_ex`` for the rest of the test."""
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def connect(self: socket.socket, address: Any) -> None:
        check_address(self.family, address)
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        check_address(self.family, address)
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
