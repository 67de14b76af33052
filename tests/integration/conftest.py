"""Shared fixtures of the integration tests: a real CeR simulator over loopback HTTP.

- ``simulator``: a started ``SimulatorServer`` on a free port, data under ``tmp_path``, answers
  checked against the XSD on the server side too (``validate_responses``);
- ``onboarded_simulator``: the same with one cardiology place registered, two schedules with
  free slots from tomorrow to 3 months + 3 weeks ahead, and the place active — done over raw
  SOAP (``soap_raw``), never through zeep or the gateway.

Loopback only: the suite-wide ``loopback_only`` fixture of ``tests/conftest.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import soap_raw

from recepcja.simulator.server import SimulatorServer
from support.sim_control import SimControl


@dataclass
class SimulatorHandle(SimControl):
    """A running simulator as tests see it (``control``/``state``: ``support.sim_control``)."""

    server: SimulatorServer
    data_dir: Path
    place: soap_raw.OnboardedPlace | None = None

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def soap_url(self) -> str:
        return self.server.url + "/cer"

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
