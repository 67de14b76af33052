"""Shared fixtures of the integration tests: a real CeR simulator over loopback HTTP.

- ``simulator``: a started ``SimulatorServer`` on a free port, data under ``tmp_path``, answers
  checked against the XSD on the server side too (``validate_responses``);
- ``onboarded_simulator``: the same with one cardiology place registered, two schedules with
  free slots from tomorrow to 3 months + 3 weeks ahead, and the place active — done over raw
  SOAP (``soap_raw``), never through zeep or the gateway; once per session (and day), each
  test's simulator restarted on a copy of that data.

Loopback only: the suite-wide ``loopback_only`` fixture of ``tests/conftest.py``.
"""

from __future__ import annotations

import copy
import datetime as dt
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import soap_raw

from recepcja.domain.model import WARSAW
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


@pytest.fixture(scope="session")
def onboarded_cer_data(tmp_path_factory: pytest.TempPathFactory):
    """``onboarded()``: the data folder of a stopped simulator onboarded by
    ``soap_raw.onboard`` today, and its place - built once per day of the session (it publishes
    from tomorrow on), not once per test: ~90 tests start from it."""
    built: dict[dt.date, tuple[Path, soap_raw.OnboardedPlace]] = {}

    def onboarded() -> tuple[Path, soap_raw.OnboardedPlace]:
        today = dt.datetime.now(WARSAW).date()
        if today not in built:
            data_dir = tmp_path_factory.mktemp("onboarded-cer") / "cer-sim"
            server = SimulatorServer(data_dir, validate_responses=True)
            server.start()
            try:
                place = soap_raw.onboard(server.url + "/cer", today=today)
            finally:
                server.stop()
            built[today] = (data_dir, place)
        return built[today]

    return onboarded


@pytest.fixture
def onboarded_simulator(simulator: SimulatorHandle, onboarded_cer_data) -> SimulatorHandle:
    """``simulator`` on a copy of the onboarded data (same handle, same port)."""
    template, place = onboarded_cer_data()
    port = simulator.server.port
    simulator.server.stop()
    shutil.rmtree(simulator.data_dir)
    shutil.copytree(template, simulator.data_dir)
    simulator.server = SimulatorServer(simulator.data_dir, port=port, validate_responses=True)
    simulator.server.start()
    simulator.place = copy.deepcopy(place)
    return simulator
