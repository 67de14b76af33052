"""Running the real ``recepcja`` command as a subprocess, in a private data folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from e2e_support import running_simulator


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self):
        return json.loads(self.out)


@dataclass
class Cli:
    home: Path
    extra_env: dict[str, str]

    def __call__(self, *args: str, timeout: float = 60) -> Result:
        env = {**os.environ, "RECEPCJA_HOME": str(self.home), "RECEPCJA_LANG": "pl",
               "QT_QPA_PLATFORM": "offscreen", **self.extra_env}
        proc = subprocess.run(
            [sys.executable, "-m", "recepcja", *args],
            check=False, capture_output=True, text=True, env=env, timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(home=tmp_path / "home", extra_env={})


@pytest.fixture
def sim(tmp_path: Path):
    """A CeR simulator on a free loopback port: its base URL (the ``recepcja`` under test finds it
    through ``RECEPCJA_CER_URL``; tests read CeR's state through ``support.sim_control``)."""
    with running_simulator(tmp_path / "sim") as url:
        yield url
