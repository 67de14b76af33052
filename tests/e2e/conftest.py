"""Running the real ``recepcja`` command as a subprocess, in a private data folder."""

from __future__ import annotations

from pathlib import Path

import installer_build
import pytest
from e2e_support import Cli, running_simulator


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    installer_build.installer_tests_last(items)


def pytest_collection_finish(session: pytest.Session) -> None:
    installer_build.start_if_wanted(session)


def pytest_sessionfinish(session: pytest.Session) -> None:
    installer_build.remove(session.config)


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(home=tmp_path / "home", extra_env={})


@pytest.fixture
def sim(tmp_path: Path):
    """A CeR simulator on a free loopback port: its base URL (the ``recepcja`` under test finds it
    through ``RECEPCJA_CER_URL``; tests read CeR's state through ``support.sim_control``)."""
    with running_simulator(tmp_path / "sim") as url:
        yield url
