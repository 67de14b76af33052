"""Fixtures of the service tests: a real SQLite file, a fixed clock, a small practice."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from services_support import NOW, Clock, Practice, add_patient, build_practice, pesels

from recepcja.store import Repositories


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def repos(tmp_path: Path, clock: Clock) -> Iterator[Repositories]:
    store = Repositories.open(tmp_path / "recepcja.sqlite", clock)
    yield store
    store.close()


@pytest.fixture
def practice(repos: Repositories) -> Practice:
    return build_practice(repos)


@pytest.fixture
def patient_id(repos: Repositories) -> int:
    return add_patient(repos, pesels(1)[0])
