"""Running the real ``recepcja`` command as a subprocess, in a private data folder."""

from __future__ import annotations

import datetime as dt
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
def onboarded_example(tmp_path_factory: pytest.TempPathFactory):
    """``onboarded_example()``: a folder with ``home`` (the example practice: ``recepcja setup``
    of resources/practice.example.toml, then ``recepcja onboard``) and ``sim`` (the stopped
    simulator's data it was onboarded into). Built once per session and day, at first use:
    onboarding publishes three months of terms from now on (several seconds of subprocesses);
    each test gets a copy."""
    built: dict[dt.date, Path] = {}

    def onboarded() -> Path:
        today = dt.date.today()
        if today not in built:
            folder = tmp_path_factory.mktemp("onboarded-example")
            cli = Cli(home=folder / "home", extra_env={})
            with running_simulator(folder / "sim") as url:
                cli.extra_env["RECEPCJA_CER_URL"] = url + "/cer"
                assert cli("setup", "--config", str(EXAMPLE)).code == 0
                onboard = cli("onboard", timeout=180)
                assert onboard.code == 0, onboard.err
            built[today] = folder
        return built[today]

    return onboarded


@pytest.fixture
def onboarded(cli: Cli, tmp_path: Path, onboarded_example):
    """The example practice set up and onboarded (a copy of ``onboarded_example``) in the
    ``cli``'s data folder, and its CeR simulator running on a copy of its data: its base URL,
    already in ``RECEPCJA_CER_URL`` of ``cli``."""
    example = onboarded_example()
    shutil.copytree(example / "home", cli.home)
    shutil.copytree(example / "sim", tmp_path / "sim")
    with running_simulator(tmp_path / "sim") as url:
        cli.extra_env["RECEPCJA_CER_URL"] = url + "/cer"
        yield url
