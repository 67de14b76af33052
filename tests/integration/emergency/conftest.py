"""Fixtures of the emergency-mode tests: a store mirroring the onboarded simulator."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from emergency_support import LocalPractice, mirror_practice

from recepcja.store import Repositories


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "desk" / "recepcja.sqlite"


@pytest.fixture
def repos(db_path: Path) -> Iterator[Repositories]:
    store = Repositories.open(db_path)
    yield store
    store.close()


@pytest.fixture
def local(repos: Repositories, onboarded_simulator) -> LocalPractice:
    return mirror_practice(repos, onboarded_simulator.place)
