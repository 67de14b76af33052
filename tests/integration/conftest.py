"""Shared fixtures of the integration tests: a real CeR simulator over loopback HTTP.

- ``simulator``: a started ``SimulatorServer`` on a free port, data under ``tmp_path``, answers
  checked against the XSD on the server side too (``validate_responses``);
- ``onboarded_simulator``: the same with one cardiology place registered, two schedules with
  free slots from tomorrow to 3 months + 3 weeks ahead, and the place active — done over raw
  SOAP (``soap_raw``), never through zeep or the gateway;
- a guard that lets sockets connect to loopback only (tests must never reach the network).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import soap_raw

from recepcja.simulator.server import SimulatorServer


class NetworkBlocked(OSError):
    """A test tried to connect somewhere other than this machine."""


def _check_address(family: int, address: Any) -> None:
    if family == getattr(socket, "AF_UNIX", object()):
        return
    host = address[0] if isinstance(address, tuple) else address
    if host == "localhost":
        return
    try:
        if ipaddress.ip_address(str(host).split("%")[0]).is_loopback:
            return
    except ValueError:
        pass
    raise NetworkBlocked(f"tests may only connect to loopback, not to {host!r}")


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def connect(self: socket.socket, address: Any) -> None:
        _check_address(self.family, address)
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        _check_address(self.family, address)
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)


@dataclass
class SimulatorHandle:
    """A running simulator as tests see it."""

    server: SimulatorServer
    data_dir: Path
    place: soap_raw.OnboardedPlace | None = None

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def soap_url(self) -> str:
        return self.server.url + "/cer"

    def control(self, method: str, path: str, json: Any = None, *, expect: int | None = 200,
                timeout: float = 30.0) -> Any:
        """Call ``/_control/<path>``; checks the status (unless ``expect=None``), returns JSON."""
        response = requests.request(
            method, f"{self.url}/_control/{path.lstrip('/')}", json=json, timeout=timeout
        )
        if expect is not None:
            assert response.status_code == expect, (response.status_code, response.text[:500])
        return response.json()

    def state(self, **filters: str) -> dict[str, Any]:
        query = "&".join(f"{key}={value}" for key, value in filters.items())
        return self.control("GET", "state" + (f"?{query}" if query else ""))

    def call(self, body: str, **kwargs: Any) -> soap_raw.SoapAnswer:
        return soap_raw.call(self.soap_url, body, **kwargs)

    def restart(self) -> None:
        """Stop and start again on the same data folder and port."""
        port = self.server.port
        self.server.stop()
        self.server = SimulatorServer(self.data_dir, port=port, validate_responses=True)
        self.server.start()


@pytest.fixture
def simulator(tmp_path: Path) -> Iterator[SimulatorHandle]:
    data_dir = tmp_path / "cer-sim"
    server = SimulatorServer(data_dir, validate_responses=True)
    server.start()
    handle = SimulatorHandle(server, data_dir)
    try:
        yield handle
    finally:
        handle.server.stop()


@pytest.fixture
def onboarded_simulator(simulator: SimulatorHandle) -> SimulatorHandle:
    simulator.place = soap_raw.onboard(simulator.soap_url)
    return simulator
