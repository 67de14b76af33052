"""Unit tests start no CeR simulator: a test that needs one (the training mode's included) is an
integration test and lives under tests/integration/."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def no_simulator(monkeypatch: pytest.MonkeyPatch) -> None:
    from recepcja.simulator.server import SimulatorServer

    def refuse(self: SimulatorServer) -> str:
        raise AssertionError("a unit test started the CeR simulator: move it to tests/integration/")

    monkeypatch.setattr(SimulatorServer, "start", refuse)
