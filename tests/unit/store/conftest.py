"""Fixtures for the store tests - ONE contract suite for both engines: every test that takes
``repos`` or ``db_target`` runs on a real SQLite file under tmp_path AND on a fresh PostgreSQL
practice database of the test cluster. Plus a controllable clock and a small practice (one
place, one doctor, one cardiology schedule with a morning of slots). ``db_path`` is the SQLite
file alone, for the tests of what only SQLite has (WAL, the file, sqlite-utils)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from store_helpers import DAY, make_patient

from recepcja.store import Repositories
from support.practice import Clock, Practice, build_practice


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "recepcja.sqlite"


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def db_target(engine: str, db_path: Path, request: pytest.FixtureRequest) -> str | Path:
    """Where the store under test lives: the SQLite file, or a migrated PostgreSQL database."""
    if engine == "sqlite":
        return db_path
    return request.getfixturevalue("pg_database")


@pytest.fixture
def empty_target(engine: str, db_path: Path, request: pytest.FixtureRequest) -> str | Path:
    """Like ``db_target`` but with no schema yet (migration tests)."""
    if engine == "sqlite":
        return db_path
    return request.getfixturevalue("pg_empty_database")


@pytest.fixture
def repos(db_target: str | Path, clock: Clock) -> Iterator[Repositories]:
    with Repositories.open(db_target, clock) as store:
        yield store


@pytest.fixture
def practice(repos: Repositories) -> Practice:
    return build_practice(repos, DAY)


@pytest.fixture
def patient_id(repos: Repositories) -> int:
    return repos.patients.add(make_patient(), "ania")
