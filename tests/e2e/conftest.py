"""Running the real ``recepcja`` command as a subprocess, in a private data folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import installer_build
import pytest
from e2e_support import EXAMPLE, Cli, running_simulator


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


@pytest.fixture(scope="session")
def onboarded_example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with ``home`` (the example practice: ``recepcja setup`` of
    resources/practice.example.toml, then ``recepcja onboard``) and ``sim`` (the stopped
    simulator's data it was onboarded into). Built once per session, at first use: onboarding
    publishes three months of terms (several seconds of subprocesses); each test gets a copy."""
    folder = tmp_path_factory.mktemp("onboarded-example")
    cli = Cli(home=folder / "home", extra_env={})
    with running_simulator(folder / "sim") as url:
        cli.extra_env["RECEPCJA_CER_URL"] = url + "/cer"
        assert cli("setup", "--config", str(EXAMPLE)).code == 0
        onboard = cli("onboard", timeout=180)
        assert onboard.code == 0, onboard.err
    return folder


@pytest.fixture
def onboarded(cli: Cli, tmp_path: Path, onboarded_example: Path):
    """The example practice set up and onboarded (a copy of ``onboarded_example``) in the
    ``cli``'s data folder, and its CeR simulator running on a copy of its data: its base URL,
    already in ``RECEPCJA_CER_URL`` of ``cli``."""
    shutil.copytree(onboarded_example / "home", cli.home)
    shutil.copytree(onboarded_example / "sim", tmp_path / "sim")
    with running_simulator(tmp_path / "sim") as url:
        cli.extra_env["RECEPCJA_CER_URL"] = url + "/cer"
        yield url
