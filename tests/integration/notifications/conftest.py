"""Fixtures of the notification tests: an onboarded simulator mirrored in a local store."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from notif_support import make_gateway, mirror

from recepcja.cer.gateway import CerGateway
from recepcja.store import Repositories


@dataclass
class Practice:
    db_path: Path
    repos: Repositories
    gateway: CerGateway
    schedules: dict[str, int]  # CeR schedule id -> local schedule id
    sim: object

    @property
    def cer_schedules(self) -> list[str]:
        return list(self.schedules)


@pytest.fixture
def practice(onboarded_simulator, tmp_path):
    db_path = tmp_path / "practice" / "recepcja.sqlite"
    repos = Repositories.open(db_path)
    gateway = make_gateway(onboarded_simulator.soap_url)
    place = onboarded_simulator.place
    schedules = mirror(repos, gateway, place.mus_id, place.schedule_ids)
    try:
        yield Practice(db_path, repos, gateway, schedules, onboarded_simulator)
    finally:
        gateway.close()
        repos.close()
